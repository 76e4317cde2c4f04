"""Members: the named demo members (README lists their logins) and a
deterministic generator of many more, with cross-channel purchase history."""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core.vocabulary import Channel

from .program import PRODUCTS, SIZED, STORES


@dataclass(frozen=True)
class SeedPurchase:
    external_id: str
    channel: Channel
    store_id: str | None
    days_ago: int
    lines: tuple[tuple[str, int, Decimal, str | None], ...]  # sku, quantity, unit price, size


@dataclass(frozen=True)
class SeedMember:
    given_name: str
    family_name: str
    email: str
    phone: str | None
    birthday: date | None
    home_store_id: str
    channel: Channel
    profiling: bool = True
    email_marketing: bool = False
    sms_marketing: bool = False
    purchases: tuple[SeedPurchase, ...] = field(default_factory=tuple)


def _basket(rng: random.Random, n_lines: int) -> tuple[tuple[str, int, Decimal, str | None], ...]:
    lines = []
    for product in rng.sample(PRODUCTS, n_lines):
        sizes = SIZED.get(product.sku)
        lines.append((product.sku, rng.choice((1, 1, 1, 2)), product.price, rng.choice(sizes) if sizes else None))
    return tuple(lines)


def _history(rng: random.Random, prefix: str, home_store: str, count: int, max_days: int = 360
             ) -> tuple[SeedPurchase, ...]:
    purchases = []
    for i in range(count):
        online = rng.random() < 0.3
        purchases.append(SeedPurchase(
            external_id=f"{prefix}-{i + 1}",
            channel=Channel.ECOMMERCE if online else Channel.POS,
            store_id=None if online else home_store,
            days_ago=rng.randint(15, max_days),
            lines=_basket(rng, rng.randint(1, 3)),
        ))
    return tuple(sorted(purchases, key=lambda p: -p.days_ago))


def demo_members() -> list[SeedMember]:
    """The showcase members. Julia is Gold (5,607 points); the others span the ladder."""
    rng = random.Random(7)
    julia_history = tuple(
        SeedPurchase(f"seed-julia-{i + 1}", Channel.POS, "st_portland", 300 - i * 24,
                     ((sku, 1, price, size),))
        for i, (sku, price, size) in enumerate([
            ("VST-HYDRO-8", Decimal("129.00"), "M"), ("SHO-RIDGE-TR", Decimal("139.95"), "41"),
            ("JKT-TRAIL-SHELL", Decimal("149.00"), "M"), ("LMP-HEAD-400", Decimal("59.90"), None),
        ] * 3)
    ) + (SeedPurchase("seed-julia-13", Channel.POS, "st_portland", 20,  # outfitting her running club
                      (("SHO-RIDGE-TR", 12, Decimal("139.95"), "41"), ("VST-HYDRO-8", 12, Decimal("129.00"), "M"),
                       ("TEE-MERINO-150", 8, Decimal("69.00"), "M"))),)
    return [
        SeedMember("Julia", "Meyer", "julia@example.com", "+1 503 555 0142", date(1990, 4, 12), "st_portland",
                   Channel.POS, email_marketing=True, sms_marketing=True, purchases=julia_history),
        SeedMember("Marcus", "Lee", "marcus@example.com", "+1 206 555 0178", date(1985, 9, 30), "st_seattle",
                   Channel.ECOMMERCE, purchases=_history(rng, "seed-marcus", "st_seattle", 9)),
        SeedMember("Aiko", "Tanaka", "aiko@example.com", "+1 303 555 0113", date(1998, 1, 5), "st_denver",
                   Channel.APP, email_marketing=True, purchases=_history(rng, "seed-aiko", "st_denver", 2)),
        SeedMember("Sam", "Rivera", "sam@example.com", "+1 720 555 0191", None, "st_boulder",
                   Channel.POS, profiling=False, purchases=()),
    ]


GIVEN = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo", "Amelia", "Levi",
         "Harper", "Ezra", "Evelyn", "Leo", "Luna", "Kai", "Nora", "Omar", "Zoe", "Ravi", "Lena", "Jonas"]
FAMILY = ["Smith", "Garcia", "Nguyen", "Johnson", "Kim", "Brown", "Martinez", "Patel", "Davis", "Lopez", "Wilson",
          "Anderson", "Thomas", "Moore", "Jackson", "Martin", "Chen", "Walker", "Young", "Hall", "Schmidt"]
AREA_CODES = ["503", "206", "303", "720", "415", "212", "312", "617"]


def _phone(area_code: str, n: int) -> str:
    """Unique per n (up to 8 million): exchange 200-999, line 0000-9999."""
    exchange, line = 200 + n // 10000, n % 10000
    return f"+1 {area_code} {exchange:03d} {line:04d}"


# How generated members buy (seed 001's churn): a purchase rate per member, constant for the
# steady ones, decaying for the lapsing ones until it stops; histories reach back HISTORY_DAYS:
# within the checkout's default age limit (LOYALTY_CHECKOUT_MAX_AGE_DAYS, 400), and 300 days of
# behaviour before a cut-off 90 days ago (`loyalty train`).
HISTORY_DAYS = 390
BEHAVIOURS = (("steady", 0.40), ("lapsing", 0.30), ("lapsed", 0.10), ("never", 0.20))


@dataclass(frozen=True)
class Behaviour:
    """How one generated member buys over the last HISTORY_DAYS days. Days count backwards
    from the seed's now (days_ago); `rate` is purchases a day at the start of the history."""

    kind: str  # steady, lapsing, lapsed (one or two purchases long ago), never
    rate: float = 0.0
    decay_from: int = 0  # lapsing: the rate halves every `half_life` days after this day (days_ago)...
    half_life: float = 0.0
    stops_at: int = 0  # ...and no purchase after this day (days_ago); 0: still buying


def _behaviour(rng: random.Random) -> Behaviour:
    roll, kind = rng.random(), "never"
    for name, share in BEHAVIOURS:
        if roll < share:
            kind = name
            break
        roll -= share
    rate = rng.lognormvariate(-4.3, 0.5)  # a median of a purchase every 74 days, some much more often
    if kind == "steady":
        return Behaviour(kind, rate)
    if kind == "lapsing":
        decay_from = rng.randint(30, HISTORY_DAYS - 30)
        stops_at = max(0, decay_from - rng.randint(30, 240))
        return Behaviour(kind, rate, decay_from, rng.uniform(20, 90), stops_at)
    if kind == "lapsed":
        return Behaviour(kind, rate, stops_at=rng.randint(150, HISTORY_DAYS - 30))
    return Behaviour(kind)


def purchase_days(rng: random.Random, behaviour: Behaviour) -> list[int]:
    """The days (days_ago, oldest first) a member with this behaviour bought on: a Poisson
    process walked forward in time; a lapsing member's rate halves every half-life from the day
    it starts to decay (exact, by thinning: candidates at the full rate, each kept with the
    chance the rate has fallen to). Same rng state, same days."""
    if behaviour.kind == "never":
        return []
    if behaviour.kind == "lapsed":
        first = rng.randint(behaviour.stops_at, HISTORY_DAYS)
        return sorted({first, *([rng.randint(behaviour.stops_at, first)] if rng.random() < 0.4 else [])},
                      reverse=True)
    days: list[int] = []
    day = float(HISTORY_DAYS)
    while len(days) < 40:
        day -= rng.expovariate(max(behaviour.rate, 1e-6))
        if day < max(behaviour.stops_at, 1):
            break
        decayed = behaviour.kind == "lapsing" and day < behaviour.decay_from
        if decayed and rng.random() >= 0.5 ** ((behaviour.decay_from - day) / behaviour.half_life):
            continue
        if not days or int(day) != days[-1]:  # one purchase a day at most
            days.append(int(day))
    return days


def _generated_history(rng: random.Random, prefix: str, home_store: str, behaviour: Behaviour
                       ) -> tuple[SeedPurchase, ...]:
    purchases = []
    for i, days_ago in enumerate(purchase_days(rng, behaviour)):
        online = rng.random() < 0.3
        purchases.append(SeedPurchase(
            external_id=f"{prefix}-{i + 1}",
            channel=Channel.ECOMMERCE if online else Channel.POS,
            store_id=None if online else home_store,
            days_ago=days_ago,
            lines=_basket(rng, rng.randint(1, 3)),
        ))
    return tuple(purchases)


def generated_members(count: int, seed: int = 2026) -> Iterator[SeedMember]:
    """The same `count` members every time for the same seed; their histories follow their
    `Behaviour` (steady, lapsing, lapsed, never bought)."""
    rng = random.Random(seed)
    for n in range(1, count + 1):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        home = rng.choice(STORES).id
        has_phone = rng.random() < 0.8
        yield SeedMember(
            given_name=given,
            family_name=family,
            email=f"{given}.{family}.{n}@example.net".lower(),
            phone=_phone(rng.choice(AREA_CODES), n) if has_phone else None,
            birthday=date(1950 + rng.randint(0, 55), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.7 else None,
            home_store_id=home,
            channel=rng.choice([Channel.POS, Channel.POS, Channel.ECOMMERCE, Channel.APP]),
            profiling=rng.random() > 0.1,
            email_marketing=rng.random() < 0.5,
            purchases=_generated_history(rng, f"seed-{n}", home, _behaviour(rng)),
        )


def occurred_at(now: datetime, days_ago: int) -> datetime:
    return (now - timedelta(days=days_ago)).replace(hour=15, minute=0, second=0, microsecond=0, tzinfo=UTC)
