from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.errors import BadUserInput
from core.vocabulary import Channel
from subgraphs.rewards.domain.basket import (
    MAX_LINES,
    Basket,
    BasketLine,
    money,
    purchase_description,
    validate_basket,
    validate_external_id,
)
from subgraphs.rewards.domain.evaluation import (
    Context,
    Effect,
    EffectKind,
    Evaluation,
    LineResult,
    earning_lines,
    evaluate,
    evaluation_facts,
    evaluation_from_facts,
    same_basket,
)
from subgraphs.rewards.domain.members import MemberFacts

KNOWN = Context(datetime(2026, 11, 30, 12, tzinfo=UTC), member=MemberFacts("mbr_test"))
ANON = Context(datetime(2026, 11, 30, 12, tzinfo=UTC))


def _basket(*lines, coupons=(), channel=Channel.POS):
    return Basket(channel, tuple(lines), store_id="st_1", coupon_codes=tuple(coupons))


TEE = BasketLine("TEE-1", 2, Decimal("24.00"), "M")
JACKET = BasketLine("JKT-1", 1, Decimal("149.00"))


def test_one_point_per_currency_unit_per_line():
    evaluation = evaluate(_basket(TEE, JACKET), KNOWN)
    assert evaluation.subtotal == Decimal("197.00")
    assert evaluation.discount == Decimal("0.00")
    assert evaluation.total == Decimal("197.00")
    assert evaluation.points_to_earn == 197
    assert evaluation.lines == (
        LineResult("1", "TEE-1", 2, Decimal("24.00"), "M", Decimal("48.00"), 48),
        LineResult("2", "JKT-1", 1, Decimal("149.00"), None, Decimal("149.00"), 149),
    )
    assert evaluation.effects == (Effect(EffectKind.ADD_POINTS, "197 points: 1 point per 1.00 spent", points=197),)


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount", "points"),
    [
        (1, "0.99", "0.99", 0),
        (3, "4.99", "14.97", 14),
        (1, "1.00", "1.00", 1),
        (1, "0", "0.00", 0),
        (3, "0.335", "1.01", 1),  # 1.005 rounds half up to 1.01
    ],
)
def test_points_are_floored_per_line(quantity, unit_price, amount, points):
    evaluation = evaluate(_basket(BasketLine("SKU", quantity, Decimal(unit_price))), KNOWN)
    assert evaluation.lines[0].amount == Decimal(amount)
    assert evaluation.lines[0].points == points
    assert evaluation.points_to_earn == points


def test_flooring_is_per_line_not_per_basket():
    # 0.60 + 0.60 = 1.20 would earn 1 point as a basket; per line each earns 0
    evaluation = evaluate(
        _basket(BasketLine("A", 1, Decimal("0.60")), BasketLine("B", 1, Decimal("0.60"))), KNOWN
    )
    assert evaluation.subtotal == Decimal("1.20")
    assert evaluation.points_to_earn == 0
    assert evaluation.effects == ()


def test_anonymous_basket_earns_nothing():
    evaluation = evaluate(_basket(TEE, JACKET), ANON)
    assert evaluation.points_to_earn == 0
    assert [line.points for line in evaluation.lines] == [0, 0]
    assert all(e.kind is not EffectKind.ADD_POINTS for e in evaluation.effects)
    assert evaluation.total == Decimal("197.00")


def test_money_rounds_half_up_to_cents():
    assert money(Decimal("1.005")) == Decimal("1.01")
    assert money(Decimal("1.004")) == Decimal("1.00")
    assert str(money(Decimal("7"))) == "7.00"


def test_subtotal_and_total_are_in_cents():
    evaluation = evaluate(
        _basket(BasketLine("A", 1, Decimal("0.125")), BasketLine("B", 2, Decimal("10"))), KNOWN
    )
    assert str(evaluation.subtotal) == "20.13"
    assert str(evaluation.total) == "20.13"


def test_unknown_coupon_codes_are_rejected_and_change_nothing():
    evaluation = evaluate(_basket(TEE, coupons=("save-10", "WELCOME")), KNOWN)
    assert evaluation.effects == (
        Effect(EffectKind.ADD_POINTS, "48 points: 1 point per 1.00 spent", points=48),
        Effect(EffectKind.COUPON_REJECTED, "coupon save-10: no such coupon", coupon_code="SAVE10"),
        Effect(EffectKind.COUPON_REJECTED, "coupon WELCOME: no such coupon", coupon_code="WELCOME"),
    )
    assert evaluation.total == Decimal("48.00")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((), "at least one line"),
        ((BasketLine("A", 0, Decimal("1")),), "line 1: quantity"),
        ((BasketLine("A", 10_001, Decimal("1")),), "line 1: quantity"),
        ((BasketLine("A", 1, Decimal("1")), BasketLine("B", -1, Decimal("1"))), "line 2: quantity"),
        ((BasketLine("A", 1, Decimal("-0.01")),), "line 1: unit price"),
        ((BasketLine("A", 1, Decimal("NaN")),), "line 1: unit price"),
        ((BasketLine("A", 1, Decimal("Infinity")),), "line 1: unit price"),
        ((BasketLine("  ", 1, Decimal("1")),), "line 1 has no SKU"),
        (tuple(BasketLine("A", 1, Decimal("1")) for _ in range(MAX_LINES + 1)), "at most 1000 lines"),
    ],
)
def test_validate_basket_errors(lines, message):
    with pytest.raises(BadUserInput, match=message) as caught:
        validate_basket(_basket(*lines))
    assert caught.value.details == {"field": "lines"}


def test_validate_basket_accepts_the_limits():
    basket = _basket(*(BasketLine("A" * 64, 10_000, Decimal("1000000"), "S" * 16) for _ in range(MAX_LINES)))
    assert validate_basket(basket) == basket


def test_evaluate_validates_the_basket():
    with pytest.raises(BadUserInput):
        evaluate(_basket(), KNOWN)


def test_validate_external_id():
    assert validate_external_id("  tx-42 ") == "tx-42"
    assert validate_external_id("x" * 128) == "x" * 128
    for bad in ("", "   ", "x" * 129):
        with pytest.raises(BadUserInput, match="externalId") as caught:
            validate_external_id(bad)
        assert caught.value.details == {"field": "externalId"}


def test_same_basket():
    evaluation = evaluate(_basket(TEE, JACKET), KNOWN)
    assert same_basket(evaluation, _basket(TEE, JACKET, coupons=("X",), channel=Channel.APP))
    assert same_basket(evaluation, _basket(BasketLine("TEE-1", 2, Decimal("24"), "M"), JACKET))
    assert not same_basket(evaluation, _basket(JACKET, TEE))
    assert not same_basket(evaluation, _basket(TEE))
    assert not same_basket(evaluation, _basket(BasketLine("TEE-1", 3, Decimal("24.00"), "M"), JACKET))
    assert not same_basket(evaluation, _basket(BasketLine("TEE-1", 2, Decimal("24.00"), "L"), JACKET))


def test_evaluation_facts_round_trip():
    evaluation = evaluate(
        _basket(TEE, JACKET, BasketLine("GUM", 1, Decimal("0.99")), coupons=("SAVE10",)), KNOWN
    )
    facts = evaluation_facts(evaluation)
    assert facts["subtotal"] == "197.99"
    assert facts["total"] == "197.99"
    assert facts["discount"] == "0.00"
    assert facts["points_to_earn"] == 197
    assert facts["effects"][1] == {
        "kind": "COUPON_REJECTED",
        "description": "coupon SAVE10: no such coupon",
        "amount": None,
        "points": None,
        "coupon_code": "SAVE10",
        "sku": None,
        "campaign_id": None,
    }
    assert facts["lines"][0] == {
        "line_id": "1",
        "sku": "TEE-1",
        "quantity": 2,
        "unit_price": "24.00",
        "size": "M",
        "amount": "48.00",
        "points": 48,
    }
    assert evaluation_from_facts(facts) == evaluation


def test_evaluation_facts_round_trip_keeps_effect_amounts():
    evaluation = evaluate(_basket(TEE), KNOWN)
    discounted = Evaluation(
        evaluation.subtotal,
        Decimal("5.00"),
        Decimal("43.00"),
        48,
        (Effect(EffectKind.DISCOUNT, "5 off", amount=Decimal("5.00"), sku="TEE-1", campaign_id="cmp_1"),),
        evaluation.lines,
    )
    assert evaluation_facts(discounted)["effects"][0]["amount"] == "5.00"
    assert evaluation_from_facts(evaluation_facts(discounted)) == discounted


def test_earning_lines_are_only_lines_with_points():
    evaluation = evaluate(_basket(BasketLine("GUM", 1, Decimal("0.99")), TEE, JACKET), KNOWN)
    assert [line.line_id for line in earning_lines(evaluation)] == ["2", "3"]
    assert earning_lines(evaluate(_basket(TEE), ANON)) == []


@pytest.mark.parametrize(
    ("channel", "description"),
    [
        (Channel.POS, "In-store purchase"),
        (Channel.ECOMMERCE, "Online purchase"),
        (Channel.APP, "In-app purchase"),
        (Channel.CRM, "Purchase"),
        (Channel.SYSTEM, "Purchase"),
    ],
)
def test_purchase_description(channel, description):
    assert purchase_description(channel) == description
