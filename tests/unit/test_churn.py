"""The churn model: features as of a cut-off (the same rules as today's traits), the label,
the model document and its checks, scoring at the edges, the seed's lapsing histories, the
next best offer's propensity; and the model `loyalty train` fits on the seed beats its AUC
floor on the holdout."""
from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest

from loyalty.churn import AUC_FLOOR, MODEL_FILE, MODELS_DIR, tier_threshold_at, train_on_seed
from seed.members import HISTORY_DAYS, Behaviour, generated_members, purchase_days
from seed.program import TIERS
from subgraphs.profile.domain import churn
from subgraphs.profile.domain.churn import ChurnFeatures, ModelError, features_as_of, lapsed_after
from subgraphs.profile.domain.traits import MemberTraits, PurchaseRecord
from subgraphs.rewards.domain import offers

CUTOFF = datetime(2026, 9, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def bought(n: int, at: datetime, amount: str = "100.00", units: int = 1, returned_units: int = 0) -> PurchaseRecord:
    returned = Decimal(amount) * returned_units / units  # returned lines give back their share
    return PurchaseRecord(f"p-{n}", "mbr_1", at, Decimal(amount), units, returned, returned_units)


def document(**changes: object) -> dict:
    found = {"version": "churn-lr-test", "features": list(churn.FEATURES),
             "scaler": {"mean": [3.0, 0.5, 4.0, 2.0], "scale": [1.0, 0.5, 2.0, 3.0]},
             "coefficients": [1.5, -0.8, -0.3, -0.1], "intercept": -0.2, "horizon_days": 90}
    found.update(changes)
    return found


# --- features and label -------------------------------------------------------------------------


def test_features_as_of_a_cut_off_see_only_the_past() -> None:
    records = [bought(1, CUTOFF - 200 * DAY), bought(2, CUTOFF - 30 * DAY, "50.00"),
               bought(3, CUTOFF - DAY, "20.00", units=2, returned_units=2),  # brought back whole
               bought(4, CUTOFF + DAY, "999.00")]  # after the cut-off: the future
    found = features_as_of(records, CUTOFF, 1000)
    assert found == ChurnFeatures(recency_days=30, frequency_90d=1, monetary_365d=Decimal("150.00"),
                                  tier_threshold=1000)
    assert features_as_of([bought(4, CUTOFF)], CUTOFF, 0) is None  # nothing before the cut-off: no example
    assert features_as_of([], CUTOFF, 0) is None


def test_features_of_traits_need_a_purchase() -> None:
    never = MemberTraits(None, 0, Decimal(0), None, None)
    assert churn.features_of(never, 5000) is None
    some = MemberTraits(12, 2, Decimal("80.00"), None, CUTOFF)
    assert churn.features_of(some, None) == ChurnFeatures(12, 2, Decimal("80.00"), 0)  # no TierChanged yet: entry


def test_the_label_is_a_purchase_that_counts_within_the_horizon() -> None:
    horizon = timedelta(days=90)
    assert not lapsed_after([bought(1, CUTOFF)], CUTOFF, horizon)  # at the cut-off: inside
    assert not lapsed_after([bought(1, CUTOFF + horizon - timedelta(seconds=1))], CUTOFF, horizon)
    assert lapsed_after([bought(1, CUTOFF + horizon)], CUTOFF, horizon)  # the horizon's end is outside
    assert lapsed_after([bought(1, CUTOFF - DAY)], CUTOFF, horizon)
    assert lapsed_after([bought(1, CUTOFF + DAY, units=1, returned_units=1)], CUTOFF, horizon)  # brought back
    assert lapsed_after([], CUTOFF, horizon)


def test_the_tier_at_the_cut_off_qualifies_on_the_year_before_it() -> None:
    assert tier_threshold_at([], CUTOFF, TIERS) == 0
    year = [bought(n, CUTOFF - (10 + n) * DAY, "600.00") for n in range(2)]
    assert tier_threshold_at(year, CUTOFF, TIERS) == 1000  # 1,200 points: Silver
    old = [bought(n, CUTOFF - (400 + n) * DAY, "6000.00") for n in range(2)]
    assert tier_threshold_at(old, CUTOFF, TIERS) == 0  # more than a year ago: qualifies no more
    assert tier_threshold_at([bought(9, CUTOFF + DAY, "9000.00")], CUTOFF, TIERS) == 0  # the future


def test_feature_vector_is_bounded() -> None:
    far = churn.feature_vector(ChurnFeatures(10**9, 0, Decimal("-5"), -1))
    assert far == [math.log1p(churn.MAX_RECENCY_DAYS), 0.0, 0.0, 0.0]
    assert churn.feature_vector(ChurnFeatures(0, 3, Decimal("99"), 5000)) == [
        0.0, math.log1p(3), math.log1p(99), math.log1p(5000)]


# --- the model document and scoring --------------------------------------------------------------


def test_scoring_is_a_probability_at_the_edges() -> None:
    model = churn.model_from_document(document())
    assert churn.sigmoid(1000.0) == 1.0 and churn.sigmoid(-1000.0) == 0.0  # no overflow either way
    assert churn.sigmoid(0.0) == 0.5
    lapsed = model.score(ChurnFeatures(3650, 0, Decimal(0), 0))
    keen = model.score(ChurnFeatures(0, 30, Decimal("5000"), 15000))
    assert 0.0 <= keen < lapsed <= 1.0
    extreme = churn.model_from_document(document(coefficients=[1e6, 0, 0, 0]))
    assert extreme.score(ChurnFeatures(3650, 0, Decimal(0), 0)) == 1.0
    assert extreme.score(ChurnFeatures(0, 0, Decimal(0), 0)) == 0.0


@pytest.mark.parametrize("changes", [
    {"features": list(reversed(churn.FEATURES))},  # trained on another order: refused, not misread
    {"features": list(churn.FEATURES)[:3]},
    {"coefficients": [1.0, 2.0, 3.0]},
    {"coefficients": [1.0, float("nan"), 0.0, 0.0]},
    {"coefficients": [True, 0.0, 0.0, 0.0]},
    {"coefficients": "1,2,3,4"},
    {"scaler": {"mean": [0, 0, 0, 0], "scale": [1, 0, 1, 1]}},
    {"scaler": {"mean": [0, 0, 0, 0]}},
    {"scaler": None},
    {"intercept": None},
    {"intercept": float("inf")},
    {"version": ""},
    {"version": "x" * 65},
    {"horizon_days": 0},
    {"horizon_days": 90.5},
])
def test_a_model_document_that_cannot_be_used_is_refused(changes: dict) -> None:
    with pytest.raises(ModelError):
        churn.model_from_document(document(**changes))


def test_a_model_document_is_read_whole_and_exactly() -> None:
    model = churn.model_from_document(document(version="  churn-lr-7  ", horizon_days=3650))
    assert model == churn.ChurnModel("churn-lr-7", (3.0, 0.5, 4.0, 2.0), (1.0, 0.5, 2.0, 3.0),
                                     (1.5, -0.8, -0.3, -0.1), -0.2, 3650)
    assert churn.model_from_document(document(version="v" * churn.MAX_VERSION, horizon_days=1)).horizon_days == 1
    # the score is the logistic of the standardised features' weighted sum, term by term
    features = ChurnFeatures(10, 2, Decimal("120"), 1000)
    z = -0.2 + sum(c * (x - m) / s for x, m, s, c in zip(churn.feature_vector(features), model.mean, model.scale,
                                                          model.coefficients, strict=True))
    assert model.score(features) == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-12)
    assert churn.sigmoid(2.0) == pytest.approx(1 / (1 + math.exp(-2.0)), abs=1e-12)
    assert churn.sigmoid(-2.0) == pytest.approx(1 / (1 + math.exp(2.0)), abs=1e-12)


@pytest.mark.parametrize(("changes", "says"), [
    ({"features": ["x"]}, "the model's features ['x'] are not "),
    ({"version": "  "}, f"version: 1 to {churn.MAX_VERSION} characters"),
    ({"version": 7}, f"version: 1 to {churn.MAX_VERSION} characters"),
    ({"scaler": [1, 2]}, "scaler: {mean, scale}"),
    ({"scaler": {"mean": [0, 0, 0, 0], "scale": [1, -1, 1, 1]}}, "scale: above zero"),
    ({"scaler": {"mean": [0, 0, 0], "scale": [1, 1, 1, 1]}}, "mean: 4 numbers, one per feature"),
    ({"coefficients": [1, 2, 3, "4"]}, "coefficients: finite numbers only"),
    ({"intercept": True}, "intercept: finite numbers only"),
    ({"horizon_days": 3651}, "horizon_days: 1 to 3650"),
    ({"horizon_days": True}, "horizon_days: 1 to 3650"),
])
def test_a_refused_model_document_says_which_part(changes: dict, says: str) -> None:
    with pytest.raises(ModelError) as refused:
        churn.model_from_document(document(**changes))
    assert str(refused.value).startswith(says)


def test_a_model_document_must_be_an_object() -> None:
    with pytest.raises(ModelError):
        churn.model_from_document([1, 2, 3])


def test_the_committed_model_loads_and_says_recency_raises_the_risk() -> None:
    raw = orjson.loads((MODELS_DIR / MODEL_FILE).read_bytes())
    model = churn.model_from_document(raw)
    assert raw["metrics"]["auc"] >= AUC_FLOOR and (MODELS_DIR / "CARD.md").is_file()
    assert len((MODELS_DIR / MODEL_FILE).read_bytes()) < churn.MAX_MODEL_BYTES
    recent = model.score(ChurnFeatures(5, 2, Decimal("300"), 1000))
    stale = model.score(ChurnFeatures(200, 0, Decimal("300"), 1000))
    assert recent < stale


# --- the seed's histories ------------------------------------------------------------------------


def test_generated_histories_are_the_same_for_the_same_seed() -> None:
    first = [(m.email, [(p.days_ago, p.lines) for p in m.purchases]) for m in generated_members(300, seed=11)]
    again = [(m.email, [(p.days_ago, p.lines) for p in m.purchases]) for m in generated_members(300, seed=11)]
    other = [(m.email, [(p.days_ago, p.lines) for p in m.purchases]) for m in generated_members(300, seed=12)]
    assert first == again and first != other


def test_a_lapsing_member_buys_less_and_less_then_stops() -> None:
    behaviour = Behaviour("lapsing", rate=0.2, decay_from=300, half_life=30, stops_at=100)
    before = after = 0
    for n in range(50):
        days = purchase_days(random.Random(n), behaviour)
        assert days == sorted(days, reverse=True) and len(set(days)) == len(days)
        assert all(behaviour.stops_at <= d <= HISTORY_DAYS for d in days)
        before += sum(1 for d in days if d >= 300)  # 90 days at the full rate: about 18 (a day holds one)
        after += sum(1 for d in days if d < 300)  # 200 decaying days: 0.2 * 30 / ln 2 * (1 - 2^-6.7), 8.6
    assert 14 * 50 < before < 19 * 50 and 7 * 50 < after < 10 * 50
    assert purchase_days(random.Random(1), Behaviour("never")) == []
    steady = purchase_days(random.Random(1), Behaviour("steady", rate=0.05))
    assert steady and min(steady) < 60  # a steady buyer is still buying


def test_the_seed_mixes_buyers_and_lapsers() -> None:
    people = list(generated_members(2000, seed=2026))
    counts = [len(p.purchases) for p in people]
    assert 2 <= sum(counts) / len(counts) <= 5  # seeding 1,000 members stays quick
    recent = sum(1 for p in people if p.purchases and min(x.days_ago for x in p.purchases) < 90)
    lapsed = sum(1 for p in people if p.purchases and min(x.days_ago for x in p.purchases) >= 90)
    assert recent > 200 and lapsed > 200


# --- next best offer -----------------------------------------------------------------------------


def test_propensity_from_the_lapse_score() -> None:
    assert offers.propensity(None, 90, 48) == 1.0  # no score: every member alike
    assert offers.propensity(0.0, 90, 48) == 1.0
    assert offers.propensity(1.0, 90, 48) == 0.0
    assert offers.propensity(0.6, 90, 90 * 24) == pytest.approx(0.4)  # over the horizon: 1 - risk
    short, long_ = offers.propensity(0.6, 90, 24), offers.propensity(0.6, 90, 24 * 30)
    assert 0.0 < short < long_ < 1.0
    assert offers.propensity(0.2, 90, 24) > offers.propensity(0.8, 90, 24)
    assert offers.propensity(1.5, 90, 24) == 0.0 and offers.propensity(-1, 90, 24) == 1.0  # clamped
    assert 0.0 <= offers.propensity(0.5, 0, 0) <= 1.0


def test_the_next_best_offer_depends_on_the_member() -> None:
    # A 40-point offer for two weeks against a 15-point one for two months.
    def best(risk: float | None) -> int:
        return offers.pick([(offers.expected_value(Decimal(40), offers.propensity(risk, 90, 14 * 24)), "a"),
                            (offers.expected_value(Decimal(15), offers.propensity(risk, 90, 60 * 24)), "b")])

    assert best(None) == 0 and best(0.1) == 0  # no score, or a keen shopper: the bigger one
    assert best(0.8) == 1  # drifting away: the one that waits for them
    assert offers.expected_value(None, 0.5) == 0.5


def test_the_reason_says_why_in_words() -> None:
    assert offers.best_of_reason("R", 1, scored=True) == "R"
    assert offers.best_of_reason("R", 3, scored=False) == "R (the best of 3 offers for you now)"
    assert "how often you shop" in offers.best_of_reason("R", 2, scored=True)


# --- training -----------------------------------------------------------------------------------


def test_the_model_trained_on_the_seed_beats_the_floor_on_the_holdout() -> None:
    report = train_on_seed(6000, 2026, now=datetime(2026, 11, 30, tzinfo=UTC))
    assert report.holdout_size >= 500 and 0.1 < report.lapse_rate < 0.9
    assert report.auc >= AUC_FLOOR, report.metrics
    model = churn.model_from_document(report.document)  # what it writes is what profile reads
    assert model.version == report.document["version"] and model.horizon_days == 90
    again = train_on_seed(6000, 2026, now=datetime(2026, 11, 30, tzinfo=UTC))
    assert again.document["version"] == report.document["version"]  # same data, same model
