"""The wallet's reservation offer journey in real headless Chromium, against `loyalty up` itself,
for a member of its own (enrolled here: other tests' members and offers play no part): she views
the limited jacket three times (through the gateway, as the shop's app records views), the
engine's reservation offer arrives live as a toast with the store and how long it holds one; she
taps "Reserve one for me", the reservation shows in her wallet, ready to pick up; the store lets
it go (a cashier cancels it) and the wallet says so, all without a reload. An offer declined on
one device leaves the other device's wallet without a reload too, and a bonus offer a checkout used
stops being open. And the wallet at tablet width
(768 x 1024): every screen fits the width, passes axe-core and is reachable by keyboard."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page

from core.auth import Role
from tests.browser.conftest import Offline, check_screen, offline_context
from tests.support.stack import Stack

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2}
TABLET = {"viewport": {"width": 768, "height": 1024}}
WAIT = 30_000
JACKET = "JKT-AURORA-LTD"
EYEING = "Looks like you're eyeing this"  # the demo's reservation offer (seed/program.py: cmp_eyeing_reserve)
HOLDS = "Portland Pearl District holds it 2 days for you"
VIEW = "mutation($i: ProductViewInput!) { recordProductView(input: $i) }"
ENROL = "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }"


@pytest.fixture
async def contexts(running: Stack, browser: Browser) -> AsyncIterator[list[Offline]]:
    """Browser contexts (each its own storage: its own device), made by the test; every page
    reaches 127.0.0.1 only."""
    made: list[Offline] = []
    yield made
    for offline in made:
        await offline.context.close()
    assert all(offline.outside == [] for offline in made), "a screen fetched something from the internet"


async def new_page(browser: Browser, contexts: list[Offline], **options: object) -> Page:
    offline = await offline_context(browser, **options)
    contexts.append(offline)
    return await offline.context.new_page()


def url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.settings.wallet_port}/"


async def enrol(stack: Stack, given_name: str) -> tuple[str, str]:
    """A new member at the till of Portland (her home store, two jackets left in M there)."""
    email = f"{given_name.lower()}.{time.time_ns()}@example.org"
    member = (await stack.gql(ENROL, {"i": {"channel": "POS", "givenName": given_name, "familyName": "Tester",
                                            "email": email, "homeStoreId": "st_portland"}},
                              stack.cashier)).ok()["enrollMember"]["id"]
    return member, email


async def gateway_count(stack: Stack, metric: str) -> int:
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"http://127.0.0.1:{stack.settings.gateway_port}/metrics")).text
    return int(float(next(line.split()[1] for line in metrics.splitlines() if line.startswith(metric + " "))))


async def settled(stack: Stack) -> tuple[int, int]:
    """The gateway's (active, upstream) subscriptions once they stop changing: pages an earlier test
    closed let theirs go within a few seconds (the wallet checks its browser every 2 s)."""
    deadline = time.monotonic() + 30
    seen = (await gateway_count(stack, "gateway_active_subscriptions"),
            await gateway_count(stack, "gateway_upstream_subscriptions"))
    steady_since = time.monotonic()
    while time.monotonic() - steady_since < 5 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = (await gateway_count(stack, "gateway_active_subscriptions"),
               await gateway_count(stack, "gateway_upstream_subscriptions"))
        if now != seen:
            seen, steady_since = now, time.monotonic()
    return seen


async def open_wallet(stack: Stack, page: Page, email: str, *, first_page: bool = True) -> None:
    """Signs the member in (the demo sign-in) and waits until the page's four subscriptions are held
    at the gateway, and upstream at the subgraphs for the member's first page (a second page of the
    same member shares the gateway's upstream ones): what happens from now on reaches the page live."""
    held, upstream = await settled(stack)
    await page.goto(url(stack))
    await page.fill("#email", email, timeout=WAIT)
    await page.click("#sign-in")
    await page.wait_for_selector("#live", timeout=WAIT)
    deadline = time.monotonic() + 30
    while (await gateway_count(stack, "gateway_active_subscriptions") < held + 4
           or (first_page and await gateway_count(stack, "gateway_upstream_subscriptions") < upstream + 4)):
        assert time.monotonic() < deadline, "the wallet's subscriptions never reached the gateway"
        await asyncio.sleep(0.3)
    await asyncio.sleep(1.0)  # the gateway's upstream subscriptions reach the subgraphs


async def view_the_jacket_three_times(stack: Stack, member: str) -> None:
    """As the shop's app records views: a size each (a repeat of one size within minutes is not interest);
    the last, M, is the size the offer is for."""
    token = stack.token(Role.MEMBER, member)
    for size in ("S", "L", "M"):
        viewed = await stack.gql(VIEW, {"i": {"memberId": member, "sku": JACKET, "size": size, "channel": "APP"}},
                                 token)
        assert viewed.ok() == {"recordProductView": True}


async def fits_the_width(page: Page, name: str) -> None:
    """Nothing wider than the screen: no sideways scrolling."""
    wide, width = await page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert wide <= width, f"{name}: the page is {wide} px wide on a {width} px screen"


async def test_a_reservation_offer_arrives_live_is_taken_and_its_reservation_follows(
        running: Stack, browser: Browser, contexts: list[Offline]) -> None:
    member, email = await enrol(running, "Rosa")
    page = await new_page(browser, contexts, **PHONE)
    await open_wallet(running, page, email)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    await view_the_jacket_three_times(running, member)
    toast = page.locator(".offer-toast", has_text=EYEING)
    await toast.wait_for(timeout=WAIT)  # live: offerUpdated
    text = await toast.inner_text()
    assert HOLDS in text
    assert "You viewed the Aurora Limited Running Jacket 3 times this week" in text
    assert "Portland Pearl District" in text
    offer_id = (await toast.get_attribute("id") or "").removeprefix("toast-")
    assert offer_id
    reserve = page.locator(f"#toast-accept-{offer_id}")
    assert (await reserve.inner_text()).strip() == "Reserve one for me"
    assert await page.inner_text("#offers-count") == "1"
    await fits_the_width(page, "offer toast on a phone")
    await check_screen(page, "wallet-reservation-1-offer-toast-phone")

    await reserve.click()
    await page.wait_for_selector("#notice >> text=Reserved: it waits for you at Portland Pearl District.",
                                 timeout=WAIT)
    assert await page.get_attribute("#notice", "data-tone") == "green"
    await toast.wait_for(state="detached", timeout=WAIT)
    row = page.locator("#reservations [data-status]", has_text="Aurora Limited Running Jacket")
    await row.wait_for(timeout=WAIT)  # live: reservationUpdated
    assert await row.get_attribute("data-status") == "HELD"
    row_text = await row.inner_text()
    assert "Ready to pick up" in row_text and "Size M" in row_text and "Portland Pearl District" in row_text
    assert "Held until " in row_text
    reservation_id = (await row.get_attribute("id") or "").removeprefix("reservation-")
    listed = (await running.gql("{ me { reservations { id status size store { id } product { sku } } } }",
                                token=running.token(Role.MEMBER, member))).ok()["me"]["reservations"]
    assert listed == [{"id": reservation_id, "status": "HELD", "size": "M", "store": {"id": "st_portland"},
                       "product": {"sku": JACKET}}]
    assert await page.query_selector("#offers-count") is None  # nothing open any more
    await fits_the_width(page, "reservation on a phone")
    await check_screen(page, "wallet-reservation-2-held-phone")

    await page.click("#tab-offers")
    offer = page.locator(f"#earlier-offers #offer-{offer_id}")  # taken: no longer among the open ones
    await offer.wait_for(timeout=WAIT)
    assert await offer.get_attribute("data-status") == "REDEEMED"
    assert "Reserved: it waits for you at Portland Pearl District." in await offer.inner_text()
    assert await page.query_selector(f"#accept-{offer_id}") is None
    await check_screen(page, "wallet-reservation-3-offer-taken-phone")
    await page.click("#tab-home")

    # The store lets it go (the cashier cancels it): the wallet says so without a reload.
    cancelled = (await running.gql("mutation($id: ID!) { cancelReservation(id: $id) { id status } }",
                                   {"id": reservation_id}, running.cashier)).ok()["cancelReservation"]
    assert cancelled == {"id": reservation_id, "status": "CANCELLED"}
    row = page.locator(f"#reservation-{reservation_id}")
    await page.wait_for_function(
        f"document.querySelector('#reservation-{reservation_id}')?.dataset.status === 'CANCELLED'", timeout=WAIT)
    row_text = await row.inner_text()
    assert "Cancelled" in row_text and "Ready to pick up" not in row_text and "Held until" not in row_text
    # The notice that said it waits for her gives way to what happened.
    await page.wait_for_selector("#notice >> text=Your reservation of the Aurora Limited Running Jacket was "
                                 "cancelled: Portland Pearl District no longer holds it.", timeout=WAIT)
    assert "it waits for you" not in await page.inner_text("#notice")
    assert await page.get_attribute("#notice", "data-tone") == "gray"  # not good news: no green tick
    await check_screen(page, "wallet-reservation-4-cancelled-phone")
    await page.click("#tab-offers")
    taken = page.locator(f"#earlier-offers #offer-{offer_id}")
    await taken.wait_for(timeout=WAIT)
    taken_text = await taken.inner_text()
    assert "This reservation was cancelled: Portland Pearl District no longer holds it." in taken_text
    assert "it waits for you" not in taken_text and HOLDS not in taken_text
    assert navigations == []  # all of it live, no reload
    await check_screen(page, "wallet-reservation-5-offer-after-cancel-phone")


async def test_an_offer_declined_on_one_device_leaves_the_other_without_a_reload(
        running: Stack, browser: Browser, contexts: list[Offline]) -> None:
    member, email = await enrol(running, "Theo")
    phone = await new_page(browser, contexts, **PHONE)
    tablet = await new_page(browser, contexts, **TABLET)
    await open_wallet(running, phone, email)
    await open_wallet(running, tablet, email, first_page=False)
    navigations: list[str] = []
    tablet.on("framenavigated", lambda frame: navigations.append(frame.url))

    await view_the_jacket_three_times(running, member)
    for page in (phone, tablet):
        await page.locator(".offer-toast", has_text=EYEING).wait_for(timeout=WAIT)
    offer_id = (await tablet.locator(".offer-toast").first.get_attribute("id") or "").removeprefix("toast-")
    await tablet.click("#tab-offers")
    await tablet.wait_for_selector(f"#accept-{offer_id}", timeout=WAIT)
    assert await tablet.inner_text("#offers-count") == "1"

    # On the phone: "No thanks".
    await phone.click("#tab-offers")
    await phone.click(f"#decline-{offer_id}", timeout=WAIT)
    await phone.wait_for_selector("#notice >> text=Thanks, noted.", timeout=WAIT)

    # The tablet follows: the offer is declined, nothing left to take, the toast and the count gone.
    await tablet.wait_for_function(
        f"document.querySelector('#offer-{offer_id}')?.dataset.status === 'DECLINED'", timeout=WAIT)
    assert await tablet.query_selector(f"#accept-{offer_id}") is None
    assert await tablet.query_selector(f"#decline-{offer_id}") is None
    assert await tablet.query_selector(f"#toast-{offer_id}") is None
    assert await tablet.query_selector("#offers-count") is None
    declined = await tablet.inner_text(f"#earlier-offers #offer-{offer_id}")
    assert "Declined" in declined and HOLDS not in declined  # nothing is held for a declined offer
    assert navigations == []
    await check_screen(tablet, "wallet-offer-declined-elsewhere-tablet")


async def test_a_bonus_offer_used_at_the_till_stops_being_open_without_a_reload(
        running: Stack, browser: Browser, contexts: list[Offline]) -> None:
    """No offer event says a checkout used a bonus offer: the wallet reads its offers again when the
    balance changes while one is open."""
    member, email = await enrol(running, "Noor")
    page = await new_page(browser, contexts, **PHONE)
    await open_wallet(running, page, email)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    jacket = [{"sku": "JKT-TRAIL-SHELL", "quantity": 1, "unitPrice": "149.00", "size": "L"}]
    (await running.checkout(member, f"browser-bonus-jacket-{time.time_ns()}", jacket)).ok()
    toast = page.locator(".offer-toast", has_text="Double points on base layers")
    await toast.wait_for(timeout=WAIT)
    offer_id = (await toast.get_attribute("id") or "").removeprefix("toast-")
    await toast.get_by_role("button", name="Later").click()
    await page.wait_for_selector(f"#offers #offer-{offer_id}[data-status=ISSUED]", timeout=WAIT)
    assert await page.query_selector(f"#earlier-offers #offer-{offer_id}") is None
    assert await page.inner_text("#offers-count") == "1"

    tee = [{"sku": "TEE-MERINO-150", "quantity": 1, "unitPrice": "69.00", "size": "M"}]
    (await running.checkout(member, f"browser-bonus-tee-{time.time_ns()}", tee)).ok()
    used = page.locator(f"#earlier-offers #offer-{offer_id}")
    await used.wait_for(timeout=WAIT)
    assert await used.get_attribute("data-status") == "REDEEMED"
    assert await page.query_selector(f"#accept-{offer_id}") is None
    assert await page.query_selector("#offers-count") is None
    assert navigations == []
    await check_screen(page, "wallet-offer-used-at-the-till-phone")


TABS = ("home", "rewards", "offers", "privacy")


async def keyboard_reaches(page: Page, selector: str, presses: int = 80) -> None:
    """Tab from the top of the page until `selector` has the focus (every control is reachable)."""
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await page.mouse.click(1, 1)  # nothing there: the focus starts at the top
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement?.matches({selector!r}) ?? false"):
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


async def test_the_wallet_at_tablet_width(running: Stack, browser: Browser, contexts: list[Offline]) -> None:
    page = await new_page(browser, contexts, **TABLET)
    await page.goto(url(running))
    await page.wait_for_selector("#email", timeout=WAIT)
    await fits_the_width(page, "sign-in")
    await keyboard_reaches(page, "#email")
    await check_screen(page, "wallet-tablet-sign-in-1-email")
    await page.fill("#email", f"tablet.{time.time_ns()}@example.org")  # nobody's: the same answer for any address
    await page.keyboard.press("Enter")  # the form sends with the keyboard alone
    await page.wait_for_selector("#code", timeout=WAIT)
    await fits_the_width(page, "sign-in code")
    await check_screen(page, "wallet-tablet-sign-in-2-code")
    await page.click("#other-email")
    await page.wait_for_selector("#email", timeout=WAIT)

    # Julia: the demo member with the most to show (activity, benefits, reservations, offers).
    await page.fill("#email", "julia@example.com")
    await page.click("#sign-in")
    await page.wait_for_selector("#live", timeout=WAIT)
    await page.wait_for_selector("#activity", timeout=WAIT)
    # Two columns on a tablet: the balance beside the tier card, the activity across both.
    tier, balance, activity = [await page.locator(selector).bounding_box()
                               for selector in ("#tier-card", "#balance-pending", "#activity")]
    assert tier and balance and activity
    assert balance["x"] >= tier["x"] + tier["width"], (tier, balance)
    assert activity["width"] > tier["width"] * 1.5, (tier, activity)
    for tab in TABS:
        await keyboard_reaches(page, f"#tab-{tab}")
        await page.keyboard.press("Enter")
        await page.wait_for_function(
            f"document.querySelector('#tab-{tab}').getAttribute('aria-current') === 'page'", timeout=WAIT)
        ready = {"home": "#tier-card", "rewards": "#rewards .reward", "offers": "#offers, #no-offers",
                 "privacy": "#consents [role=switch]"}[tab]
        await page.wait_for_selector(ready, timeout=WAIT)
        await fits_the_width(page, tab)
        await check_screen(page, f"wallet-tablet-{tab}")

    # The member card opens from the keyboard and closes with Escape.
    await page.click("#tab-home")
    await keyboard_reaches(page, "#show-card")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#member-qr", timeout=WAIT)
    await fits_the_width(page, "member card")
    await check_screen(page, "wallet-tablet-card")
    await page.keyboard.press("Escape")
    await page.wait_for_selector("#member-qr", state="detached", timeout=WAIT)
    # The tab bar's bottom edge stays inside the screen, its labels whole.
    bar = await page.evaluate("""() => { const r = document.querySelector('#tab-privacy').getBoundingClientRect();
        return [r.right, r.bottom, window.innerWidth, window.innerHeight]; }""")
    assert bar[0] <= bar[2] and bar[1] <= bar[3], bar
    assert "Privacy" in await page.inner_text("#tab-privacy")
