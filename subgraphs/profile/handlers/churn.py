"""The churn model at work: the `lapse-scores` job scores members from their traits and tier
with the trained model (models/churn.json, `loyalty train`), once a day.

Like the segments' daily pass, it visits only members who ever bought (those with a last
purchase: member_traits' index), a page at a time, at most SCORING_MAX_PER_RUN members a run,
resuming where the last run stopped, so a million members never hold the job for long. Members
who object to profiling are skipped before anything is computed (and record_lapse_scores
refuses them again, in the transaction that would save the score); members who never bought
have nothing to lapse from and get no score. Each score is saved through
`traits.record_lapse_scores`, which announces it (LapseRiskScored, through the outbox).

The model is read from `LOYALTY_CHURN_MODEL` (default: the project's models/churn.json) and
read again when the file changes, so a retrained model is used from the next page on. A
missing or broken model file is logged once and scores nobody: no score is better than a
made-up one."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from subgraphs.kernel.runtime import Runtime

from ..adapters import segments as pass_store
from ..adapters import traits as store
from ..domain import churn
from ..domain.churn import ChurnModel, ModelError
from . import traits

log = logging.getLogger(__name__)

SCORING_PAGE = 500  # members per page (one read, one write transaction)
SCORING_MAX_PER_RUN = 5_000
SCORING_PASS = "lapse-scores"
SCORING_REACH = timedelta(days=churn.MAX_RECENCY_DAYS)  # older last purchases are as lapsed as it gets
SCORING, DONE = "scoring", "done"
DEFAULT_MODEL = Path(__file__).resolve().parents[3] / "models" / "churn.json"
_CACHE_KEY = "churn-model"


def model_path(runtime: Runtime) -> Path:
    return runtime.settings.churn_model or DEFAULT_MODEL


def load_model(runtime: Runtime) -> ChurnModel | None:
    """The model file's current content (read again when it changes), or None (logged once)."""
    path = model_path(runtime)
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except OSError:
        stamp = (str(path), -1)
    cached = runtime.cache.get(_CACHE_KEY)
    if isinstance(cached, tuple) and cached[0] == stamp:
        return cached[1]
    model: ChurnModel | None = None
    try:
        if stamp[1] < 0:
            raise ModelError("no such file (train one: loyalty train)")
        if path.stat().st_size > churn.MAX_MODEL_BYTES:
            raise ModelError(f"larger than {churn.MAX_MODEL_BYTES} bytes")
        model = churn.model_from_document(orjson.loads(path.read_bytes()))
        log.info("churn model %s loaded from %s", model.version, path)
    except (ModelError, orjson.JSONDecodeError, OSError) as error:
        log.error("churn model %s cannot be used (%s): nobody is scored until it can", path, error)
    runtime.cache[_CACHE_KEY] = (stamp, model)
    return model


async def run_scoring_pass(runtime: Runtime) -> int:
    """Job: once a day (UTC), score the members who ever bought, at most SCORING_MAX_PER_RUN a
    run, resuming where the last run stopped. Returns how many members it scored."""
    model = load_model(runtime)
    if model is None:
        return 0
    now = runtime.clock.now()
    async with runtime.db.reading() as connection:
        state = await pass_store.pass_state(connection, SCORING_PASS)
    if state is None or state.day < now.date():
        state = pass_store.PassState(now.date(), SCORING, None)
    scored = visited = 0
    while state.phase != DONE and visited < SCORING_MAX_PER_RUN:
        async with runtime.db.reading() as connection:
            page = await store.members_with_purchases_since(connection, now - SCORING_REACH, state.after,
                                                            SCORING_PAGE)
        if page:
            scored += await score_members(runtime, model, [member_id for _, member_id in page], now)
        state = pass_store.PassState(state.day, SCORING if len(page) == SCORING_PAGE else DONE,
                                     page[-1] if len(page) == SCORING_PAGE else None)
        async with runtime.unit_of_work() as uow:
            await pass_store.save_pass_state(uow, SCORING_PASS, state)
            await uow.commit()
        visited += len(page)
    return scored


async def score_members(runtime: Runtime, model: ChurnModel, member_ids: list[str], now: datetime) -> int:
    """Score these members now (active, consenting to profiling, with a purchase); how many
    scores were kept."""
    async with runtime.db.reading() as connection:
        consenting = [m for m, profiling in (await store.active_members(connection, member_ids)).items() if profiling]
        if not consenting:
            return 0
        loaded = await store.load_traits(connection, consenting, now, dict.fromkeys(consenting, True))
        tiers = await store.tier_thresholds(connection, consenting)
    scored_at = now.astimezone(UTC)
    scores = []
    for member_id in consenting:
        features = churn.features_of(loaded[member_id].traits, tiers.get(member_id))
        if features is not None:
            scores.append(traits.LapseScore(member_id, model.score(features), model.version, scored_at,
                                            model.horizon_days))
    kept = 0
    for start in range(0, len(scores), traits.MAX_SCORES_PER_CALL):
        kept += await traits.record_lapse_scores(runtime, scores[start:start + traits.MAX_SCORES_PER_CALL])
    return kept
