"""The admin screen's pure rules (wallet_ui/admin_api.py): effects built from the form are
the engine's own specs (each parses with the engine's parser), effects and budgets in words,
campaign rows with A/B rates, the CampaignInput the editor sends."""
from __future__ import annotations

import json

import pytest

from subgraphs.rewards.domain.effects import parse_effect
from wallet_ui import admin_api as api


@pytest.mark.parametrize(("form", "spec"), [
    ({"kind": "discount", "measure": "percent", "value": "10", "target": "cart"}, {"type": "discount", "percent": 10}),
    ({"kind": "discount", "measure": "amount", "value": "5", "target": "cart"}, {"type": "discount", "amount": "5.00"}),
    ({"kind": "discount", "measure": "percent", "value": "15", "target": "per_line"},
     {"type": "discount", "percent": 15, "per_line": True}),
    ({"kind": "discount", "measure": "amount", "value": "2", "target": "categories", "names": "Accessories, Socks"},
     {"type": "discount", "amount": "2.00", "categories": ["Accessories", "Socks"]}),
    ({"kind": "add_points", "measure": "points", "value": "100", "target": "cart"}, {"type": "add_points", "points": 100}),
    # fixed points go to the whole basket: a target left over from a multiplier is not sent
    ({"kind": "add_points", "measure": "points", "value": "100", "target": "skus", "names": "SOK-CREW-3PK"},
     {"type": "add_points", "points": 100}),
    ({"kind": "add_points", "measure": "multiplier", "value": "2", "target": "skus", "names": "SOK-CREW-3PK"},
     {"type": "add_points", "multiplier": 2, "skus": ["SOK-CREW-3PK"]}),
    ({"kind": "add_points", "measure": "multiplier", "value": "1.5", "target": "cart"},
     {"type": "add_points", "multiplier": 1.5}),
    ({"kind": "free_shipping"}, {"type": "free_shipping"}),
    ({"kind": "issue_coupon", "measure": "amount", "value": "10", "valid_days": "60", "description": "10 off"},
     {"type": "issue_coupon", "amount": "10.00", "valid_days": 60, "description": "10 off"}),
])
def test_the_form_builds_the_engines_specs(form: dict[str, str], spec: dict[str, object]) -> None:
    text = api.effect_spec(form)
    assert json.loads(text) == spec
    parse_effect(text, basket=form["kind"] != "issue_coupon")  # the engine takes it as it is


@pytest.mark.parametrize(("form", "words"), [
    ({"kind": "discount", "measure": "percent", "value": "120"}, "at most 100"),
    ({"kind": "discount", "measure": "percent", "value": "ten"}, "is a number"),
    ({"kind": "discount", "measure": "percent", "value": "-5"}, "more than zero"),
    ({"kind": "add_points", "measure": "points", "value": "2.5"}, "whole numbers"),
    ({"kind": "discount", "measure": "percent", "value": "10", "target": "skus", "names": " , "}, "Name the SKUs"),
    ({"kind": "nonsense"}, "choose what the effect gives"),
])
def test_the_form_says_what_is_wrong_in_words(form: dict[str, str], words: str) -> None:
    with pytest.raises(api.FormError, match=words):
        api.effect_spec(form)


@pytest.mark.parametrize(("spec", "words"), [
    ({"type": "discount", "percent": 20, "skus": ["JKT-AURORA-LTD"]}, "20% off on JKT-AURORA-LTD"),
    ({"type": "discount", "amount": "5.00"}, "$5.00 off the basket"),
    ({"type": "add_points", "multiplier": 2, "categories": ["Hydration"]}, "2x points on Hydration"),
    ({"type": "add_points", "points": 1500}, "+1,500 points"),
    ({"type": "free_shipping"}, "Free shipping"),
    ({"type": "issue_coupon", "amount": "10.00", "valid_days": 60}, "A coupon: $10.00 off, valid 60 days"),
    ({"type": "issue_offer", "kind": "RESERVATION", "message": "Want one held?"},
     "An offer (reservation): Want one held?"),
])
def test_effects_read_as_words(spec: dict[str, object], words: str) -> None:
    assert api.effect_words(json.dumps(spec)) == words


def test_effects_the_screen_cannot_read_are_never_shown_raw() -> None:
    assert api.effect_words("{not json") == "An effect the screen cannot read"
    assert api.effect_words("[1, 2]") == "An effect the screen cannot read"


def test_a_campaign_row_has_its_budget_variants_and_next_statuses() -> None:
    row = api.campaign_row({
        "id": "cmp_1", "name": "Shoe bonus", "status": "ACTIVE", "trigger": "basket", "version": 3,
        "effects": [json.dumps({"type": "add_points", "points": 25})],
        "budget": {"limit": 100_000, "used": 3_000, "unit": "points"},
        "variants": [{"name": "A", "weight": 50, "effects": [json.dumps({"type": "add_points", "points": 25})],
                      "exposures": 40, "conversions": 10},
                     {"name": "B", "weight": 50, "effects": [], "exposures": 0, "conversions": 0}],
        "updatedAt": None,
    })
    assert (row.version, row.status_words, row.tone) == ("v3", "Active", "green")
    assert row.budget == "3,000 of 100,000 points" and row.budget_percent == 3
    assert [(v.name, v.exposures, v.conversions, v.rate) for v in row.variants] == [
        ("A", "40", "10", "25.0%"), ("B", "0", "0", "no data yet")]
    assert [(v.share, v.effects) for v in row.variants] == [("50%", "+25 points"),
                                                            ("50%", "Nothing more (a control group)")]
    assert [a.status for a in row.actions] == ["PAUSED", "ENDED"]
    assert api.budget_words({"limit": 50_000, "used": 1_250, "unit": "discount_cents"}) == "$12.50 of $500.00"
    assert api.campaign_row({**{"id": "c", "name": "n", "trigger": "basket", "version": 1, "effects": []},
                             "status": "ENDED"}).actions == []


def test_the_editor_sends_a_campaign_input_with_its_variants() -> None:
    variants = [{"name": "A", "weight": 1, "effects": ["{}"], "exposures": 3, "conversions": 1},
                {"name": " B ", "weight": "3", "effects": []}]
    sent = api.campaign_input({"name": " Socks ", "trigger": "basket", "condition": "true", "priority": "5",
                               "cap": "2", "budget_limit": "1000", "budget_unit": "points", "audience": "seg_1",
                               "personalized": True}, ["{\"type\": \"free_shipping\"}"], campaign_id="cmp_9",
                              variants=variants)
    assert sent == {"name": "Socks", "trigger": "basket", "condition": "true",
                    "effects": ["{\"type\": \"free_shipping\"}"], "personalized": True, "exclusive": False,
                    "priority": 5, "perMemberCap": 2, "budget": {"limit": 1000, "unit": "points"},
                    "audience": "seg_1", "id": "cmp_9", "variants": [{"name": "A", "weight": 1, "effects": ["{}"]},
                                                                     {"name": "B", "weight": 3, "effects": []}]}
    assert "variants" not in api.campaign_input({"name": "n"}, ["{}"], variants=[])  # removing them all: no A/B test
    with pytest.raises(api.FormError, match="at least two variants"):
        api.campaign_input({"name": "n"}, ["{}"], variants=variants[:1])
    assert "audience" not in api.campaign_input({"audience": "everyone"}, [])
    with pytest.raises(api.FormError, match="whole number"):
        api.campaign_input({"cap": "two"}, [])


def test_a_reward_form_becomes_a_reward_input() -> None:
    assert api.reward_input({"name": "Free coffee", "cost": "250", "measure": "amount", "value": "4.5",
                             "stock": "", "valid_days": "30", "active": "yes"}) == {
        "name": "Free coffee", "description": "Free coffee", "pointsCost": 250, "active": True,
        "couponAmount": "4.50", "validDays": 30}
    with pytest.raises(api.FormError, match="at least 1"):
        api.reward_input({"name": "x", "cost": "0"})


def test_a_condition_problem_reads_without_repeating_its_position() -> None:
    problem = {"field": "condition", "message": "condition, line 2, column 21: unknown variable 'baskt'",
               "line": 2, "column": 21}
    assert api.problem_words(problem) == "Unknown variable 'baskt'."
    assert api.problem_words({"message": "effect 1: percent is between 0 and 100"}) == (
        "Effect 1: percent is between 0 and 100.")


def test_a_new_webhook_needs_url_secret_and_document() -> None:
    form = {"url": " https://hooks.example.com/x ", "secret": "whsec-0123456789abcdef", "subscription": " s "}
    assert api.webhook_input(form) == {"url": "https://hooks.example.com/x", "secret": "whsec-0123456789abcdef",
                                       "subscription": "s", "active": True}
    for missing, says in (("url", "URL"), ("secret", "secret"), ("subscription", "subscription document")):
        with pytest.raises(api.FormError, match=says):
            api.webhook_input({**form, missing: ""})


def test_a_webhook_change_sends_no_secret_unless_a_new_one_is_typed() -> None:
    # Pausing or resuming: the id and the flag, nothing else (the API keeps the rest, the secret too).
    assert api.webhook_change("whk_1", active=False) == {"id": "whk_1", "active": False}
    assert api.webhook_change("whk_1", active=True) == {"id": "whk_1", "active": True}
    edited = api.webhook_change("whk_1", {"url": " https://a.example/h ", "subscription": "s", "secret": ""})
    assert edited == {"id": "whk_1", "url": "https://a.example/h", "subscription": "s"}
    rotated = api.webhook_change("whk_1", {"url": "https://a.example/h", "subscription": "s",
                                           "secret": "whsec-new-0123456789"})
    assert rotated["secret"] == "whsec-new-0123456789"
    with pytest.raises(api.FormError, match="URL"):
        api.webhook_change("whk_1", {"url": " ", "subscription": "s"})
    with pytest.raises(api.FormError, match="subscription document"):
        api.webhook_change("whk_1", {"url": "https://a.example/h", "subscription": ""})


VARIANT = {"name": "A", "weight": "1", "effects": []}


@pytest.mark.parametrize(("variants", "says"), [
    ([], ""),
    ([VARIANT, {**VARIANT, "name": "B"}], ""),
    ([{**VARIANT, "name": chr(ord("A") + n), "weight": "1000"} for n in range(10)], ""),
    ([VARIANT], "at least two variants"),
    ([{**VARIANT, "name": chr(ord("A") + n)} for n in range(11)], "at most 10 variants"),
    ([VARIANT, {**VARIANT, "name": " A "}], "A is used twice"),
    ([VARIANT, {**VARIANT, "name": "  "}], "needs a name"),
    ([VARIANT, {**VARIANT, "name": "B", "weight": "0"}], "B: a variant's weight is a whole number from 1 to 1,000"),
    ([VARIANT, {**VARIANT, "name": "B", "weight": "1001"}], "from 1 to 1,000"),
    ([VARIANT, {**VARIANT, "name": "B", "weight": "-2"}], "from 1 to 1,000"),
    ([VARIANT, {**VARIANT, "name": "B", "weight": "1.5"}], "whole number"),
])
def test_the_variants_as_a_whole_are_checked_in_words(variants: list[dict[str, object]], says: str) -> None:
    problem = api.variants_problem(variants)
    assert (says in problem) if says else problem == ""
    assert problem == "" or problem.endswith(".")
    if problem:
        with pytest.raises(api.FormError):
            api.variants_input(variants)
    else:
        assert [v["weight"] for v in api.variants_input(variants)] == [int(str(v["weight"])) for v in variants]


@pytest.mark.parametrize(("name", "weight", "others", "says"), [
    ("", "1", [], "Give the variant a name"),
    ("x" * 101, "1", [], "at most 100 characters"),
    ("B", "1", ["A", "B "], "Another variant is called B"),
    ("B", "", [], "whole number from 1"),
    ("B", "ten", [], "whole number from 1"),
    ("B", "0", [], "whole number from 1"),
])
def test_a_variant_form_says_what_is_wrong(name: str, weight: str, others: list[str], says: str) -> None:
    with pytest.raises(api.FormError, match=says):
        api.variant_draft(name, weight, [], others)


def test_a_variant_from_the_form_keeps_its_effects_and_its_share_follows_the_weights() -> None:
    spec = api.effect_spec({"kind": "add_points", "measure": "points", "value": "75"})
    assert api.variant_draft(" Bonus 75 ", " 3 ", [spec], ["A"]) == {"name": "Bonus 75", "weight": 3,
                                                                     "effects": [spec]}
    listed = api.variant_list([{"name": "A", "weight": "1"}, {"name": "B", "weight": "3"}])
    assert [v["share"] for v in listed] == ["25%", "75%"]
    assert [v["share"] for v in api.variant_list([{"name": "A", "weight": "1"}, {"name": "B", "weight": "2"}])] == [
        "33%", "67%"]
    assert api.variant_list([]) == []
    assert api.variant_counts_words({"exposures": 4, "conversions": 1}) == "4 exposures, 1 conversion (25.0%)"
    assert api.variant_counts_words({"exposures": 0, "conversions": 0}) == "No exposures yet"


def test_a_live_segment_update_replaces_its_row_in_place() -> None:
    rows = [api.segment_row({"id": s, "name": s.upper(), "condition": "true", "members": 1, "evaluating": False})
            for s in ("seg_a", "seg_b")]
    moved = api.with_segment(rows, {"id": "seg_b", "name": "SEG_B", "condition": "true", "members": 1234,
                                    "evaluating": False, "updatedAt": None})
    assert [(r["id"], r["members"], r["members_word"]) for r in moved] == [("seg_a", "1", "member"),
                                                                           ("seg_b", "1,234", "members")]
    added = api.with_segment(rows, {"id": "seg_c", "name": "New", "condition": "true", "members": 0,
                                    "evaluating": True})
    assert [r["id"] for r in added] == ["seg_a", "seg_b", "seg_c"] and added[2]["evaluating"] == "yes"
    assert rows[1]["members"] == "1"  # the list given is left as it was
