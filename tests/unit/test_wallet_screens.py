"""The wallet's rewards, offers and privacy rules (wallet_ui/wallet_api.py): what the member
can afford first, coupons and their QR code, offers in words with a reservation's store and
hold time, live offers merged in place, consent history in words."""
from __future__ import annotations

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
