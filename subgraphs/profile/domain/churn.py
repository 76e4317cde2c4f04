"""The churn model: who is likely to stop buying. No I/O here.

The features are a member's traits (recency, frequency, monetary: `traits.traits_as_of`) and
their tier, computed the same way when the model is trained (`loyalty train`: each member's
purchases before a cut-off date) and when it scores (profile's `lapse-scores` job: today's
traits), so the model never sees one thing in training and another in service.

The model itself is data: a small JSON document (models/churn.json) with a scaler and a
logistic regression's coefficients, written by `loyalty train` with scikit-learn and read here
with nothing but `math`: no pickle (loading a pickle runs code), no numpy in the serving
processes. A member who never bought has no recency and gets no score: nothing to lapse from.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .traits import MemberTraits, PurchaseRecord, totals_of, traits_as_of

# The model's inputs, in this order, each as `feature_vector` makes it from ChurnFeatures.
FEATURES = ("log_recency_days", "log_frequency_90d", "log_monetary_365d", "log_tier_threshold")
MAX_RECENCY_DAYS = 3650  # ten years: older is as lapsed as it gets (and bounds the log)
MAX_MODEL_BYTES = 64 * 1024
MAX_VERSION = 64


@dataclass(frozen=True, slots=True)
class ChurnFeatures:
    recency_days: int  # whole days since the last purchase that counts
    frequency_90d: int
    monetary_365d: Decimal
    tier_threshold: int  # the member's tier's qualifying points (0: the entry tier)


def features_of(traits: MemberTraits, tier_threshold: int | None) -> ChurnFeatures | None:
    """A member's features from their traits and tier; None for a member who never bought."""
    if traits.recency_days is None:
        return None
    return ChurnFeatures(traits.recency_days, traits.frequency_90d, traits.monetary_365d, max(0, tier_threshold or 0))


def features_as_of(records: Iterable[PurchaseRecord], cutoff: datetime, tier_threshold: int | None
                   ) -> ChurnFeatures | None:
    """The features a member had at `cutoff`, from their purchase records (those made before it):
    training's view of the past, through the very rules that compute today's traits."""
    before = [r for r in records if r.known and r.occurred_at is not None and r.occurred_at < cutoff]
    if not before:
        return None
    member_id = before[0].member_id
    traits = traits_as_of(cutoff, totals_of(member_id, before), before, lapse_score=None, profiling=False)
    return features_of(traits, tier_threshold)


def lapsed_after(records: Iterable[PurchaseRecord], cutoff: datetime, horizon: timedelta) -> bool:
    """The label: no purchase that counts in the `horizon` after `cutoff`."""
    return not any(r.counts and r.occurred_at is not None and cutoff <= r.occurred_at < cutoff + horizon
                   for r in records)


def feature_vector(features: ChurnFeatures) -> list[float]:
    """The model's inputs (FEATURES): logs, since a tenth purchase says less than a second."""
    return [
        math.log1p(min(max(features.recency_days, 0), MAX_RECENCY_DAYS)),
        math.log1p(max(features.frequency_90d, 0)),
        math.log1p(max(float(features.monetary_365d), 0.0)),
        math.log1p(max(features.tier_threshold, 0)),
    ]


class ModelError(ValueError):
    """A model document that cannot be used (wrong features, not numbers, too big)."""


@dataclass(frozen=True, slots=True)
class ChurnModel:
    """A standardising scaler and a logistic regression: P(no purchase in `horizon_days`)."""

    version: str
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    horizon_days: int

    def score(self, features: ChurnFeatures) -> float:
        """The probability the member lapses, 0..1."""
        z = self.intercept
        for x, mean, scale, coefficient in zip(feature_vector(features), self.mean, self.scale, self.coefficients,
                                               strict=True):
            z += coefficient * (x - mean) / scale
        return sigmoid(z)


def sigmoid(z: float) -> float:
    """1 / (1 + e^-z) without overflow at either end."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _numbers(document: Mapping[str, Any], key: str) -> tuple[float, ...]:
    values = document.get(key)
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != len(FEATURES):
        raise ModelError(f"{key}: {len(FEATURES)} numbers, one per feature")
    return tuple(_number(v, key) for v in values)


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ModelError(f"{key}: finite numbers only")
    return float(value)


def model_from_document(document: Any) -> ChurnModel:
    """The model from its JSON document (models/churn.json), checked: the features it was
    trained on must be the ones computed here, in the same order."""
    if not isinstance(document, Mapping):
        raise ModelError("a churn model is a JSON object")
    if list(document.get("features", ())) != list(FEATURES):
        raise ModelError(f"the model's features {document.get('features')!r} are not {list(FEATURES)!r}")
    version = document.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > MAX_VERSION:
        raise ModelError(f"version: 1 to {MAX_VERSION} characters")
    scaler = document.get("scaler")
    if not isinstance(scaler, Mapping):
        raise ModelError("scaler: {mean, scale}")
    scale = _numbers(scaler, "scale")
    if any(s <= 0 for s in scale):
        raise ModelError("scale: above zero")
    horizon = document.get("horizon_days")
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= 3650:
        raise ModelError("horizon_days: 1 to 3650")
    return ChurnModel(version.strip(), _numbers(scaler, "mean"), scale, _numbers(document, "coefficients"),
                      _number(document.get("intercept"), "intercept"), horizon)
