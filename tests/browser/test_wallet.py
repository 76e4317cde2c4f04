"""The wallet in real headless Chromium: it shows the balance, each checkout
through the gateway changes it on screen without a reload, and an expired
token signs the member out."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from core.auth import Role, issue_token
from core.settings import SUBGRAPHS
from tests.support.net import wait_http_ok
from tests.support.stack import Stack, make_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """`loyalty up` itself (subgraphs, gateway, Reflex wallet) on free ports."""
    data_dir: Path = tmp_path_factory.mktemp("browser")
    stack = Stack(make_settings(data_dir))
    settings = stack.settings
    env = {
        **os.environ,
        "LOYALTY_DATA_DIR": str(data_dir),
        "LOYALTY_GATEWAY_PORT": str(settings.gateway_port),
        "LOYALTY_WALLET_PORT": str(settings.wallet_port),
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


async def test_wallet_balance_changes_live_after_each_checkout(running: Stack, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{running.settings.wallet_port}/")
    await page.fill("#email", "julia@example.com")
    await page.click("#sign-in")
    await page.wait_for_selector("#live", timeout=30_000)  # the wallet's subscription is open
    assert await page.inner_text("#greeting") == "Hi Julia"
    assert await page.inner_text("#tier-name") == "Gold"
    balance = int(await page.inner_text("#balance-available"))
    assert balance >= 5000
    assert " points expire on " in await page.inner_text("#expiring")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # Several checkouts in a row: each event must carry the balance after it, not the first one's.
    for price in ("10.00", "20.00", "30.00"):
        started = time.perf_counter()
        response = await running.gql(
            "mutation($input: CheckoutInput!) { checkout(input: $input) { pointsEarned member { points { available } } } }",
            {"input": {"externalId": f"browser-{time.time_ns()}", "basket": {
                "channel": "POS", "storeId": "st_portland",
                "identifier": {"kind": "EMAIL", "value": "julia@example.com"},
                "lines": [{"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": price}]}}},
            running.cashier,
        )
        checkout = response.ok()["checkout"]
        assert checkout["pointsEarned"] > 0
        balance += checkout["pointsEarned"]
        assert checkout["member"]["points"]["available"] == balance
        await page.wait_for_function(
            f"document.querySelector('#balance-available').innerText == '{balance}'", timeout=10_000
        )
        print(f"\nwallet showed {balance} {1000 * (time.perf_counter() - started):.0f} ms after the checkout was sent")
    assert navigations == []  # no reload
    assert "In-store purchase" in await page.inner_text("#activity")

    # Leaving the page releases the wallet's subscription at the gateway.
    assert await active_subscriptions(running) == 1
    await page.close()
    deadline = time.monotonic() + 30
    while await active_subscriptions(running) != 0:
        assert time.monotonic() < deadline, "the wallet kept its subscription after the page closed"
        await asyncio.sleep(0.5)


async def test_the_wallet_signs_out_when_its_token_expires(running: Stack, browser: Browser) -> None:
    """The gateway closes a subscription whose token expired (4403); the wallet asks to sign in again."""
    julia = (await running.gql('{ lookupMember(kind: EMAIL, value: "julia@example.com") { id } }',
                               token=running.cashier)).ok()["lookupMember"]["id"]
    brief = issue_token(running.settings, julia, Role.MEMBER, ttl=timedelta(seconds=6))
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{running.settings.wallet_port}/")
    await page.evaluate("token => window.localStorage.setItem('loyalty_wallet_token', token)", brief)
    await page.reload()
    await page.wait_for_selector("#live", timeout=30_000)  # signed in with the brief token, following live
    assert await page.inner_text("#greeting") == "Hi Julia"
    await page.wait_for_selector("#email", timeout=30_000)  # signed out once the token expired
    assert "expired" in await page.inner_text("#error")
    await page.close()


async def active_subscriptions(stack: Stack) -> int:
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"http://127.0.0.1:{stack.settings.gateway_port}/metrics")).text
    return int(next(line.split()[1] for line in metrics.splitlines()
                    if line.startswith("gateway_active_subscriptions ")))


async def test_sign_in_with_an_unknown_email_says_so(running: Stack, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{running.settings.wallet_port}/")
    await page.fill("#email", "nobody@example.com")
    await page.click("#sign-in")
    await page.wait_for_selector("#error", timeout=30_000)
    assert "no member with the email nobody@example.com" in await page.inner_text("#error")
