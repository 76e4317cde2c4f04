"""`loyalty train`: fit the churn model on purchase histories, check it on a holdout, write it
as JSON (models/churn.json) with its model card (models/CARD.md).

The data: members' purchase histories (the seed generator's by default: deterministic, with
steady, lapsing and lapsed buyers). For each member who bought before a cut-off date
(`horizon` days ago), the features are what profile would have computed at the cut-off
(subgraphs/profile/domain/churn.py: recency, frequency, monetary, tier) and the label is
whether they bought nothing in the `horizon` days after it. A logistic regression on
standardised features (scikit-learn), fitted on 75% of the members, is judged on the other
25% by its ROC AUC; below AUC_FLOOR the command fails and writes nothing.

scikit-learn is imported here only: the serving processes read the JSON with `math`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from seed.members import HISTORY_DAYS
from subgraphs.ledger.domain import Tier, tier_for
from subgraphs.profile.domain.churn import FEATURES, ChurnFeatures, feature_vector, features_as_of, lapsed_after
from subgraphs.profile.domain.traits import PurchaseRecord, money

AUC_FLOOR = 0.70  # a model that ranks lapsers above buyers less often than this is not shipped
HORIZON_DAYS = 90
HOLDOUT_SHARE = 0.25
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MODEL_FILE = "churn.json"
CARD_FILE = "CARD.md"


@dataclass(frozen=True, slots=True)
class History:
    """One member's purchases, and the program's tiers to tell their tier at any moment."""

    member_id: str
    purchases: tuple[PurchaseRecord, ...]


@dataclass(frozen=True, slots=True)
class Example:
    member_id: str
    features: ChurnFeatures
    lapsed: bool


def tier_threshold_at(purchases: Sequence[PurchaseRecord], moment: datetime, tiers: Sequence[Tier]) -> int:
    """The member's tier at `moment`, as the ledger would have it (approximately: base points
    at the tier's multiplier, qualifying on the last 12 months; no grace, no campaign points)."""
    earned: list[tuple[datetime, int]] = []
    for record in sorted((p for p in purchases if p.known and p.occurred_at is not None and p.occurred_at < moment),
                         key=lambda p: p.occurred_at):  # type: ignore[arg-type, return-value]
        assert record.occurred_at is not None
        tier = tier_for(_qualifying(earned, record.occurred_at), tiers)
        earned.append((record.occurred_at, int(record.net_amount * Decimal(str(tier.multiplier)))))
    return tier_for(_qualifying(earned, moment), tiers).threshold


def _qualifying(earned: Sequence[tuple[datetime, int]], moment: datetime) -> int:
    return sum(points for at, points in earned if moment - timedelta(days=365) <= at < moment)


def examples(histories: Iterable[History], cutoff: datetime, horizon: timedelta, tiers: Sequence[Tier]
             ) -> list[Example]:
    """One example per member who bought before the cut-off (the others cannot lapse)."""
    found = []
    for history in histories:
        tier = tier_threshold_at(history.purchases, cutoff, tiers)
        features = features_as_of(history.purchases, cutoff, tier)
        if features is not None:
            found.append(Example(history.member_id, features, lapsed_after(history.purchases, cutoff, horizon)))
    return found


def seed_histories(members: int, seed: int, now: datetime) -> list[History]:
    """The seed generator's members and their purchases, as profile records them."""
    from seed.members import generated_members, occurred_at

    histories = []
    for n, person in enumerate(generated_members(members, seed=seed), start=1):
        member_id = f"seed-member-{n}"
        histories.append(History(member_id, tuple(
            PurchaseRecord(p.external_id, member_id, occurred_at(now, p.days_ago),
                           money(sum((price * quantity for _, quantity, price, _ in p.lines), Decimal(0))),
                           sum(quantity for _, quantity, _, _ in p.lines))
            for p in person.purchases)))
    return histories


@dataclass
class TrainingReport:
    document: dict[str, Any]
    auc: float
    examples: int
    train_size: int
    holdout_size: int
    lapse_rate: float
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def passes(self) -> bool:
        return self.auc >= AUC_FLOOR


def train(found: Sequence[Example], *, horizon_days: int, seed: int, trained_at: datetime,
          source: str) -> TrainingReport:
    """Fit the scaler and the logistic regression on 75% of the examples, judge on the rest."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if len(found) < 50:
        raise ValueError(f"{len(found)} members who bought before the cut-off: too few to train on (50 at least)")
    x = [feature_vector(e.features) for e in found]
    y = [int(e.lapsed) for e in found]
    if len(set(y)) < 2:
        raise ValueError("every member is labelled the same: nothing to learn")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=HOLDOUT_SHARE, random_state=seed,
                                                        stratify=y)
    scaler = StandardScaler().fit(x_train)
    model = LogisticRegression(max_iter=1000).fit(scaler.transform(x_train), y_train)
    probabilities = model.predict_proba(scaler.transform(x_test))[:, 1]
    auc = float(roc_auc_score(y_test, probabilities))
    metrics = {"auc": round(auc, 4), "log_loss": round(float(log_loss(y_test, probabilities)), 4),
               "brier": round(float(brier_score_loss(y_test, probabilities)), 4)}
    coefficients = [round(float(c), 6) for c in model.coef_[0]]
    body = {
        "features": list(FEATURES),
        "scaler": {"mean": [round(float(m), 6) for m in scaler.mean_],
                   "scale": [round(float(s), 6) for s in scaler.scale_]},
        "coefficients": coefficients,
        "intercept": round(float(model.intercept_[0]), 6),
        "horizon_days": horizon_days,
    }
    digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:8]
    lapse_rate = sum(y) / len(y)
    document = {
        "version": f"churn-lr-{digest}",  # the same coefficients, the same version
        **body,
        "label": f"no purchase in the {horizon_days} days after the cut-off",
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "source": source,
        "examples": len(found),
        "holdout": len(y_test),
        "lapse_rate": round(lapse_rate, 4),
        "metrics": metrics,
        "auc_floor": AUC_FLOOR,
    }
    return TrainingReport(document, auc, len(found), len(y_train), len(y_test), lapse_rate, metrics)


def train_on_seed(members: int, seed: int, *, horizon_days: int = HORIZON_DAYS, now: datetime | None = None
                  ) -> TrainingReport:
    from seed.program import TIERS

    now = now or datetime.now(UTC)
    cutoff = (now - timedelta(days=horizon_days)).replace(hour=0, minute=0, second=0, microsecond=0)
    found = examples(seed_histories(members, seed, now), cutoff, timedelta(days=horizon_days), TIERS)
    return train(found, horizon_days=horizon_days, seed=seed, trained_at=now,
                 source=f"seed generator: {members} members, seed {seed}")


def write(report: TrainingReport, directory: Path, command: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    model_path, card_path = directory / MODEL_FILE, directory / CARD_FILE
    model_path.write_bytes(orjson.dumps(report.document, option=orjson.OPT_INDENT_2) + b"\n")
    card_path.write_text(card(report, command))
    return model_path, card_path


def card(report: TrainingReport, command: str) -> str:
    d = report.document
    weights = "\n".join(f"| `{name}` | {mean} | {scale} | {coefficient:+.4f} |" for name, mean, scale, coefficient in
                        zip(d["features"], d["scaler"]["mean"], d["scaler"]["scale"], d["coefficients"], strict=True))
    return f"""# Model card: churn (lapse risk)

Version `{d["version"]}`, trained {d["trained_at"][:10]} ({d["trained_at"]}) with:

```sh
{command}
```

## What it predicts

The probability that a member who has bought before makes **no purchase in the next {d["horizon_days"]} days**.
Profile's `lapse-scores` job scores every member who consented to profiling once a day from
their traits and tier (`Member.traits.lapseRisk`); the engine reads the score for the
`lapse_risk` trigger and for the next best offer. Members who never bought are not scored
(nothing to lapse from); members who object to profiling are never scored.

## Data

- Source: {d["source"]}. Histories reach back {HISTORY_DAYS} days; the generator mixes steady buyers,
  lapsing ones (their purchase rate halves every 20 to 90 days, then stops), lapsed ones (a
  purchase or two long ago) and members who never bought (`seed/members.py`).
- Cut-off: {d["horizon_days"]} days before training. One example per member with a purchase before the cut-off:
  {report.examples} examples, {report.train_size} to fit, {report.holdout_size} held out (stratified, seed fixed).
- Label: {d["label"]}; {report.lapse_rate:.1%} of the examples lapsed.

## Features

Computed by `subgraphs/profile/domain/churn.py` at the cut-off, with the same rules that compute
a member's traits today (`traits_as_of`), standardised by the scaler below:

| feature | mean | scale | coefficient |
|---|---|---|---|
{weights}

`log_recency_days`: log(1 + days since the last purchase, at most 3650); `log_frequency_90d`:
log(1 + purchases in the 90 days before); `log_monetary_365d`: log(1 + spend in the 365 days
before, net of returns); `log_tier_threshold`: log(1 + the qualifying points of the member's
tier). Intercept {d["intercept"]:+.4f}.

## Metrics (holdout)

| metric | value |
|---|---|
| ROC AUC | **{report.metrics["auc"]:.4f}** (floor {AUC_FLOOR:.2f}: below it `loyalty train` fails and writes nothing) |
| log loss | {report.metrics["log_loss"]:.4f} |
| Brier score | {report.metrics["brier"]:.4f} |
| lapse rate (all examples) | {report.lapse_rate:.4f} |

## Limits

- Trained on synthetic histories: the generator's behaviours are simple (a Poisson rate,
  exponential decay), so the AUC says the model learns them, not that it would reach the same
  on a real retailer's data. Retrain on real histories before trusting it for decisions.
- The tier at the cut-off is reconstructed from the history (base points at the tier's
  multiplier over 12 months); the ledger's grace periods, pending points and campaign points
  are not replayed. In service the tier is the ledger's own (`TierChanged`).
- One number per member, no reasons: the engine says why an offer was picked from the
  member's traits, not from the model's weights.
- Scores are as fresh as the daily pass; a purchase in between is not seen until the next one.
- Logistic regression on four features: calibrated on this data, monotone in each feature,
  blind to seasonality, product mix and channels.
"""


def load_document(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes())

