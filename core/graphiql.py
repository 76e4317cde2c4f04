"""GraphiQL served from the project: the page and its browser files (React,
GraphiQL, the explorer plugin), so the IDE loads on a machine with no internet.

Strawberry's own page (`strawberry.http.ides`) loads them from unpkg.com and
stays at "Loading..." when that is out of reach. Here they come from
`ide/node_modules`, which `make setup` installs with `npm ci --prefix ide`
(`ide/package.json` says why each package and version). The gateway and the
subgraphs serve the page at `/graphql` and the files under `/graphiql/` beside
it, in dev only: prod mounts neither.
"""
from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

# In the checkout (the project is installed editable); a prod install has none and never serves them.
NODE_MODULES = Path(__file__).resolve().parents[1] / "ide" / "node_modules"
ASSETS_PATH = "/graphiql"
INSTALL_HINT = "make setup  (or: PATH=.venv/bin:$PATH npm ci --prefix ide)"
# Each file's URL names its package version, so browsers may keep it for a year.
CACHE_CONTROL = "public, max-age=31536000, immutable"

# (package, file in it), in load order: GraphiQL's UMD build reads window.React and
# window.ReactDOM; the explorer's reads window.React and window.GraphiQL.React.
SCRIPTS = (
    ("react", "umd/react.production.min.js"),
    ("react-dom", "umd/react-dom.production.min.js"),
    ("graphiql", "graphiql.min.js"),
    ("@graphiql/plugin-explorer", "dist/index.umd.js"),
)
STYLESHEETS = (
    ("graphiql", "graphiql.min.css"),
    ("@graphiql/plugin-explorer", "dist/style.css"),
)


def installed(node_modules: Path = NODE_MODULES) -> dict[str, Path] | None:
    """Every file the page loads, by its URL name under ASSETS_PATH (`react@18.3.1/umd/...`),
    stylesheets first, scripts in load order; None when one is missing (setup has not run)."""
    files: dict[str, Path] = {}  # looked up on each request (dev only): a reinstall needs no restart
    for package, name in STYLESHEETS + SCRIPTS:
        path = node_modules / package / name
        try:
            version = json.loads((node_modules / package / "package.json").read_bytes())["version"]
        except (OSError, ValueError, KeyError):
            return None
        if not path.is_file():
            return None
        files[f"{package}@{version}/{name}"] = path
    return files


def wants_ide(request: Request) -> bool:
    """A browser opening the endpoint (a GET with no query that accepts HTML)."""
    return (request.method == "GET" and not request.query_params.get("query")
            and "text/html" in request.headers.get("accept", ""))


def page(node_modules: Path = NODE_MODULES) -> Response:
    """GraphiQL for the endpoint it is served from, or how to install its files."""
    files = installed(node_modules)
    if files is None:
        return HTMLResponse(MISSING.replace("{install}", INSTALL_HINT), status_code=503)
    # Relative URLs: the page is at .../graphql, so "graphiql/..." is .../graphiql/... (behind a proxy's prefix too).
    base = ASSETS_PATH.lstrip("/")
    styles = "\n".join(f'    <link rel="stylesheet" href="{base}/{key}" />' for key in files if key.endswith(".css"))
    scripts = "\n".join(f'    <script src="{base}/{key}"></script>' for key in files if key.endswith(".js"))
    return HTMLResponse(PAGE.replace("{styles}", styles).replace("{scripts}", scripts)
                        .replace("{install}", INSTALL_HINT))


def routes(node_modules: Path = NODE_MODULES) -> list[Route]:
    """The route of the page's files, for an app's routes (dev only)."""

    async def asset(request: Request) -> Response:
        path = (installed(node_modules) or {}).get(request.path_params["name"])
        if path is None:  # only the files the page names: nothing else under node_modules is reachable
            return PlainTextResponse("Not Found", status_code=404)
        return FileResponse(path, headers={"cache-control": CACHE_CONTROL})

    return [Route(ASSETS_PATH + "/{name:path}", asset, methods=["GET"])]


class WithIDE:
    """In front of a GraphQL endpoint that is an ASGI app (Strawberry's view in the
    subgraphs): a browser opening it gets the page, every other request the endpoint."""

    def __init__(self, app: ASGIApp, node_modules: Path = NODE_MODULES) -> None:
        self.app = app
        self.node_modules = node_modules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and wants_ide(Request(scope)):
            await page(self.node_modules)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


MISSING = """<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>GraphiQL is not installed</title><link rel="icon" href="data:," /></head>
  <body style="font-family: sans-serif; margin: 2rem">
    <h1>GraphiQL's files are not installed</h1>
    <p>This endpoint serves GraphiQL from the project, not from a CDN. Install its files with</p>
    <pre>{install}</pre>
    <p>from the checkout, then reload this page. The endpoint answers GraphQL requests meanwhile.</p>
  </body>
</html>
"""

PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>GraphiQL</title>
    <link rel="icon" href="data:," />
{styles}
    <style>
      body { margin: 0; height: 100vh; overflow: hidden; }
      #graphiql { height: 100vh; }
    </style>
  </head>
  <body>
    <div id="graphiql">Loading...</div>
{scripts}
    <script>
      const root = document.getElementById("graphiql");
      if (!window.React || !window.ReactDOM || !window.GraphiQL || !window.GraphiQLPluginExplorer) {
        root.textContent = "GraphiQL's files did not load. Install them with: {install}";
      } else {
        // The endpoint this page was served from, for queries and (over websockets) subscriptions.
        const url = window.location.origin + window.location.pathname;
        const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: url.replace(/^http/, "ws") });
        const defaultQuery = `# GraphiQL for ${url}
#
# Most fields need a bearer token. Print one with
#   loyalty token --role cashier --store st_portland
#   loyalty token --role member --subject <member id>
# (.venv/bin/loyalty in the checkout) and paste it in
# the Headers tab below as
#   {"Authorization": "Bearer <token>"}
#
# Ctrl-Enter runs the query; the explorer (left) builds one.
{
  __typename
}
`;
        ReactDOM.createRoot(root).render(React.createElement(GraphiQL, {
          fetcher,
          defaultQuery,
          plugins: [GraphiQLPluginExplorer.explorerPlugin()],
          isHeadersEditorEnabled: true,
          // GraphiQL's default: the Headers tab starts empty after a reload. (Its history
          // still keeps each run's headers in localStorage: GraphiQL 3 does that regardless.)
          shouldPersistHeaders: false,
          defaultEditorToolsVisibility: true,
          inputValueDeprecation: true,
        }));
      }
    </script>
  </body>
</html>
"""
