"""The wallet's activity list under live updates: a maturing (same entry id) is not
listed twice."""
from wallet_ui.state import with_entry


def _entry(entry_id: str, points: int = 10) -> dict:
    return {"id": entry_id, "kind": "EARN", "points": points, "description": "Online purchase",
            "occurredAt": "2026-11-30T10:00:00+00:00"}


def test_a_new_entry_goes_on_top():
    activity = with_entry([], _entry("led_1"))
    activity = with_entry(activity, _entry("led_2", -5))
    assert [(row["id"], row["points"]) for row in activity] == [("led_2", "-5"), ("led_1", "+10")]


def test_an_entry_already_listed_is_not_listed_twice():
    activity = with_entry(with_entry([], _entry("led_1")), _entry("led_2"))
    assert with_entry(activity, _entry("led_1")) is activity


def test_the_list_keeps_its_length():
    activity: list = []
    for n in range(12):
        activity = with_entry(activity, _entry(f"led_{n}"), limit=10)
    assert [row["id"] for row in activity] == [f"led_{n}" for n in range(11, 1, -1)]
