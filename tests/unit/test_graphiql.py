"""core.graphiql: the page names only files the project installed, serves only
those, says how to install them when they are missing, and only in dev."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from core import graphiql
from core.settings import Settings
from gateway.app import create_gateway_app

HTML = {"accept": "text/html,application/xhtml+xml"}


def fake_node_modules(root: Path) -> Path:
    for package, name in graphiql.STYLESHEETS + graphiql.SCRIPTS:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "package.json").write_text(json.dumps({"version": "1.2.3"}))
        (root / package / name).parent.mkdir(parents=True, exist_ok=True)
        (root / package / name).write_text(f"/* {package} {name} */")
    return root


def client(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1")


def endpoint_with_ide(node_modules: Path) -> httpx.AsyncClient:
    async def endpoint(scope, receive, send):  # a GraphQL endpoint stand-in
        await PlainTextResponse("graphql")(scope, receive, send)

    return client(Starlette(routes=[Route("/graphql", graphiql.WithIDE(endpoint, node_modules),
                                          methods=["GET", "POST"]),
                                    *graphiql.routes(node_modules)]))


async def test_the_page_loads_the_installed_files_from_beside_the_endpoint(tmp_path: Path) -> None:
    http = endpoint_with_ide(fake_node_modules(tmp_path))
    page = await http.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert '<script src="graphiql/react@1.2.3/umd/react.production.min.js">' in page.text
    assert '<link rel="stylesheet" href="graphiql/@graphiql/plugin-explorer@1.2.3/dist/style.css" />' in page.text
    assert "https://" not in page.text  # nothing from a CDN
    assert page.text.index("react-dom@") < page.text.index("graphiql@1.2.3/graphiql.min.js") \
        < page.text.index("plugin-explorer@1.2.3/dist/index.umd.js")  # UMD globals: load order matters

    asset = await http.get("/graphiql/graphiql@1.2.3/graphiql.min.js")
    assert asset.status_code == 200 and asset.text == "/* graphiql graphiql.min.js */"
    assert asset.headers["cache-control"] == graphiql.CACHE_CONTROL
    assert asset.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("name", ["graphiql@1.2.3/package.json", "graphiql@9.9.9/graphiql.min.js",
                                  "react/umd/react.production.min.js", "react@1.2.3/umd/react.development.js"])
async def test_only_the_files_the_page_names_are_served(tmp_path: Path, name: str) -> None:
    assert (await endpoint_with_ide(fake_node_modules(tmp_path)).get(f"/graphiql/{name}")).status_code == 404


async def test_other_requests_reach_the_endpoint(tmp_path: Path) -> None:
    http = endpoint_with_ide(fake_node_modules(tmp_path))
    assert (await http.get("/graphql", headers={"accept": "application/json"})).text == "graphql"
    assert (await http.get("/graphql?query={__typename}", headers=HTML)).text == "graphql"
    assert (await http.post("/graphql", headers=HTML, json={"query": "{__typename}"})).text == "graphql"


async def test_without_the_files_the_page_says_how_to_install_them(tmp_path: Path) -> None:
    page = await endpoint_with_ide(tmp_path / "missing").get("/graphql", headers=HTML)
    assert page.status_code == 503
    assert "make setup" in page.text and "npm ci --prefix ide" in page.text


async def test_the_gateway_serves_the_files_in_dev_only() -> None:
    installed = graphiql.installed()
    assert installed, "GraphiQL's files are not installed: make setup"
    name = next(iter(installed))
    sdl = "unused: ASGITransport runs no lifespan"
    dev = client(create_gateway_app(Settings(), supergraph_sdl=sdl))
    assert (await dev.get(f"/graphiql/{name}")).status_code == 200
    assert 'href="graphiql/graphiql@' in (await dev.get("/graphql", headers=HTML)).text
    prod = client(create_gateway_app(Settings(env="prod", jwt_secret="a-real-secret-for-this-test"), supergraph_sdl=sdl))
    assert (await prod.get(f"/graphiql/{name}")).status_code == 404
    assert "graphiql" not in (await prod.get("/graphql", headers=HTML)).text.lower()
