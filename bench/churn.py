"""bench/churn: the churn model's scoring, through profile's `lapse-scores` job and by itself.

    .venv/bin/python -m bench.churn                     # 2,000 members, 3 purchases each, SQLite (the embedded default)
    .venv/bin/python -m bench.churn --members 10000

1. Enrols `--members` members in profile (90% consenting to profiling) and records
   `--purchases` purchases each through profile's own handler (PurchaseCompleted), spread
   over the last year; a tenth of them Gold (TierChanged).
2. Runs the `lapse-scores` job until its day is done (pages of 500, 5,000 a run): members
   scored per second, with the reads, the saves, the segments' re-evaluation and the outbox.
3. Scores the same features with the model alone (`ChurnModel.score`, pure Python): the share
   of the job's time that is the model.

Timings are measured here and recorded in bench/RESULTS.md; no test asserts them.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.auth import Principal, Role
from core.clock import ManualClock
from core.settings import Settings
from core.vocabulary import Channel
from subgraphs.kernel.events import Event
from subgraphs.kernel.host import SubgraphHost
from subgraphs.profile.adapters import traits as trait_store
from subgraphs.profile.domain import churn as rules
from subgraphs.profile.handlers import churn, members, traits

SERVICE = Principal("service:bench", Role.SERVICE)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


async def run(n_members: int, purchases: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), seed_members=0, bus_url="memory://")
        host = SubgraphHost(["profile"], settings, clock=ManualClock(NOW))
        await host.start(relays=False, jobs=False)
        try:
            profile = host.runtime("profile")
            rng = random.Random(5)
            started = time.perf_counter()
            ids = []
            for n in range(n_members):
                member = await members.enroll_member(profile, SERVICE, channel=Channel.POS, given_name=f"B{n}",
                                                     email=f"bench.{n}@example.org",
                                                     consents={"profiling": rng.random() > 0.1})
                ids.append(member.id)
                for p in range(purchases):
                    await traits.on_purchase_completed(profile, Event(
                        "PurchaseCompleted", "rewards", member.id,
                        occurred_at=NOW - timedelta(days=rng.randint(1, 360)),
                        payload={"external_id": f"b-{n}-{p}", "total": f"{rng.randint(20, 300)}.00",
                                 "lines": [{"line_id": "1", "sku": "SKU", "quantity": 1}]}))
                if n % 10 == 0:
                    await traits.on_tier_changed(profile, Event("TierChanged", "ledger", member.id, occurred_at=NOW,
                                                                payload={"to": {"id": "gold", "threshold": 5000}}))
            print(f"loaded {n_members} members, {n_members * purchases} purchases in "
                  f"{time.perf_counter() - started:.1f} s")
            model = churn.load_model(profile)
            assert model is not None, "no model: run loyalty train"
            started, scored = time.perf_counter(), 0
            while page := await churn.run_scoring_pass(profile):  # 5,000 a run, until the day is done
                scored += page
            job = time.perf_counter() - started
            print(f"lapse-scores job: {scored} members scored in {job:.2f} s: {scored / job:.0f} members/s "
                  f"({job / scored * 1000:.2f} ms a member)")
            async with profile.db.reading() as connection:
                loaded = await trait_store.load_traits(connection, ids, NOW, dict.fromkeys(ids, True))
                tiers = await trait_store.tier_thresholds(connection, ids)
            features = [f for f in (rules.features_of(loaded[m].traits, tiers.get(m)) for m in ids) if f is not None]
            started = time.perf_counter()
            for _ in range(10):
                for f in features:
                    model.score(f)
            alone = (time.perf_counter() - started) / 10
            print(f"model alone: {len(features)} scores in {alone * 1000:.1f} ms: {len(features) / alone:.0f}/s "
                  f"({alone / len(features) * 1e6:.1f} us a member); the model is {alone / job:.1%} of the job's time")
            risks = sorted(model.score(f) for f in features)
            print(f"scores: median {risks[len(risks) // 2]:.3f}, above 0.7: {sum(r > 0.7 for r in risks)} of "
                  f"{len(risks)}; mean monetary {sum(f.monetary_365d for f in features) / len(features):.2f}"
                  if features else "no features")
        finally:
            await host.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--purchases", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.members, args.purchases))

if __name__ == "__main__":
    main()
