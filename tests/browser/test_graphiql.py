"""GraphiQL in real headless Chromium with the internet cut off: every request
that is not to 127.0.0.1 is refused (and recorded), yet the IDE renders, takes
a bearer token in its Headers tab and runs queries. Strawberry's page, which
loads React and GraphiQL from unpkg.com, stays at "Loading..." here."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Route
from playwright.async_api import TimeoutError as PlaywrightTimeout

from core.auth import Role
from tests.support.stack import Stack

pytestmark = pytest.mark.browser

QUERY_EDITOR = ".graphiql-query-editor"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"  # the tool pane shows one editor at a time
RESPONSE = ".graphiql-response .CodeMirror"


@dataclass
class Offline:
    page: Page
    outside: list[str] = field(default_factory=list)  # what the page tried to fetch from elsewhere
    errors: list[str] = field(default_factory=list)  # uncaught errors in the page


@pytest.fixture
async def offline(browser: Browser) -> AsyncIterator[Offline]:
    """A page that can reach 127.0.0.1 and nothing else, as on a machine with no internet."""
    context = await browser.new_context(viewport={"width": 1400, "height": 850})
    page = await context.new_page()
    state = Offline(page)

    async def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            state.outside.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_local)
    page.on("pageerror", lambda error: state.errors.append(str(error)))
    yield state
    await context.close()


async def open_ide(offline: Offline, url: str) -> None:
    await offline.page.goto(url)
    try:
        await offline.page.wait_for_selector(f"{QUERY_EDITOR} .CodeMirror", timeout=15_000)
    except PlaywrightTimeout:
        shown = await offline.page.inner_text("body")
        raise AssertionError(f"GraphiQL never rendered: the page shows {shown!r}; "
                             f"it tried to fetch {offline.outside}") from None


async def paste(page: Page, editor: str, text: str) -> None:
    """Replace an editor's text as a paste does (no keystrokes, so no auto-closed brackets)."""
    await page.click(f"{editor} .CodeMirror")
    await page.keyboard.press("Control+a")
    await page.keyboard.insert_text(text)


async def run(page: Page, query: str, expect: str) -> dict[str, Any]:
    """Run a query with the play button; the result pane's JSON once it shows `expect`."""
    await paste(page, QUERY_EDITOR, query)
    await page.click(".graphiql-execute-button")
    await page.wait_for_function(
        "([selector, expect]) => (document.querySelector(selector)?.CodeMirror.getValue() ?? '').includes(expect)",
        arg=[RESPONSE, expect], timeout=15_000)
    return json.loads(await page.evaluate("selector => document.querySelector(selector).CodeMirror.getValue()",
                                          RESPONSE))


async def test_graphiql_at_the_gateway_works_with_no_internet(stack: Stack, offline: Offline) -> None:
    page = offline.page
    julia = (await stack.gql('{ lookupMember(kind: EMAIL, value: "julia@example.com") { id } }',
                             token=stack.cashier)).ok()["lookupMember"]["id"]
    await open_ide(offline, stack.url)

    tiers = await run(page, "{ tiers { name } }", expect="Platinum")
    assert [tier["name"] for tier in tiers["data"]["tiers"]] == ["Bronze", "Silver", "Gold", "Platinum"]

    anonymous = await run(page, "{ me { givenName } }", expect="errors")
    assert "Julia" not in json.dumps(anonymous)

    await page.click("button:has-text('Headers')")
    await paste(page, HEADERS_EDITOR, json.dumps({"Authorization": f"Bearer {stack.token(Role.MEMBER, julia)}"}))
    me = await run(page, "{ me { givenName } }", expect="Julia")
    assert me == {"data": {"me": {"givenName": "Julia"}}}

    await page.click("[aria-label='Show GraphiQL Explorer']")  # the explorer plugin, built from the schema
    await page.wait_for_selector(".graphiql-plugin :text-is('lookupMember')", timeout=10_000)

    assert offline.outside == []  # it never even tried
    assert offline.errors == []


async def test_a_subgraph_serves_the_same_graphiql_with_no_internet(stack: Stack, offline: Offline) -> None:
    page = offline.page
    await open_ide(offline, stack.settings.subgraph_url("ledger"))
    tiers = await run(page, "{ tiers { name } }", expect="Platinum")
    assert [tier["name"] for tier in tiers["data"]["tiers"]] == ["Bronze", "Silver", "Gold", "Platinum"]
    assert offline.outside == []
    assert offline.errors == []
