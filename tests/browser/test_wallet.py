"""The wallet in real headless Chromium: a member signs in with a code from her email (the
dev mailbox), it shows the balance, each checkout through the gateway changes it on screen
without a reload, and an expired token signs the member out."""
from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser

from core.auth import Role, issue_token
from tests.browser.conftest import check_screen, offline_context
from tests.support.stack import Stack
from wallet_ui import words

pytestmark = pytest.mark.browser


async def test_wallet_balance_changes_live_after_each_checkout(running: Stack, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{running.settings.wallet_port}/")
    await page.fill("#email", "julia@example.com")
    await page.click("#sign-in")
    await page.wait_for_selector("#live", timeout=30_000)  # the wallet's subscription is open
    assert await page.inner_text("#greeting") == "Hi Julia"
    assert await page.inner_text("#tier-name") == "Gold"
    balance = int((await page.inner_text("#balance-available")).replace(",", ""))
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
            f"document.querySelector('#balance-available').innerText == '{balance:,}'", timeout=10_000
        )
        print(f"\nwallet showed {balance} {1000 * (time.perf_counter() - started):.0f} ms after the checkout was sent")
    assert navigations == []  # no reload
    assert "In-store purchase" in await page.inner_text("#activity")

    # The page holds four subscriptions at the gateway (the balance, the reservations, offers and
    # tier changes, and nothing else: pages of earlier tests have let theirs go); leaving the page
    # releases them all.
    deadline = time.monotonic() + 30
    while (held := await active_subscriptions(running)) != 4:
        assert time.monotonic() < deadline, f"the wallet holds {held} subscriptions, not 4"
        await asyncio.sleep(0.5)
    await page.close()
    deadline = time.monotonic() + 30
    while await active_subscriptions(running) != 0:
        assert time.monotonic() < deadline, "the wallet kept its subscription after the page closed"
        await asyncio.sleep(0.5)


JULIA_TIER = """query { lookupMember(kind: EMAIL, value: "julia@example.com") {
  tier { current { name } reviewAt graceUntil pointsToKeep keptUntil } } }"""


@pytest.mark.parametrize(("width", "height"), [(390, 844), (768, 1024)])
async def test_julias_tier_card_says_when_her_gold_is_reviewed(running: Stack, browser: Browser, width: int,
                                                                height: int) -> None:
    """The tier card shows the next review in words, with what keeps the tier, from the API."""
    tier = (await running.gql(JULIA_TIER, token=running.cashier)).ok()["lookupMember"]["tier"]
    assert tier["current"]["name"] == "Gold" and tier["graceUntil"] is None
    review_at = datetime.fromisoformat(tier["reviewAt"])
    assert datetime.now(UTC) < review_at <= datetime.now(UTC) + timedelta(days=366)
    offline = await offline_context(browser, viewport={"width": width, "height": height}, device_scale_factor=2)
    page = await offline.context.new_page()
    await page.goto(f"http://127.0.0.1:{running.settings.wallet_port}/")
    await page.fill("#email", "julia@example.com", timeout=30_000)
    await page.click("#sign-in")
    await page.wait_for_selector("#live", timeout=30_000)
    shown = await page.inner_text("#tier-card #tier-review", timeout=30_000)
    if tier["pointsToKeep"] == 0:
        detail = f"Gold is yours until {words.day(tier['keptUntil'])}"
        assert datetime.fromisoformat(tier["keptUntil"]) > review_at
    else:
        detail = f"Earn {tier['pointsToKeep']:,} more qualifying points by then to stay Gold"
    assert [line for line in shown.split("\n") if line.strip()] == [f"Tier review on {review_at:%b} {review_at.day}, {review_at.year}", detail]
    await check_screen(page, f"wallet-tier-review-{'phone' if width < 768 else 'tablet'}")
    assert offline.outside == []
    await offline.context.close()


async def test_the_wallet_signs_out_when_its_token_expires(running: Stack, browser: Browser) -> None:
    """The gateway closes a subscription whose token expired (4403); the wallet asks to sign in again."""
    julia = (await running.gql('{ lookupMember(kind: EMAIL, value: "julia@example.com") { id } }',
                               token=running.cashier)).ok()["lookupMember"]["id"]
    # Long enough for a loaded machine to load the page and sign in before it ends.
    brief = issue_token(running.settings, julia, Role.MEMBER, ttl=timedelta(seconds=20))
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{running.settings.wallet_port}/")
    await page.evaluate("token => window.localStorage.setItem('loyalty_wallet_token', token)", brief)
    await page.reload()
    await page.wait_for_selector("#live", timeout=30_000)  # signed in with the brief token, following live
    assert await page.inner_text("#greeting") == "Hi Julia"
    await page.wait_for_selector("#email", timeout=60_000)  # signed out once the token expired
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
    assert "No member with the email nobody@example.com." in await page.inner_text("#error")


async def sign_in_codes_mailed_to(stack: Stack, address: str) -> list[str]:
    """The sign-in codes the dev mailbox received for `address`, oldest first (the code ends the subject)."""
    async with httpx.AsyncClient() as client:
        mails = (await client.get(f"http://127.0.0.1:{stack.settings.dev_mail_port}/mails.json")).json()
    return [m["subject"].rsplit(" ", 1)[1] for m in mails
            if address in m["to"] and m["headers"].get("X-Loyalty-Kind") == "SIGN_IN_CODE"]


async def test_julia_signs_in_with_a_code_from_her_email(running: Stack, browser: Browser) -> None:
    """Email, "Send me a code", the code from the mail (a wrong one first, refused in words), her balance."""
    julia = "julia@example.com"
    codes_before = len(await sign_in_codes_mailed_to(running, julia))
    page = await browser.new_page(viewport={"width": 420, "height": 860})
    await page.goto(f"http://127.0.0.1:{running.settings.wallet_port}/")
    await page.fill("#email", julia, timeout=30_000)
    await check_screen(page, "wallet-sign-in-1-email")
    await page.click("#send-code")
    await page.wait_for_selector("#code", timeout=30_000)
    assert await page.inner_text("#code-email") == julia
    assert "We sent a 6-digit code to julia@example.com" in await page.inner_text("#code-notice")

    deadline = time.monotonic() + 30
    while len(codes := await sign_in_codes_mailed_to(running, julia)) == codes_before:
        assert time.monotonic() < deadline, "no sign-in code reached the dev mailbox"
        await asyncio.sleep(0.3)
    code = codes[-1]
    assert len(code) == 6 and code.isdigit()
    await check_screen(page, "wallet-sign-in-2-code")

    await page.fill("#code", f"{(int(code) + 1) % 1_000_000:06d}")
    await page.click("#verify-code")
    await page.wait_for_selector("#error", timeout=30_000)
    assert "That code is not right. You can try 4 more times." in await page.inner_text("#error")
    await check_screen(page, "wallet-sign-in-3-wrong-code")

    await page.fill("#code", code)
    await page.click("#verify-code")
    await page.wait_for_selector("#live", timeout=30_000)
    assert await page.inner_text("#greeting") == "Hi Julia"
    assert int((await page.inner_text("#balance-available")).replace(",", "")) >= 5000
    assert await page.query_selector("#error") is None
    await check_screen(page, "wallet-sign-in-4-signed-in")
    await page.close()


async def test_another_email_goes_back_and_a_used_code_is_refused_in_words(running: Stack, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{running.settings.wallet_port}/")
    await page.fill("#email", "marcus@example.com", timeout=30_000)
    await page.click("#send-code")
    await page.wait_for_selector("#other-email", timeout=30_000)
    await page.click("#other-email")
    await page.wait_for_selector("#email", timeout=30_000)
    assert await page.query_selector("#code") is None
    # An address that holds no code (nobody's): the same refusal as a member's wrong code, in words.
    await page.fill("#email", "nobody@example.com")
    await page.click("#send-code")
    await page.fill("#code", "000000", timeout=30_000)
    await page.click("#verify-code")
    await page.wait_for_selector("#error", timeout=30_000)
    assert "That code is not right. You can try 4 more times." in await page.inner_text("#error")
    await page.click("#resend-code")
    await page.wait_for_function("document.querySelector('#code-notice').innerText.includes('a new 6-digit code')",
                                 timeout=30_000)
    assert await page.query_selector("#error") is None
    await page.close()
