"""The wallet's rewards, offers and privacy rules (wallet_ui/wallet_api.py): what the member
can afford first, coupons and their QR code, offers in words with a reservation's store and
hold time, live offers merged in place, consent history in words."""
from __future__ import annotations

from datetime import UTC, datetime

from wallet_ui import wallet_api as api

COFFEE = {"id": "rwd_coffee", "name": "Coffee", "description": "A coffee", "pointsCost": 250, "stock": None,
          "couponAmount": "4.50", "couponPercent": None, "validDays": 30}
CAP = {"id": "rwd_cap", "name": "Trail Cap", "description": "A cap", "pointsCost": 3000, "stock": 2,
       "couponAmount": None, "couponPercent": 100.0, "validDays": 90}
GONE = {**CAP, "id": "rwd_gone", "name": "Gone", "pointsCost": 100, "stock": 0}


def test_affordable_rewards_come_first_and_the_rest_say_how_far() -> None:
    rows = api.reward_rows([CAP, COFFEE, GONE], available=1000)
    assert [r["id"] for r in rows] == ["rwd_coffee", "rwd_gone", "rwd_cap"]
    coffee, gone, cap = rows
    assert (coffee["affordable"], coffee["gives"], coffee["stock"]) == ("yes", "$4.50 off", "")
    assert (gone["affordable"], gone["stock"], gone["short"]) == ("", "Sold out", "")
    assert (cap["affordable"], cap["short"], cap["stock"], cap["gives"]) == ("", "2,000 more points", "Only 2 left",
                                                                           "100% off")


def test_a_coupon_reads_like_the_till_says_it_and_its_qr_holds_the_code() -> None:
    row = api.coupon_row({"code": "K7QM2XPA9D", "status": "ACTIVE", "description": "coffee on us",
                          "discountAmount": "4.50", "discountPercent": None, "expiresAt": "2027-01-30T00:00:00+00:00"})
    assert (row["pretty"], row["description"], row["expires"], row["active"]) == (
        "K7QM-2XPA-9D", "Coffee on us.", "Use by Jan 30, 2027", "yes")
    assert api.coupon_qr("K7QM2XPA9D").startswith("data:image/svg+xml")
    assert api.coupon_qr("") == ""


def offer(**fields: object) -> dict[str, object]:
    return {"id": "ofr_1", "kind": "RESERVATION", "status": "ISSUED", "message": "want us to reserve one?",
            "reason": "you viewed it 3 times", "expiresAt": "2026-12-02T10:00:00+00:00", "size": "M",
            "holdHours": 48, "couponCode": None, "product": {"name": "Aurora Jacket"},
            "store": {"name": "Portland Pearl District"}, **fields}


def test_a_reservation_offer_says_where_and_how_long() -> None:
    row = api.offer_row(offer())
    assert row["action"] == "Reserve one for me"
    assert row["hold"] == "Portland Pearl District holds it 2 days for you"
    assert (row["message"], row["reason"], row["open"]) == ("Want us to reserve one?", "You viewed it 3 times.", "yes")
    done = api.offer_row(offer(status="ACCEPTED"))
    assert (done["action"], done["open"], done["done"]) == (
        "", "", "Reserved: it waits for you at Portland Pearl District.")
    gift = api.offer_row(offer(kind="GIFT", status="REDEEMED", couponCode="K7QM2XPA9D", store=None, holdHours=0))
    assert gift["done"] == "Your coupon: K7QM-2XPA-9D" and gift["hold"] == ""


def test_a_live_offer_goes_on_top_and_a_known_one_changes_in_place() -> None:
    rows = [api.offer_row(offer())]
    rows = api.with_offer(rows, offer(id="ofr_2", kind="BONUS_POINTS"))
    assert [r["id"] for r in rows] == ["ofr_2", "ofr_1"]
    rows = api.with_offer(rows, offer(status="DECLINED"))
    assert [(r["id"], r["status"]) for r in rows] == [("ofr_2", "ISSUED"), ("ofr_1", "DECLINED")]


def test_consent_history_in_words_newest_first() -> None:
    changes = [
        {"purpose": "EMAIL_MARKETING", "granted": True, "at": "2026-01-02T10:00:00+00:00", "source": "POS",
         "actor": "cashier:ana.portland"},
        {"purpose": "PROFILING", "granted": False, "at": "2026-03-02T10:00:00+00:00", "source": "APP",
         "actor": "mbr_1"},
    ]
    rows = api.history_rows(changes, "mbr_1")
    assert [(r["what"], r["state"], r["how"]) for r in rows] == [
        ("Personalised offers", "turned off", "in the app by you"),
        ("Offers by email", "turned on", "at the till by our staff, at your request"),
    ]
    consents = api.consent_rows({"emailMarketing": True, "smsMarketing": False, "pushMarketing": False,
                                 "profiling": True})
    assert [(c["field"], c["on"]) for c in consents] == [("emailMarketing", "yes"), ("smsMarketing", ""),
                                                         ("pushMarketing", ""), ("profiling", "yes")]
    assert api.export_filename("2026-11-30T23:00:00+00:00") == "my-loyalty-data-2026-11-30.json"


def test_a_new_offer_toasts_and_one_answered_elsewhere_loses_its_toast() -> None:
    rows, toasts = api.after_offer_update([], [], offer())
    assert [(r["id"], r["status"]) for r in rows] == [("ofr_1", "ISSUED")]
    assert [t["id"] for t in toasts] == ["ofr_1"]
    rows, toasts = api.after_offer_update(rows, toasts, offer(id="ofr_2", kind="BONUS_POINTS"))
    assert [t["id"] for t in toasts] == ["ofr_2", "ofr_1"]  # the newest on top
    # Declined on another device: the list says so and its toast goes; the other toast stays.
    rows, toasts = api.after_offer_update(rows, toasts, offer(status="DECLINED"))
    assert [(r["id"], r["status"], r["open"], r["action"]) for r in rows] == [
        ("ofr_2", "ISSUED", "yes", "Yes, I'm in"), ("ofr_1", "DECLINED", "", "")]
    assert [t["id"] for t in toasts] == ["ofr_2"]
    # Taken elsewhere (a reservation held): no toast either, and never a toast again for it.
    rows, toasts = api.after_offer_update(rows, toasts, offer(id="ofr_2", kind="BONUS_POINTS", status="ACCEPTED"))
    assert toasts == []
    rows, toasts = api.after_offer_update(rows, toasts, offer(id="ofr_2", kind="BONUS_POINTS", status="ACCEPTED"))
    assert toasts == [] and len(rows) == 2


def test_at_most_three_toasts_the_newest_kept() -> None:
    toasts: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    for n in range(1, 6):
        rows, toasts = api.after_offer_update(rows, toasts, offer(id=f"ofr_{n}"))
    assert [t["id"] for t in toasts] == ["ofr_5", "ofr_4", "ofr_3"]
    assert len(rows) == 5


def test_offers_read_again_keep_only_the_toasts_still_open() -> None:
    rows = [api.offer_row(offer(id="ofr_1", status="DECLINED")), api.offer_row(offer(id="ofr_2"))]
    toasts = [api.offer_row(offer(id="ofr_1")), api.offer_row(offer(id="ofr_2")), api.offer_row(offer(id="ofr_3"))]
    assert [t["id"] for t in api.still_open(toasts, rows)] == ["ofr_2"]  # ofr_3 is no longer listed at all


def test_a_reservation_offer_says_how_long_the_store_holds_one_only_while_it_is_open() -> None:
    assert api.offer_row(offer())["hold"] == "Portland Pearl District holds it 2 days for you"
    for status in ("DECLINED", "EXPIRED", "REDEEMED"):
        assert api.offer_row(offer(status=status))["hold"] == "", status


def held(reservation_id: str, status: str) -> dict[str, str]:
    return {"id": reservation_id, "status": status, "store": "Portland Pearl District"}


def test_the_offers_tab_lists_open_offers_first_and_a_taken_reservation_says_what_became_of_it() -> None:
    rows = [api.offer_row(offer(id="ofr_1", status="REDEEMED", reservationId="rsv_1")),
            api.offer_row(offer(id="ofr_2", kind="BONUS_POINTS")),
            api.offer_row(offer(id="ofr_3", status="DECLINED"))]
    still, earlier = api.offers_as_shown(rows, [held("rsv_1", "HELD")])
    assert [r["id"] for r in still] == ["ofr_2"]
    assert [(r["id"], r["done"]) for r in earlier] == [
        ("ofr_1", "Reserved: it waits for you at Portland Pearl District."), ("ofr_3", "")]
    words = {status: api.offers_as_shown(rows, [held("rsv_1", status)])[1][0]["done"]
             for status in ("FULFILLED", "CANCELLED", "EXPIRED")}
    assert words == {
        "FULFILLED": "Picked up at Portland Pearl District.",
        "CANCELLED": "This reservation was cancelled: Portland Pearl District no longer holds it.",
        "EXPIRED": "This reservation has ended: Portland Pearl District no longer holds it.",
    }
    assert api.offers_as_shown(rows, [])[1][0]["done"] == "Reserved: it waits for you at Portland Pearl District."
    tones = {status: api.offers_as_shown(rows, [held("rsv_1", status)])[1][0]["done_muted"]
             for status in ("HELD", "FULFILLED", "CANCELLED", "EXPIRED")}
    assert tones == {"HELD": "", "FULFILLED": "", "CANCELLED": "yes", "EXPIRED": "yes"}


def test_offers_read_again_keep_what_arrived_live_meanwhile() -> None:
    read = [api.offer_row(offer(id="ofr_2")), api.offer_row(offer(id="ofr_1", status="ISSUED"))]
    current = [api.offer_row(offer(id="ofr_3")),  # issued after the read started: not listed yet
               api.offer_row(offer(id="ofr_2", status="ISSUED")),
               api.offer_row(offer(id="ofr_1", status="DECLINED"))]  # declined live while the read was under way
    rows = api.merged_offers(current, read)
    assert [(r["id"], r["status"]) for r in rows] == [("ofr_3", "ISSUED"), ("ofr_2", "ISSUED"), ("ofr_1", "DECLINED")]
    # The read is newer where it is further along (taken on another device, expired).
    later = [api.offer_row(offer(id="ofr_3", status="REDEEMED")), api.offer_row(offer(id="ofr_2", status="EXPIRED")),
             api.offer_row(offer(id="ofr_1", status="DECLINED"))]
    assert [(r["id"], r["status"]) for r in api.merged_offers(rows, later)] == [
        ("ofr_3", "REDEEMED"), ("ofr_2", "EXPIRED"), ("ofr_1", "DECLINED")]
    assert api.merged_offers([], read) == read


def tier(**fields: object) -> dict[str, object]:
    return {"current": {"name": "Gold"}, "reviewAt": "2027-03-01T12:00:00+00:00", "graceUntil": None,
            "pointsToKeep": 180, "keptUntil": None, **fields}


BEFORE_THE_REVIEW = datetime(2026, 12, 1, tzinfo=UTC)


def test_the_tier_card_says_when_the_review_is_and_what_keeps_the_tier() -> None:
    assert api.tier_review_words(tier(), BEFORE_THE_REVIEW) == (
        "Tier review on Mar 1, 2027", "Earn 180 more qualifying points by then to stay Gold")
    assert api.tier_review_words(tier(pointsToKeep=1234), BEFORE_THE_REVIEW)[1] == (
        "Earn 1,234 more qualifying points by then to stay Gold")


def test_a_tier_the_points_already_keep_says_until_when() -> None:
    assert api.tier_review_words(tier(pointsToKeep=0, keptUntil="2028-03-01T12:00:00+00:00"), BEFORE_THE_REVIEW) == (
        "Tier review on Mar 1, 2027", "Gold is yours until Mar 1, 2028")


def test_the_lowest_tier_has_no_review_to_show() -> None:
    assert api.tier_review_words(tier(current={"name": "Bronze"}, reviewAt=None, pointsToKeep=None),
                                 BEFORE_THE_REVIEW) == ("", "")


def test_in_the_grace_period_the_card_says_until_when_the_tier_stays() -> None:
    after = datetime(2027, 3, 2, tzinfo=UTC)
    assert api.tier_review_words(tier(graceUntil="2027-03-31T12:00:00+00:00"), after) == (
        "Tier review: Gold kept until Mar 31, 2027", "Earn 180 more qualifying points by then to stay Gold")


def test_a_review_due_but_not_yet_run_says_it_is_under_way() -> None:
    at_the_review = datetime(2027, 3, 1, 12, tzinfo=UTC)
    assert api.tier_review_words(tier(), at_the_review) == ("Tier review under way",
                                                             "180 qualifying points short of Gold")
    assert api.tier_review_words(tier(pointsToKeep=0, keptUntil="2028-03-01T12:00:00Z"), at_the_review) == (
        "Tier review under way", "Gold is yours until Mar 1, 2028")
