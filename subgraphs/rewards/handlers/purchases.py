"""Baskets: the dry run (`evaluateBasket`) and the checkout saga, returns, and the job that
finishes postings the ledger did not take.

A checkout commits its evaluation in one transaction: the purchase, the campaigns' budgets
and per-member caps (conditional updates), the coupons it redeems (each at most once) and
issues, the A/B counts, and the PurchaseCompleted event. When a concurrent checkout took a
budget, a cap or a coupon first, the basket is evaluated again on what is left."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from core.auth import Principal, Role, require_member_access, require_role
from core.errors import BadUserInput, Conflict, ErrorCode, Forbidden, LoyaltyError, NotFound, Unavailable
from core.vocabulary import Channel
from subgraphs.kernel import aliases
from subgraphs.kernel.db import UnitOfWork, is_unique_violation
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from .. import domain
from ..adapters import campaigns as campaign_store
from ..adapters import coupons as coupon_store
from ..adapters import offers as offer_store
from ..adapters import repository
from ..adapters.ledger import GraphQLLedger, LedgerPort
from ..adapters.repository import RECORDED, KnownMember, Purchase, Return
from ..domain import Basket, Evaluation
from . import campaigns, coupons
from .members import MemberRef, find_member, member_facts

log = logging.getLogger(__name__)

SOURCE = "rewards"
CHECKOUT_ROLES = (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE)
# Who may ring up a basket above the checkout limits (settings: LOYALTY_CHECKOUT_MAX_*).
LIMIT_OVERRIDE_ROLES = (Role.SUPERVISOR, Role.ADMIN)
RESUME_BATCH = 100
COMMIT_ATTEMPTS = 5  # evaluations of one checkout, when concurrent checkouts keep taking what it counted on


class _Taken(Exception):
    """A budget, a cap or a coupon the evaluation counted on was taken by a concurrent checkout."""


@dataclass(frozen=True, slots=True)
class CheckoutOutcome:
    external_id: str
    member_id: str
    evaluation: Evaluation
    points_earned: int
    duplicate: bool


# --- baskets ---------------------------------------------------------------------------


def _check_store(principal: Principal, basket: Basket) -> Basket:
    """A cashier rings up at their own store (their token names it): a basket for
    another store is refused, a basket without a store is theirs."""
    if principal.role is Role.CASHIER:
        if not principal.store:
            raise Forbidden("a cashier's token must name their store")
        if basket.store_id and basket.store_id != principal.store:
            raise Forbidden(f"a cashier of store {principal.store} cannot ring up at {basket.store_id}")
        if not basket.store_id:
            return Basket(basket.channel, basket.lines, principal.store, basket.coupon_codes)
    return basket


def checkout_limits(runtime: Runtime) -> domain.CheckoutLimits:
    settings = runtime.settings
    return domain.CheckoutLimits(
        max_line_amount=settings.checkout_max_line_amount,
        max_basket_amount=settings.checkout_max_basket_amount,
        max_line_points=settings.checkout_max_line_points,
        max_basket_points=settings.checkout_max_basket_points,
        max_price_factor=settings.checkout_max_price_factor,
    )


def _check_limits(runtime: Runtime, principal: Principal, evaluation: Evaluation, prices: dict[str, Decimal]
                  ) -> None:
    """Till prices are trusted, within limits (`prices`: the catalogue's): past them only a
    supervisor may ring up."""
    breaches = domain.limit_breaches(evaluation, checkout_limits(runtime), prices)
    if breaches and principal.role not in LIMIT_OVERRIDE_ROLES:
        raise Forbidden("this basket needs a supervisor: " + "; ".join(breaches), limits=breaches)


async def evaluate_basket(runtime: Runtime, principal: Principal | None, basket: Basket, ref: MemberRef) -> Evaluation:
    """The dry run: writes nothing, refuses what a checkout would refuse."""
    if ref.member_id and principal is not None and principal.role is Role.MEMBER:
        who = require_member_access(principal, ref.member_id)
    else:
        who = require_role(principal, *CHECKOUT_ROLES)
    basket = _check_store(who, domain.validate_basket(basket))
    member = await find_member(runtime, ref) if ref.given else None
    evaluation, _, prices = await _evaluate(runtime, basket, member)
    _check_limits(runtime, who, evaluation, prices)
    return evaluation


async def _evaluate(runtime: Runtime, basket: Basket, member: KnownMember | None
                    ) -> tuple[Evaluation, dict[str, domain.campaigns.Campaign], dict[str, Decimal]]:
    """The engine, on the engine's own tables: campaigns, the member's facts, coupons, categories;
    the campaigns it evaluated, by id (what a checkout consumes of their budgets and caps), and
    the catalogue's prices of the basket's products (what the till's prices are checked against)."""
    now = runtime.clock.now()
    async with runtime.db.reading() as connection:  # one connection for every read (each costs a checkout)
        live = await campaigns.running(runtime, connection, domain.campaigns.Trigger.BASKET, now)
        facts = await member_facts(connection, member, now, traits=campaigns.reads_traits(live)) if member else None
        context = await campaigns.context_for(runtime, connection, basket, facts, now, live)
        prices = await repository.catalogue_prices(connection, sorted({line.sku for line in basket.lines}))
    evaluation = domain.evaluate(basket, context)
    return evaluation, {lc.campaign.id: lc.campaign for lc in live}, prices


async def checkout(
    runtime: Runtime,
    principal: Principal | None,
    *,
    external_id: str,
    occurred_at: datetime | None,
    basket: Basket,
    ref: MemberRef,
) -> CheckoutOutcome:
    """Record the purchase, then post its points to the ledger: a saga that is
    idempotent by externalId at both steps, so a repeat or a resumption never
    posts twice."""
    who = require_role(principal, *CHECKOUT_ROLES)
    external_id = domain.validate_external_id(external_id)
    basket = _check_store(who, domain.validate_basket(basket))
    now = runtime.clock.now()
    if occurred_at is not None:
        settings = runtime.settings
        domain.check_occurred_at(occurred_at, now, max_age=timedelta(days=settings.checkout_max_age_days),
                                 max_skew=timedelta(seconds=settings.checkout_max_clock_skew_seconds))
    if not ref.given:
        raise BadUserInput("checkout needs the member: memberId or identifier")
    member = await find_member(runtime, ref)
    async with runtime.db.reading() as connection:
        earlier = await repository.purchase(connection, external_id)
    if earlier is not None:
        return await _repeat(runtime, earlier, member.member_id, basket)
    for _ in range(COMMIT_ATTEMPTS):
        evaluation, evaluated, prices = await _evaluate(runtime, basket, member)
        _check_limits(runtime, who, evaluation, prices)
        purchase = Purchase(external_id, member.member_id, basket.channel, basket.store_id, occurred_at or now,
                            evaluation, RECORDED)
        try:
            async with runtime.unit_of_work() as uow:
                await repository.record_purchase(uow, purchase, now, _first_retry(runtime, now))
                await _commit_effects(uow, purchase, evaluated, now)
                uow.publish(Event(
                    type="PurchaseCompleted", source=SOURCE, member_id=member.member_id,
                    occurred_at=purchase.occurred_at,
                    payload={"external_id": external_id, "channel": str(basket.channel), "store_id": basket.store_id,
                             **domain.evaluation_facts(evaluation)},
                ))
                await uow.commit()
            break
        except _Taken:
            continue  # evaluate again on what the concurrent checkouts left
        except IntegrityError as error:  # the same externalId, recorded by a concurrent request
            if not is_unique_violation(error):
                raise
            async with runtime.db.reading() as connection:
                earlier = await repository.purchase(connection, external_id)
            assert earlier is not None
            return await _repeat(runtime, earlier, member.member_id, basket)
    else:
        raise Conflict("campaign budgets and coupons kept changing under this checkout; send it again")
    await _post_points(runtime, purchase)
    return CheckoutOutcome(external_id, member.member_id, evaluation, evaluation.points_to_earn, duplicate=False)


async def _commit_effects(uow: UnitOfWork, purchase: Purchase, evaluated: dict[str, domain.campaigns.Campaign],
                          now: datetime) -> None:
    """What the evaluation counted on, taken for good in the purchase's transaction: budgets
    and caps (conditional updates), coupons (each redeemed once), the A/B counts, and the
    coupons its campaigns give. _Taken when a concurrent checkout got there first. The budget's
    unit and the cap are those of the version the basket was evaluated with (`evaluated`): no
    read inside the writer's transaction; the conditional updates guard what is left."""
    evaluation = purchase.evaluation
    for applied in evaluation.applied:
        if applied.offer_id is not None:  # the member's bonus offer: used now, once
            if not await offer_store.redeem_bonus_offer(uow, applied.offer_id, now):
                raise _Taken
            continue
        found = evaluated.get(applied.campaign_id) or await campaign_store.campaign(uow.connection,
                                                                                    applied.campaign_id)
        budget = found.budget if found else None
        if budget is not None:
            amount = {"points": applied.points, "discount_cents": applied.discount_cents,
                      "redemptions": 1}[str(budget.unit)]
            if not await campaign_store.consume_budget(uow, applied.campaign_id, amount):
                raise _Taken
        if found is not None and found.per_member_cap is not None and not await campaign_store.add_use(
                uow, applied.campaign_id, purchase.member_id, found.per_member_cap):
            raise _Taken
    for code in evaluation.coupons_redeemed:
        if not await coupon_store.redeem_coupon(uow, code, purchase.external_id, now):
            raise _Taken
    await campaign_store.count_variants(uow, evaluation.exposed,
                                        [(a.campaign_id, a.variant) for a in evaluation.applied if a.variant])
    await coupons.issue_for_campaigns(uow, [(c.campaign_id, c.spec) for c in evaluation.coupons_to_issue],
                                      member_id=purchase.member_id, reference=purchase.external_id, now=now)


async def _repeat(runtime: Runtime, earlier: Purchase, member_id: str, basket: Basket) -> CheckoutOutcome:
    """A replay returns the first result; a different purchase under a used externalId is refused.
    (The member of a replay may be the one the first member was merged into since.)"""
    async with runtime.db.reading() as connection:
        same_member = await aliases.current_member_id(connection, earlier.member_id) == member_id
    if not same_member or not domain.same_basket(earlier.evaluation, basket):
        raise Conflict(f"externalId {earlier.external_id} was already recorded for another purchase")
    if earlier.status == RECORDED:
        await _post_points(runtime, earlier)  # finish what the first attempt started
    return CheckoutOutcome(earlier.external_id, earlier.member_id, earlier.evaluation,
                           earlier.evaluation.points_to_earn, duplicate=True)


def ledger_port(runtime: Runtime) -> LedgerPort:
    port = runtime.adapters.get("ledger")
    return port if port is not None else GraphQLLedger(runtime.services)  # type: ignore[return-value]


def _first_retry(runtime: Runtime, now: datetime) -> datetime:
    """When the job looks at a recorded row if its first posting did not finish."""
    return now + timedelta(seconds=runtime.settings.posting_retry_seconds)


def _retry_after(runtime: Runtime):  # noqa: ANN202 - a closure over the settings
    settings = runtime.settings
    return lambda attempts: domain.retry_after(attempts, first=timedelta(seconds=settings.posting_retry_seconds),
                                               max_attempts=settings.posting_max_attempts)


async def _posting_failed(runtime: Runtime, kind: str, external_id: str, error: Exception) -> None:
    """Count a failed posting; park the row once it has failed too often, loudly."""
    code = error.code if isinstance(error, LoyaltyError) else ErrorCode.INTERNAL
    reason = f"{code}: {error}"
    async with runtime.unit_of_work() as uow:
        failure = await repository.record_posting_failure(uow, kind, external_id, reason, runtime.clock.now(),
                                                          _retry_after(runtime))
        await uow.commit()
    runtime.metrics.counter("posting_failures_total", "Failed attempts to post to the ledger",
                            ("kind", "code")).labels(kind, str(code)).inc()
    if failure.parked:
        runtime.metrics.counter("postings_parked_total", "Postings parked after too many failed attempts",
                                ("kind",)).labels(kind).inc()
        log.error("%s %s parked after %d failed postings to the ledger; last: %s", kind, external_id,
                  failure.attempts, reason)
    elif code is not ErrorCode.SUBGRAPH_UNAVAILABLE:
        log.warning("%s %s: posting to the ledger failed (attempt %d), will retry: %s", kind, external_id,
                    failure.attempts, reason)


def _unavailable(error: LoyaltyError) -> bool:
    """The ledger could not be reached, or could not write just now: worth a retry soon."""
    return isinstance(error, Unavailable) or error.code is ErrorCode.SUBGRAPH_UNAVAILABLE


def _recorded(refusal: LoyaltyError, message: str, external_id: str) -> LoyaltyError:
    """The ledger's refusal, passed on with its code, saying that the row is kept."""
    error = LoyaltyError(message, recorded=True, externalId=external_id)
    error.code = refusal.code
    return error


async def _post_points(runtime: Runtime, purchase: Purchase) -> None:
    lines = domain.earning_lines(purchase.evaluation)
    entry_id = None
    if lines:
        try:
            entry_id = await ledger_port(runtime).post_earning(
                member_id=purchase.member_id,
                reference=purchase.external_id,
                channel=purchase.channel,
                occurred_at=purchase.occurred_at,
                description=domain.purchase_description(purchase.channel),
                lines=lines,
            )
        except LoyaltyError as error:
            await _posting_failed(runtime, "purchase", purchase.external_id, error)
            if _unavailable(error):
                raise Unavailable(
                    "the purchase is recorded; its points will be posted when the ledger is back",
                    recorded=True, externalId=purchase.external_id,
                ) from error
            raise _recorded(error, f"the purchase is recorded, but the ledger refused its points ({error.message}); "
                            "it will be retried", purchase.external_id) from error
    async with runtime.unit_of_work() as uow:
        await repository.mark_posted(uow, purchase.external_id, entry_id, runtime.clock.now())
        await uow.commit()


# --- returns -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    external_id: str
    member_id: str
    points_reversed: int
    duplicate: bool


async def record_return(
    runtime: Runtime,
    principal: Principal | None,
    *,
    external_id: str,
    purchase_external_id: str,
    lines: Sequence[domain.ReturnRequest],
) -> ReturnOutcome:
    """Per line: each returned unit gives back what it earned, never twice. Recorded,
    then posted to the ledger; idempotent by the return's externalId at both steps.
    A cashier takes back what was bought at their store (or online, with no store)."""
    who = require_role(principal, *CHECKOUT_ROLES)
    external_id = domain.validate_external_id(external_id)
    purchase_external_id = domain.validate_external_id(purchase_external_id)
    request = tuple(lines)
    async with runtime.db.reading() as connection:
        earlier = await repository.return_(connection, external_id)
    if earlier is not None:
        return await _repeat_return(runtime, earlier, purchase_external_id, request)
    now = runtime.clock.now()
    try:
        async with runtime.unit_of_work() as uow:
            purchase = await repository.lock_purchase(uow, purchase_external_id)
            if purchase is None:
                raise NotFound(f"no purchase {purchase_external_id}")
            _check_return_store(who, purchase)
            returned = await repository.returned_quantities(uow.connection, purchase_external_id)
            allocated = domain.allocate_return(purchase.evaluation, returned, request)
            record = Return(external_id, purchase_external_id, purchase.member_id, request, tuple(allocated),
                            sum(line.points for line in allocated), RECORDED)
            await repository.record_return(uow, record, now, _first_retry(runtime, now))
            uow.publish(Event(
                type="PurchaseReturned", source=SOURCE, member_id=purchase.member_id, occurred_at=now,
                payload={"external_id": external_id, "purchase_external_id": purchase_external_id,
                         "points": record.points, **domain.return_facts(allocated)},
            ))
            await uow.commit()
    except IntegrityError as error:  # the same externalId, recorded by a concurrent request
        if not is_unique_violation(error):
            raise
        async with runtime.db.reading() as connection:
            earlier = await repository.return_(connection, external_id)
        assert earlier is not None
        return await _repeat_return(runtime, earlier, purchase_external_id, request)
    await _post_return(runtime, record, purchase.channel)
    return ReturnOutcome(external_id, record.member_id, record.points, duplicate=False)


def _check_return_store(principal: Principal, purchase: Purchase) -> None:
    if principal.role is not Role.CASHIER:
        return
    if not principal.store:
        raise Forbidden("a cashier's token must name their store")
    if purchase.store_id is not None and purchase.store_id != principal.store:
        raise Forbidden(f"a cashier of store {principal.store} cannot take back a purchase made at "
                        f"{purchase.store_id}")


async def _repeat_return(runtime: Runtime, earlier: Return, purchase_external_id: str,
                         request: tuple[domain.ReturnRequest, ...]) -> ReturnOutcome:
    if earlier.purchase_external_id != purchase_external_id or sorted(earlier.request, key=repr) != sorted(
            request, key=repr):
        raise Conflict(f"return {earlier.external_id} was already recorded with other lines")
    if earlier.status == RECORDED:
        async with runtime.db.reading() as connection:
            purchase = await repository.purchase(connection, earlier.purchase_external_id)
        assert purchase is not None
        await _post_return(runtime, earlier, purchase.channel)
    return ReturnOutcome(earlier.external_id, earlier.member_id, earlier.points, duplicate=True)


async def _post_return(runtime: Runtime, record: Return, channel: Channel) -> None:
    lines = [line for line in record.lines if line.points > 0]
    if lines:
        try:
            await ledger_port(runtime).post_return(
                member_id=record.member_id, reference=record.external_id,
                purchase_reference=record.purchase_external_id, channel=channel, occurred_at=runtime.clock.now(),
                description=domain.return_description(channel), lines=lines,
            )
        except LoyaltyError as error:
            await _posting_failed(runtime, "return", record.external_id, error)
            if _unavailable(error):
                raise Unavailable("the return is recorded; its points will be taken back when the ledger is back",
                                  recorded=True, externalId=record.external_id) from error
            raise _recorded(error, f"the return is recorded, but the ledger refused it ({error.message}); "
                            "it will be retried", record.external_id) from error
    async with runtime.unit_of_work() as uow:
        await repository.mark_return_posted(uow, record.external_id, runtime.clock.now())
        await uow.commit()


async def resume_postings(runtime: Runtime) -> int:
    """Job: post the purchases and returns whose earlier attempts did not reach the
    ledger, each on its own backoff. One that keeps failing waits longer and is
    parked in the end; it never holds up the others. Returns how many were posted."""
    now = runtime.clock.now()
    async with runtime.db.reading() as connection:
        purchases = await repository.unposted_purchases(connection, now, limit=RESUME_BATCH)
        returns = await repository.unposted_returns(connection, now, limit=RESUME_BATCH)
    done = 0
    for purchase in purchases:
        done += await _resume(runtime, "purchase", purchase.external_id, _post_points(runtime, purchase))
    for record in returns:
        async with runtime.db.reading() as connection:
            bought = await repository.purchase(connection, record.purchase_external_id)
        assert bought is not None  # a foreign key
        done += await _resume(runtime, "return", record.external_id, _post_return(runtime, record, bought.channel))
    async with runtime.db.reading() as connection:
        counts = await repository.unposted_counts(connection)
    gauge = runtime.metrics.gauge("postings_unposted", "Purchases and returns not posted to the ledger yet",
                                  ("kind", "state"))
    for (kind, state), count in counts.items():
        gauge.labels(kind, state).set(count)
    return done


async def _resume(runtime: Runtime, kind: str, external_id: str, posting) -> int:  # noqa: ANN001
    try:
        await posting
    except asyncio.CancelledError:
        raise
    except LoyaltyError:
        return 0  # recorded by _posting_failed: retried later or parked
    except Exception as error:  # noqa: BLE001 - one broken row must not stop the others
        log.exception("%s %s: posting to the ledger failed unexpectedly", kind, external_id)
        await _posting_failed(runtime, kind, external_id, error)
        return 0
    return 1


__all__ = ["RECORDED", "CheckoutOutcome", "checkout", "evaluate_basket", "ledger_port", "record_return", "resume_postings"]
