"""The campaign admin (/admin) and the wallet's rewards, offers and privacy centre in real
headless Chromium, against `loyalty up` itself: the marketer signs in, sees the demo program's
campaigns with their A/B counts, writes a campaign whose condition is refused as typed with
its position, dry-runs it on Julia, activates it, and the till's next sale shows its effect;
a member redeems a reward and gets the coupon with its QR code; a tier upgrade arrives live
as a celebration and its gift offer as a toast; the privacy centre changes a consent and
keeps its history. Every screen is checked with axe-core (no serious or critical problem)
on a phone (390 px) and on a desktop, and saved as a screenshot. The marketer adds a webhook
(a wrong document refused in words first), pauses it, edits its document and resumes it without
typing its secret again, and deletes it."""
from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, Page

from core.auth import Role
from seed.staff import DEMO_STAFF
from subgraphs.profile.domain.staff import StaffRole
from tests.browser.conftest import Offline, check_screen, offline_context
from tests.support.stack import Stack

pytestmark = pytest.mark.browser

MARKETER = next(s for s in DEMO_STAFF if s.role is StaffRole.ADMIN)
CASHIER = next(s for s in DEMO_STAFF if s.role is StaffRole.CASHIER)
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2}
TABLET = {"viewport": {"width": 768, "height": 1024}}
WAIT = 30_000
HEADLAMP = "LMP-HEAD-400"  # a product no other browser test sells: this test's campaign is about it


@dataclass
class Pages:
    desktop: Page
    phone: Page


@pytest.fixture
async def pages(running: Stack, browser: Browser) -> AsyncIterator[Pages]:
    desktop, phone = await offline_context(browser, **DESKTOP), await offline_context(browser, **PHONE)
    contexts: tuple[Offline, Offline] = (desktop, phone)
    try:
        yield Pages(await desktop.context.new_page(), await phone.context.new_page())
    finally:
        for offline in contexts:
            await offline.context.close()
    assert desktop.outside == [] and phone.outside == [], "a screen fetched something from the internet"


def url(stack: Stack, path: str) -> str:
    return f"http://127.0.0.1:{stack.settings.wallet_port}{path}"


def number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text))


async def sign_in_admin(stack: Stack, page: Page) -> None:
    await page.goto(url(stack, "/admin"))
    await page.fill("#staff-id", MARKETER.staff_id, timeout=WAIT)
    await page.fill("#pin", MARKETER.pin)
    await page.click("#admin-sign-in")
    await page.wait_for_selector(".campaign", timeout=WAIT)


async def open_wallet(stack: Stack, page: Page, email: str) -> None:
    await page.goto(url(stack, "/"))
    await page.fill("#email", email, timeout=WAIT)
    await page.click("#sign-in")
    await page.wait_for_selector("#live", timeout=WAIT)


async def choose(page: Page, trigger: str, option: str) -> None:
    """A Radix select: open it, pick the option by its text."""
    await page.click(trigger)
    await page.get_by_role("option", name=option, exact=True).click()


async def test_a_cashier_may_not_use_the_admin(running: Stack, pages: Pages) -> None:
    page = pages.phone
    await page.goto(url(running, "/admin"))
    await page.wait_for_selector("#staff-id", timeout=WAIT)
    await check_screen(page, "admin-sign-in-phone")
    await page.fill("#staff-id", CASHIER.staff_id)
    await page.fill("#pin", CASHIER.pin)
    await page.click("#admin-sign-in")
    await page.wait_for_selector("#admin-error", timeout=WAIT)
    assert "for the program's marketers" in await page.inner_text("#admin-error")
    assert await page.query_selector(".campaign") is None


async def test_the_marketer_creates_dry_runs_and_activates_a_campaign_and_the_next_sale_shows_it(
        running: Stack, pages: Pages) -> None:
    page = pages.desktop
    await sign_in_admin(running, page)
    # The demo program: its A/B test shows each variant's exposures and conversions.
    shoes = page.locator(".campaign", has_text="running shoes")
    await shoes.first.wait_for(timeout=WAIT)
    assert "exposures" in await shoes.first.inner_text()
    await check_screen(page, "admin-campaigns")

    await page.click("#new-campaign")
    await page.wait_for_selector("#campaign-editor", timeout=WAIT)
    name = f"Headlamp nights {time.time_ns() % 100_000}"
    await page.fill("#campaign-name", name)
    # The condition is checked by the engine as it is typed: a mistake shows with its position.
    await page.fill("#condition", "member != null &&\n  '" + HEADLAMP + "' in baskt.skus")
    await page.wait_for_selector("#condition-problem", timeout=WAIT)
    assert "Line 2, column" in await page.inner_text("#condition-where")
    assert "baskt" in await page.inner_text("#condition-problem")
    await check_screen(page, "admin-editor-condition-refused")
    await page.fill("#condition", f"member != null && '{HEADLAMP}' in basket.skus")
    await page.wait_for_selector("#condition-valid", timeout=WAIT)
    assert await page.query_selector("#condition-problem") is None

    # The effect from the form: 500 points more when the basket has a headlamp.
    await choose(page, "#effect-kind", "Points")
    await page.fill("#effect-value", "500")
    await page.click("#add-effect")
    await page.wait_for_selector("#effects >> text=+500 points", timeout=WAIT)
    assert await page.query_selector("#campaign-problem") is None

    # The dry run on Julia, with a basket of one headlamp: the effect, nothing given.
    julia = (await running.gql('{ lookupMember(kind: EMAIL, value: "julia@example.com") { id points { available } } }',
                               token=running.cashier)).ok()["lookupMember"]
    await page.fill("#dry-member", "julia@example.com")
    await page.fill("#dry-basket", '{"channel": "POS", "storeId": "st_portland", "lines": '
                                   f'[{{"sku": "{HEADLAMP}", "quantity": 1, "unitPrice": "59.90"}}]}}')
    await page.click("#dry-run")
    await page.wait_for_selector("#dry-result, #dry-error", timeout=WAIT)
    assert await page.query_selector("#dry-error") is None, await page.inner_text("#dry-error")
    assert "For Julia" in await page.inner_text("#dry-summary")
    assert "+500 pts" in await page.inner_text("#dry-result")
    await check_screen(page, "admin-editor-dry-run")
    await page.click("#save-campaign")
    await page.wait_for_selector("#admin-notice >> text=Saved", timeout=WAIT)
    assert "draft" in await page.inner_text("#admin-notice")
    await page.keyboard.press("Escape")
    card = page.locator(".campaign", has_text=name)
    await card.wait_for(timeout=WAIT)
    assert await card.get_attribute("data-status") == "DRAFT"
    after = (await running.gql('{ lookupMember(kind: EMAIL, value: "julia@example.com") { points { available } } }',
                               token=running.cashier)).ok()["lookupMember"]
    assert after["points"]["available"] == julia["points"]["available"]  # the dry run gave nothing

    # A draft changes no sale; activated, the next sale at the till shows it.
    campaign_id = (await card.get_attribute("id") or "").removeprefix("campaign-")
    basket = {"channel": "POS", "storeId": "st_portland", "memberId": julia["id"],
              "lines": [{"sku": HEADLAMP, "quantity": 1, "unitPrice": "59.90"}]}
    evaluate = "query($input: BasketInput!) { evaluateBasket(input: $input) { pointsToEarn effects { campaignId } } }"
    before = (await running.gql(evaluate, {"input": basket}, running.cashier)).ok()["evaluateBasket"]
    assert campaign_id not in [e["campaignId"] for e in before["effects"]]
    await page.click(f"#active-{campaign_id}")
    await page.wait_for_function(
        f"document.querySelector('#campaign-{campaign_id}').dataset.status == 'ACTIVE'", timeout=WAIT)
    sale = await running.gql(
        "mutation($input: CheckoutInput!) { checkout(input: $input) { pointsEarned evaluation { effects { "
        "campaignId points description } } } }",
        {"input": {"externalId": f"browser-admin-{time.time_ns()}", "basket": basket}}, running.cashier)
    checkout = sale.ok()["checkout"]
    ours = [e for e in checkout["evaluation"]["effects"] if e["campaignId"] == campaign_id]
    assert [e["points"] for e in ours] == [500]
    assert checkout["pointsEarned"] == before["pointsToEarn"] + 500

    # Ended (after a confirmation), it gives nothing more: the other screen tests' points stay theirs.
    await page.click(f"#ended-{campaign_id}")
    await check_screen(page, "admin-campaign-end-confirm")
    await page.click(f"#confirm-end-{campaign_id}")
    await page.wait_for_function(
        f"document.querySelector('#campaign-{campaign_id}').dataset.status == 'ENDED'", timeout=WAIT)
    again = (await running.gql(evaluate, {"input": basket}, running.cashier)).ok()["evaluateBasket"]
    assert campaign_id not in [e["campaignId"] for e in again["effects"]]


SHORTS = "SHT-SPLIT-5"  # a product no other browser test sells: the A/B test's campaign is about it


async def test_the_marketer_builds_an_ab_test_dry_runs_and_activates_it(running: Stack, pages: Pages) -> None:
    """Two variants built in the editor with the campaign's own effect form (a third added and
    removed, one changed), checked in words as they are made; the dry run gives Julia her
    variant's points; activated, the list shows both variants with their weights."""
    page = pages.desktop
    await sign_in_admin(running, page)
    await page.click("#new-campaign")
    await page.wait_for_selector("#campaign-editor", timeout=WAIT)
    name = f"Shorts A/B {time.time_ns() % 100_000}"
    await page.fill("#campaign-name", name)
    await page.fill("#condition", f"member != null && '{SHORTS}' in basket.skus")
    await page.wait_for_selector("#condition-valid", timeout=WAIT)

    async def add_variant(variant: str, weight: str, points: str | None) -> None:
        await page.click("#add-variant")
        await page.wait_for_selector("#variant-form", timeout=WAIT)
        await page.fill("#variant-name", variant)
        await page.fill("#variant-weight", weight)
        if points is not None:
            await choose(page, "#effect-kind", "Points")
            await page.fill("#effect-value", points)
            await page.click("#add-effect")
            await page.wait_for_selector(f"#variant-effects >> text=+{points} points", timeout=WAIT)
        await page.click("#save-variant")

    await add_variant("A", "2", "25")
    await page.wait_for_selector("#variant-form", state="detached", timeout=WAIT)
    # One variant alone is not an A/B test: said in words, and the draft cannot be saved yet.
    await page.wait_for_selector("#variants-problem >> text=at least two variants", timeout=WAIT)
    assert await page.is_disabled("#save-campaign")
    # A second "A" and a weight of 0 are refused in words before anything is sent.
    await add_variant("A", "0", "75")
    await page.wait_for_selector("#variant-error >> text=Another variant is called A", timeout=WAIT)
    await page.fill("#variant-name", "B")
    await page.click("#save-variant")
    await page.wait_for_selector("#variant-error >> text=whole number from 1", timeout=WAIT)
    await check_screen(page, "admin-editor-variant-refused")
    await page.fill("#variant-weight", "3")
    await page.click("#save-variant")
    await page.wait_for_selector("#variant-form", state="detached", timeout=WAIT)
    await page.wait_for_selector("#variants-problem", state="detached", timeout=WAIT)
    # A third (a control group, no effect) added, then removed; A's weight changed from 2 to 1.
    await add_variant("Control", "1", None)
    await page.wait_for_function("document.querySelectorAll('.variant-draft').length == 3", timeout=WAIT)
    await page.click("#remove-variant-2")
    await page.wait_for_function("document.querySelectorAll('.variant-draft').length == 2", timeout=WAIT)
    await page.click("#edit-variant-0")
    await page.wait_for_selector("#variant-form", timeout=WAIT)
    assert await page.input_value("#variant-name") == "A"
    assert await page.input_value("#variant-weight") == "2"
    await page.fill("#variant-weight", "1")
    await page.click("#save-variant")
    await page.wait_for_selector("#variant-form", state="detached", timeout=WAIT)
    drafts = page.locator(".variant-draft")
    assert "weight 1 · 25%" in await drafts.nth(0).inner_text()
    assert "+25 points" in await drafts.nth(0).inner_text()
    assert "weight 3 · 75%" in await drafts.nth(1).inner_text()
    assert "+75 points" in await drafts.nth(1).inner_text()
    assert await page.query_selector("#campaign-problem") is None
    await check_screen(page, "admin-editor-variants")

    # The dry run on Julia: exactly one variant's points (hers, stable), nothing given.
    await page.fill("#dry-member", "julia@example.com")
    await page.fill("#dry-basket", '{"channel": "POS", "storeId": "st_portland", "lines": '
                                   f'[{{"sku": "{SHORTS}", "quantity": 1, "unitPrice": "35.00"}}]}}')
    await page.click("#dry-run")
    await page.wait_for_selector("#dry-result, #dry-error", timeout=WAIT)
    assert await page.query_selector("#dry-error") is None, await page.inner_text("#dry-error")
    result = await page.inner_text("#dry-result")
    assert ("+25 pts" in result) != ("+75 pts" in result), result
    await page.click("#save-campaign")
    await page.wait_for_selector("#admin-notice >> text=Saved", timeout=WAIT)
    await page.keyboard.press("Escape")
    card = page.locator(".campaign", has_text=name)
    await card.wait_for(timeout=WAIT)
    campaign_id = (await card.get_attribute("id") or "").removeprefix("campaign-")
    await page.click(f"#active-{campaign_id}")
    await page.wait_for_function(
        f"document.querySelector('#campaign-{campaign_id}').dataset.status == 'ACTIVE'", timeout=WAIT)
    rows = card.locator(".variant")
    assert await rows.count() == 2
    assert "weight 1 (25%)" in await rows.nth(0).inner_text() and "A" in await rows.nth(0).inner_text()
    assert "weight 3 (75%)" in await rows.nth(1).inner_text() and "B" in await rows.nth(1).inner_text()
    assert "exposures" in await rows.nth(1).inner_text()
    saved = (await running.gql("{ campaigns { id status variants { name weight effects } } }",
                               token=running.token(Role.ADMIN, "browser-admin"))).ok()["campaigns"]
    mine = next(c for c in saved if c["id"] == campaign_id)
    assert mine["status"] == "ACTIVE"
    assert [(v["name"], v["weight"], len(v["effects"])) for v in mine["variants"]] == [("A", 1, 1), ("B", 3, 1)]
    await check_screen(page, "admin-campaign-ab-active")
    # Ended (after a confirmation): the other screen tests' points stay theirs.
    await page.click(f"#ended-{campaign_id}")
    await page.click(f"#confirm-end-{campaign_id}")
    await page.wait_for_function(
        f"document.querySelector('#campaign-{campaign_id}').dataset.status == 'ENDED'", timeout=WAIT)


async def test_the_rewards_catalogue_and_segments_in_the_admin(running: Stack, pages: Pages) -> None:
    for page, suffix in ((pages.desktop, ""), (pages.phone, "-phone")):
        await sign_in_admin(running, page)
        if suffix:
            await check_screen(page, "admin-campaigns-phone")
        await page.click("#tab-rewards")
        await page.wait_for_selector(".reward >> text=Coffee on us", timeout=WAIT)
        await check_screen(page, f"admin-rewards{suffix}")
        await page.click("#tab-segments")
        await page.wait_for_selector(".segment >> text=Portland regulars", timeout=WAIT)
        await check_screen(page, f"admin-segments{suffix}")
    page = pages.desktop
    # A new segment: saved, then counted in the background; the count shows without a reload.
    name = f"Headlamp fans {time.time_ns() % 100_000}"
    await page.click("#new-segment")
    await page.fill("#segment-name", name)
    await page.fill("#segment-condition", "lifetimePurchases >=")
    await page.click("#save-segment")
    await page.wait_for_selector("#segment-error", timeout=WAIT)
    assert "Line 1, column" in await page.inner_text("#segment-where")  # where the condition went wrong
    await page.fill("#segment-condition", "lifetimePurchases >= 0")
    await page.click("#save-segment")
    row = page.locator(".segment", has_text=name)
    await row.wait_for(timeout=WAIT)
    await page.wait_for_function(
        "name => [...document.querySelectorAll('.segment')].some(s => s.innerText.includes(name) && "
        "!s.innerText.includes('counting') && parseInt(s.querySelector('.segment-count').innerText.replace(/,/g, '')) > 0)",
        arg=name, timeout=60_000)


async def test_segment_counts_move_live_on_the_segments_tab(running: Stack, pages: Pages) -> None:
    """A member enters a segment (a checkout) and leaves it (a return): the count on the Segments
    tab follows without a reload, through the segmentUpdated subscription."""
    page = pages.desktop
    admin = running.token(Role.ADMIN, "browser-admin")
    segment_id = f"browser-live-{time.time_ns() % 1_000_000}"
    name = f"Boulder buyers {segment_id[-6:]}"
    upsert = "mutation($input: SegmentInput!) { upsertSegment(input: $input) { id } }"
    (await running.gql(upsert, {"input": {"id": segment_id, "name": name,
                                          "condition": "homeStoreId == 'st_boulder' && lifetimePurchases >= 1"}},
                       admin)).ok()
    await sign_in_admin(running, page)
    await page.click("#tab-segments")
    row = page.locator(".segment", has_text=name)
    await row.wait_for(timeout=WAIT)
    await page.wait_for_function(  # the background evaluation of the new condition is over
        "name => [...document.querySelectorAll('.segment')].some(s => s.innerText.includes(name) && "
        "!s.innerText.includes('counting'))", arg=name, timeout=60_000)
    before = number(await row.locator(".segment-count").inner_text())
    await page.evaluate("window.__sameLoad = true")
    await page.wait_for_timeout(1000)  # the admin's subscription is held
    member = await running.enroll("Boulder", homeStoreId="st_boulder")
    purchase = f"browser-live-{time.time_ns()}"
    (await running.checkout(member, purchase, [{"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": "24.00"}])).ok()
    count = "([name, n]) => [...document.querySelectorAll('.segment')].some(s => s.innerText.includes(name) && " \
            "parseInt(s.querySelector('.segment-count').innerText.replace(/,/g, '')) === n) && window.__sameLoad"
    await page.wait_for_function(count, arg=[name, before + 1], timeout=60_000)
    await check_screen(page, "admin-segments-live")
    back = await running.gql(
        "mutation($input: ReturnInput!) { recordReturn(input: $input) { pointsReversed } }",
        {"input": {"externalId": f"{purchase}-r", "purchaseExternalId": purchase,
                   "lines": [{"sku": "SOK-CREW-3PK", "quantity": 1}]}}, running.cashier)
    back.ok()
    await page.wait_for_function(count, arg=[name, before], timeout=60_000)


async def no_horizontal_overflow(page: Page, name: str) -> None:
    """Nothing wider than the screen: the page never scrolls sideways (and what sticks out is named)."""
    width, inner = await page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if width > inner:
        wide = await page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
        raise AssertionError(f"{name}: {width} px wide on a {inner} px screen; sticking out: {wide}")


async def test_the_admin_on_a_tablet(running: Stack, browser: Browser) -> None:
    """Every tab of the admin, and the editor with an A/B variant open, at 768 x 1024: nothing
    wider than the screen, no serious accessibility problem, a screenshot of each."""
    tablet = await offline_context(browser, **TABLET)
    try:
        page = await tablet.context.new_page()
        await sign_in_admin(running, page)

        async def check(name: str) -> None:
            await check_screen(page, name)
            await no_horizontal_overflow(page, name)

        await check("admin-campaigns-tablet")
        await page.click("#new-campaign")
        await page.wait_for_selector("#campaign-editor", timeout=WAIT)
        await page.fill("#campaign-name", "Tablet check (not saved)")
        await page.click("#add-variant")
        await page.wait_for_selector("#variant-form", timeout=WAIT)
        await choose(page, "#effect-kind", "Discount")
        await choose(page, "#effect-target", "These categories")
        await page.wait_for_selector("#effect-names", timeout=WAIT)
        await check("admin-editor-variant-tablet")
        await page.keyboard.press("Escape")
        await page.wait_for_selector("#campaign-editor", state="detached", timeout=WAIT)
        await page.click("#tab-rewards")
        await page.wait_for_selector(".reward >> text=Coffee on us", timeout=WAIT)
        await check("admin-rewards-tablet")
        await page.click("#tab-segments")
        await page.wait_for_selector(".segment >> text=Portland regulars", timeout=WAIT)
        await check("admin-segments-tablet")
        admin = running.token(Role.ADMIN, "browser-admin")
        hook = (await running.gql(
            "mutation($input: WebhookInput!) { upsertWebhook(input: $input) { id } }",
            {"input": {"url": f"https://hooks.example.com/tablet/{time.time_ns()}", "secret": "whsec-tablet-0123456789",
                       "subscription": 'subscription { offerIssued(memberId: "*") { id kind message } }'}},
            admin)).ok()["upsertWebhook"]["id"]
        try:
            await page.click("#tab-webhooks")
            await page.wait_for_selector(f"#webhook-{hook}", timeout=WAIT)
            await check("admin-webhooks-tablet")
            await page.click(f"#edit-webhook-{hook}")
            await page.wait_for_selector(f"#edit-webhook-url-{hook}", timeout=WAIT)
            await check("admin-webhook-edit-tablet")
        finally:
            (await running.gql("mutation($id: ID!) { deleteWebhook(id: $id) }", {"id": hook}, admin)).ok()
    finally:
        await tablet.context.close()
    assert tablet.outside == [], "a screen fetched something from the internet"


async def a_receiver() -> tuple[asyncio.AbstractServer, str]:
    """A local HTTP receiver that answers 204 to anything (dev lets webhooks reach loopback)."""
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65_536)
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/loyalty/{time.time_ns()}"


WEBHOOKS = "{ webhooks { id url active } }"


async def test_the_marketer_adds_pauses_and_deletes_a_webhook(running: Stack, pages: Pages) -> None:
    page = pages.desktop
    admin = running.token(Role.ADMIN, "browser-admin")
    server, receiver = await a_receiver()
    try:
        await sign_in_admin(running, page)
        await page.click("#tab-webhooks")
        await page.wait_for_selector("#webhook-subscription", timeout=WAIT)
        assert 'tierChanged(memberId: "*")' in await page.get_attribute("#webhook-subscription", "placeholder")
        await page.fill("#webhook-url", receiver)
        await page.fill("#webhook-secret", "whsec-browser-test-0123456789")
        # A document that is not a subscription: refused in words, nothing saved.
        await page.fill("#webhook-subscription", '{ member(id: "x") { id } }')
        await page.click("#add-webhook")
        error = page.locator("#webhook-error")
        await error.wait_for(timeout=WAIT)
        assert "subscription" in (await error.inner_text()).lower()
        await check_screen(page, "admin-webhook-refused")
        assert receiver not in str((await running.gql(WEBHOOKS, token=admin)).ok())

        await page.fill("#webhook-subscription",
                        'subscription { tierChanged(memberId: "*") { member { id givenName } from { name } to { name } at } }')
        await page.click("#add-webhook")
        row = page.locator(".webhook", has_text=receiver)
        await row.wait_for(timeout=WAIT)
        assert await page.query_selector("#webhook-error") is None
        assert "Active" in await row.inner_text()
        assert "tierChanged" in await row.locator(".webhook-document").inner_text()
        assert await page.input_value("#webhook-url") == ""  # the form is emptied for the next one
        saved = next(w for w in (await running.gql(WEBHOOKS, token=admin)).ok()["webhooks"] if w["url"] == receiver)
        assert saved["active"] is True
        await check_screen(page, "admin-webhooks")
        phone = pages.phone  # the same list on a phone, checked alike
        await sign_in_admin(running, phone)
        await phone.click("#tab-webhooks")
        await phone.locator(".webhook", has_text=receiver).wait_for(timeout=WAIT)
        await check_screen(phone, "admin-webhooks-phone")
        await no_horizontal_overflow(phone, "admin-webhooks-phone")

        # Pausing asks for nothing: the secret stays as it was (it is never shown back, nor typed again).
        await row.get_by_role("button", name="Pause").click()
        await row.locator(".webhook-status", has_text="Paused").wait_for(timeout=WAIT)
        assert await row.locator("input[type=password]").count() == 0
        listed = (await running.gql(WEBHOOKS, token=admin)).ok()["webhooks"]
        assert next(w for w in listed if w["id"] == saved["id"])["active"] is False
        # Editing the document without typing the secret: a wrong one in words first, then saved.
        await page.click(f"#edit-webhook-{saved['id']}")
        document = f"#edit-webhook-subscription-{saved['id']}"
        await page.wait_for_selector(document, timeout=WAIT)
        assert "tierChanged" in await page.input_value(document)
        assert await page.input_value(f"#edit-webhook-secret-{saved['id']}") == ""
        await page.fill(document, 'subscription { tierChanged(memberId: "*") { nope } }')
        await page.click(f"#save-webhook-{saved['id']}")
        await page.wait_for_selector("#webhook-edit-error", timeout=WAIT)
        assert "nope" in await page.inner_text("#webhook-edit-error")
        await check_screen(page, "admin-webhook-edit-refused")
        await page.fill(document, 'subscription { tierChanged(memberId: "*") { member { id } to { name } at } }')
        await page.click(f"#save-webhook-{saved['id']}")
        await page.wait_for_selector("#admin-notice >> text=its secret is unchanged", timeout=WAIT)
        await page.wait_for_selector(document, state="detached", timeout=WAIT)
        edited = (await running.gql("{ webhooks { id subscription active } }", token=admin)).ok()["webhooks"]
        mine = next(w for w in edited if w["id"] == saved["id"])
        assert "to { name } at" in mine["subscription"] and "from" not in mine["subscription"]
        assert mine["active"] is False  # the edit left the pause as it was
        await row.get_by_role("button", name="Resume").click()
        await row.locator(".webhook-status", has_text="Active").wait_for(timeout=WAIT)

        # Delete asks first; then the webhook is gone from the list and from the API.
        await page.click(f"#delete-webhook-{saved['id']}")
        await page.wait_for_selector(f"#confirm-delete-webhook-{saved['id']}", timeout=WAIT)
        assert saved["id"] in str((await running.gql(WEBHOOKS, token=admin)).ok())  # not yet deleted
        await page.click(f"#confirm-delete-webhook-{saved['id']}")
        await row.wait_for(state="detached", timeout=WAIT)
        assert saved["id"] not in str((await running.gql(WEBHOOKS, token=admin)).ok())
    finally:
        server.close()


async def test_a_member_redeems_a_reward_and_gets_the_coupon_with_its_qr_code(running: Stack, pages: Pages) -> None:
    page = pages.phone
    await open_wallet(running, page, "marcus@example.com")
    await check_screen(page, "wallet-home-phone")
    before = number(await page.inner_text("#balance-available"))
    await page.click("#tab-rewards")
    coffee = page.locator(".reward", has_text="Coffee on us")
    await coffee.wait_for(timeout=WAIT)
    assert before >= 250, "Marcus has points for a coffee in the demo"
    await check_screen(page, "wallet-rewards-phone")
    await coffee.get_by_role("button", name="Redeem").click()
    await page.wait_for_selector("#confirm-redeem", timeout=WAIT)
    await check_screen(page, "wallet-redeem-confirm-phone")
    await page.click("#confirm-redeem")
    await page.wait_for_selector("#coupon-qr", timeout=WAIT)
    code = (await page.inner_text("#coupon-code")).replace("-", "")
    assert re.fullmatch(r"[A-Z0-9]{10}", code)
    assert (await page.get_attribute("#coupon-qr", "src") or "").startswith("data:image/svg+xml")
    await check_screen(page, "wallet-coupon-phone")
    await page.keyboard.press("Escape")
    await page.wait_for_selector(f"#coupons >> text={code[:4]}", timeout=WAIT)
    coupon = (await running.gql("query($code: String!) { coupon(code: $code) { status description } }",
                                {"code": code}, running.cashier)).ok()["coupon"]
    assert coupon["status"] == "ACTIVE"  # the till will take it
    await page.click("#tab-home")
    await page.wait_for_function(
        f"(document.querySelector('#balance-available') || {{}}).innerText == '{before - 250:,}'", timeout=WAIT)


async def test_a_tier_upgrade_is_celebrated_and_its_gift_offer_toasts_live(running: Stack, pages: Pages) -> None:
    email = f"toast.{time.time_ns()}@example.com"
    member_id = await running.enroll("Robin", email=email, familyName="Toast")
    page = pages.phone
    await open_wallet(running, page, email)
    await page.click("#tab-offers")
    await page.wait_for_selector("text=No offers right now", timeout=WAIT)
    await check_screen(page, "wallet-offers-empty-phone")
    await page.click("#tab-home")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    # A big purchase (a supervisor's sale: above a cashier's limits) takes Robin to Silver at once.
    supervisor = running.token(Role.SUPERVISOR, "supervisor-test")
    sale = await running.gql(
        "mutation($input: CheckoutInput!) { checkout(input: $input) { pointsEarned } }",
        {"input": {"externalId": f"browser-upgrade-{time.time_ns()}", "basket": {
            "channel": "POS", "storeId": "st_portland", "memberId": member_id,
            "lines": [{"sku": "VST-HYDRO-8", "quantity": 9, "unitPrice": "129.00"}]}}}, supervisor)
    assert sale.ok()["checkout"]["pointsEarned"] >= 1000
    await page.wait_for_selector("#celebration-title", timeout=WAIT)
    assert "Silver" in await page.inner_text("#celebration-title")
    await check_screen(page, "wallet-tier-celebration-phone")
    await page.click("#end-celebration")
    toast = page.locator(".offer-toast").first
    await toast.wait_for(timeout=WAIT)
    assert "Welcome to Silver" in await toast.inner_text()
    await check_screen(page, "wallet-offer-toast-phone")
    assert navigations == []  # all of it live, no reload
    await toast.get_by_role("button", name="Get my coupon").click()
    await page.wait_for_selector("#notice, #offer-error", timeout=WAIT)
    assert await page.query_selector("#offer-error") is None, await page.inner_text("#offer-error")
    assert "Your coupon" in await page.inner_text("#notice")
    await page.click("#tab-offers")
    await page.wait_for_selector(".offer:not([data-status=ISSUED])", timeout=WAIT)
    assert "Your coupon" in await page.inner_text("#offers")
    await check_screen(page, "wallet-offers-phone")


async def test_the_privacy_centre_changes_a_consent_and_keeps_its_history(running: Stack, pages: Pages) -> None:
    page = pages.desktop
    await open_wallet(running, page, "aiko@example.com")
    await check_screen(page, "wallet-home-desktop")
    await page.click("#tab-privacy")
    switch = page.locator("#consent-pushMarketing")
    await switch.wait_for(timeout=WAIT)
    was_on = await switch.get_attribute("aria-checked") == "true"
    await switch.click()
    await page.wait_for_function(
        "document.querySelector('#consent-history') && document.querySelector('#consent-history').innerText"
        f".includes('Offers in the app turned {'off' if was_on else 'on'}')", timeout=WAIT)
    assert "by you" in await page.inner_text("#consent-history")
    consents = (await running.gql('{ lookupMember(kind: EMAIL, value: "aiko@example.com") { consents { '
                                  'pushMarketing } } }', token=running.cashier)).ok()["lookupMember"]["consents"]
    assert consents["pushMarketing"] is (not was_on)
    await check_screen(page, "wallet-privacy-desktop")
    async with page.expect_download() as download:
        await page.click("#download-data")
    saved = await (await download.value).path()
    assert saved is not None and b'"loyalty.member-export"' in open(saved, "rb").read()  # noqa: ASYNC230
    # Aiko is the demo's lapsing member: the win-back offer may arrive live as a toast meanwhile
    # (the lapse-scores job runs each minute); a member dismisses it to reach what is under it.
    for toast in await page.locator(".offer-toast").all():
        await toast.get_by_role("button", name="Dismiss").click()
    await page.click("#delete-account")
    await page.wait_for_selector("#confirm-erase", timeout=WAIT)
    assert await page.is_disabled("#confirm-erase")  # not before DELETE is typed
    await check_screen(page, "wallet-delete-confirm-desktop")
    await page.keyboard.press("Escape")


async def test_the_till_on_a_phone_and_a_desktop(running: Stack, pages: Pages) -> None:
    for page, suffix in ((pages.phone, "phone"), (pages.desktop, "desktop")):
        await page.goto(url(running, "/till"))
        await page.wait_for_selector("#staff-id", timeout=WAIT)
        await check_screen(page, f"till-sign-in-{suffix}")
        await page.fill("#staff-id", CASHIER.staff_id)
        await page.fill("#pin", CASHIER.pin)
        await page.click("#staff-sign-in")
        await page.wait_for_selector("#find-value", timeout=WAIT)
        await page.fill("#find-value", "503 555 0142")
        await page.click("#find")
        await page.wait_for_selector("#member-name", timeout=WAIT)
        await page.fill("#product-search", "flask")
        await page.click("#add-BTL-SOFT-500", timeout=WAIT)
        await page.wait_for_selector(".basket-line", timeout=WAIT)
        await page.wait_for_function("(document.querySelector('#preview-points') || {}).innerText > '0'",
                                     timeout=WAIT)
        await check_screen(page, f"till-basket-{suffix}")
