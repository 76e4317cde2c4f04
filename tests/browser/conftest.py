"""Debian's Chromium driven by Playwright, shared by the browser tests (never `playwright install`),
and `loyalty up` itself (subgraphs, gateway, the Reflex wallet and till) for the screens' tests."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Route, async_playwright

from core.settings import SUBGRAPHS
from tests.support.net import wait_http_ok
from tests.support.stack import Stack, make_settings

CHROMIUM = "/usr/bin/chromium"
HAS_CHROMIUM = Path(CHROMIUM).exists()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert HAS_CHROMIUM, "Debian chromium is missing: make test installs it (apt-get install chromium)"
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


SCREENSHOTS = Path(__file__).parent / "screenshots"  # not committed: look at them after a run


@pytest.fixture(scope="session")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """`loyalty up` itself (subgraphs, gateway, Reflex wallet and till) on free ports, once
    for every screen test: the Reflex build is the slow part."""
    data_dir: Path = tmp_path_factory.mktemp("browser")
    stack = Stack(make_settings(data_dir))
    settings = stack.settings
    env = {
        **os.environ,
        "LOYALTY_DATA_DIR": str(data_dir),
        "LOYALTY_GATEWAY_PORT": str(settings.gateway_port),
        "LOYALTY_WALLET_PORT": str(settings.wallet_port),
        "LOYALTY_DEV_MAIL_PORT": str(settings.dev_mail_port),
        "LOYALTY_DEV_MAIL_SMTP_PORT": str(settings.dev_mail_smtp_port),
        "LOYALTY_SUBGRAPH_PORTS": "{" + ", ".join(f'"{n}": {settings.subgraph_ports[n]}' for n in SUBGRAPHS) + "}",
        "LOYALTY_SEED_MEMBERS": "0",
        "LOYALTY_LOG_LEVEL": "warning",
    }
    up = await asyncio.create_subprocess_exec(sys.executable, "-m", "loyalty", "up", env=env,
                                              start_new_session=True)
    try:
        await wait_http_ok(f"http://127.0.0.1:{settings.wallet_port}/ping", timeout=900)
        yield stack
    finally:
        os.killpg(up.pid, signal.SIGINT)
        try:
            await asyncio.wait_for(up.wait(), 30)
        except TimeoutError:
            os.killpg(up.pid, signal.SIGKILL)
            await up.wait()


class Offline:
    """A browser context that reaches 127.0.0.1 and nothing else: the screens fetch nothing
    from the internet at run time (no CDN, no font, no telemetry); what they tried is kept."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.outside: list[str] = []

    async def refuse_outside(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            await route.continue_()
        else:
            self.outside.append(route.request.url)
            await route.abort()


async def offline_context(browser: Browser, **options: object) -> Offline:
    context = await browser.new_context(**options)
    offline = Offline(context)
    await context.route("**/*", offline.refuse_outside)
    return offline


async def screenshot(page, name: str) -> None:  # noqa: ANN001
    """The whole page. The viewport grows to the page's height for the picture (and back after), so
    what is fixed to the bottom of the screen (the wallet's tab bar, toasts) is drawn at the bottom,
    not half way down as a whole-page capture of a short viewport would draw it."""
    SCREENSHOTS.mkdir(exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 800}
    height = await page.evaluate("Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
    if height > size["height"]:
        await page.set_viewport_size({"width": size["width"], "height": height})
        await page.wait_for_timeout(300)
    try:
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        if height > size["height"]:
            await page.set_viewport_size(size)


# axe-core (npm, pinned in node/package.json; `make node-tools` installs it), injected into each
# screen from disk: the page fetches nothing.
AXE = Path(__file__).resolve().parents[2] / "node" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


async def accessibility_problems(page) -> list[str]:  # noqa: ANN001
    """axe-core's serious and critical violations on the page as it is now, in words."""
    assert AXE.exists(), f"axe-core is missing at {AXE}: `make node-tools` installs it"
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=AXE.read_text())
    found = await page.evaluate("""async () => {
        const result = await window.axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' "' +
                                                (n.html || '').slice(0, 120) + '" ' +
                                                (n.any || []).map(c => c.message).join(' '))}));
    }""")
    return [f"{v['impact']} {v['id']}: {v['help']} ({'; '.join(v['nodes'])})" for v in found
            if v["impact"] in SERIOUS]


async def check_screen(page, name: str) -> None:  # noqa: ANN001
    """A screen as people meet it: a screenshot to look at, and no serious accessibility problem."""
    await page.wait_for_timeout(400)  # dialogs and toasts finish fading in (contrast is checked as shown)
    await screenshot(page, name)
    problems = await accessibility_problems(page)
    assert problems == [], f"{name}: " + " | ".join(problems)
