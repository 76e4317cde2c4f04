"""`validateCampaign` through the gateway: the admin screen checks a draft as the marketer
types, with the save's own checks and nothing saved; a condition's mistake comes with its
line and column, the effects' with their words; only admins may ask."""
from __future__ import annotations

import json

from core.auth import Role
from tests.support.stack import Stack

VALIDATE = """
query($input: CampaignInput!) { validateCampaign(input: $input) { field message line column } }
"""
GOOD_EFFECT = json.dumps({"type": "add_points", "points": 50})


def draft(**fields: object) -> dict[str, object]:
    return {"name": "Socks bonus", "trigger": "basket", "condition": "basket.subtotal >= 50.0",
            "effects": [GOOD_EFFECT], **fields}


async def test_a_draft_that_can_be_saved_has_no_problems_and_nothing_is_saved(stack: Stack) -> None:
    admin = stack.token(Role.ADMIN, "marketer")
    before = len((await stack.gql("{ campaigns { id } }", token=admin)).ok()["campaigns"])
    assert (await stack.gql(VALIDATE, {"input": draft()}, admin)).ok()["validateCampaign"] == []
    assert len((await stack.gql("{ campaigns { id } }", token=admin)).ok()["campaigns"]) == before


async def test_a_condition_mistake_has_its_line_and_column(stack: Stack) -> None:
    admin = stack.token(Role.ADMIN, "marketer")
    problems = (await stack.gql(VALIDATE, {"input": draft(condition="basket.subtotal >=\n  memb.tier == 'gold'")},
                                admin)).ok()["validateCampaign"]
    assert [p["field"] for p in problems] == ["condition"]
    assert problems[0]["line"] == 2 and problems[0]["column"] >= 1
    assert "memb" in problems[0]["message"]


async def test_the_condition_and_the_effects_are_both_reported(stack: Stack) -> None:
    admin = stack.token(Role.ADMIN, "marketer")
    problems = (await stack.gql(VALIDATE, {"input": draft(condition="basket.subtotal >= ",
                                                          effects=[json.dumps({"type": "discount", "percent": 140})])},
                                admin)).ok()["validateCampaign"]
    assert [p["field"] for p in problems] == ["condition", "effects"]
    assert problems[0]["line"] == 1
    assert problems[1]["line"] is None and "percent" in problems[1]["message"]


async def test_only_admins_check_campaigns(stack: Stack) -> None:
    refused = await stack.gql(VALIDATE, {"input": draft()}, stack.cashier)
    assert refused.codes == ["FORBIDDEN"]
