"""The ledger's GraphQL schema: maps fields to handlers, nothing more."""
from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime

import strawberry
from strawberry.dataloader import DataLoader

from subgraphs.kernel.aliases import check_member_access
from subgraphs.kernel.graphql import Channel, LoyaltyInfo, PageInfo, make_schema

from . import domain, handlers, privacy

LedgerEntryKind = strawberry.enum(domain.EntryKind, name="LedgerEntryKind")
WalletChange = strawberry.enum(domain.WalletChange, description="What a wallet update is about.")


def _accounts(info: LoyaltyInfo) -> DataLoader[str, domain.Account | None]:
    runtime = info.context.runtime
    return info.context.loader(
        "accounts", lambda: DataLoader(lambda ids: handlers.accounts_by_member(runtime, ids))
    )


def _lots(info: LoyaltyInfo) -> DataLoader[str, list[domain.Lot]]:
    runtime = info.context.runtime
    return info.context.loader("lots", lambda: DataLoader(lambda ids: handlers.lots_by_member(runtime, ids)))


async def _program(info: LoyaltyInfo) -> handlers.Program:
    return await handlers.program(info.context.runtime)  # cached per process for a few seconds


@strawberry.type
class Tier:
    id: strawberry.ID
    name: str
    threshold: int
    multiplier: float
    benefits: list[str]

    @classmethod
    def from_domain(cls, tier: domain.Tier) -> Tier:
        return cls(id=strawberry.ID(tier.id), name=tier.name, threshold=tier.threshold,
                   multiplier=tier.multiplier, benefits=list(tier.benefits))


@strawberry.type
class ExpiringPoints:
    points: int
    on: date


@strawberry.type
class PointsBalance:
    available: int
    pending: int = strawberry.field(description="earned but not yet spendable (e.g. inside a return window)")
    lifetime_earned: int
    expiring_next: ExpiringPoints | None


@strawberry.type
class TierStatus:
    current: Tier
    since: datetime
    qualifying_points: int = strawberry.field(description="inside the qualification window")
    next: Tier | None
    points_to_next: int | None
    progress: float = strawberry.field(description="0..1 toward next")
    review_at: datetime | None = strawberry.field(
        description="when the tier is next reviewed: qualifying points in the window that ends then keep it, or "
                    "it goes down one level after a grace period; in the past while the member is in that grace "
                    "period; null for the lowest tier")
    grace_until: datetime | None = strawberry.field(
        description="in the grace period after a review that found the member short: the tier goes down one "
                    "level then unless qualifying points reach it again; null otherwise")
    points_to_keep: int | None = strawberry.field(
        description="qualifying points (matured) still needed when the review, or its grace period, decides, "
                    "counted in the window that ends then; 0 when the points counted reach the tier; null for "
                    "the lowest tier")
    kept_until: datetime | None = strawberry.field(
        description="when pointsToKeep is 0: the following review, until which the tier is kept on the points "
                    "counted now (a return can still take points back); null otherwise")


@strawberry.type
class LedgerEntry:
    id: strawberry.ID
    kind: LedgerEntryKind
    points: int = strawberry.field(description="signed")
    balance_after: int
    occurred_at: datetime
    channel: Channel
    reference: str | None = strawberry.field(description="externalId of the purchase / return / redemption")
    description: str

    @classmethod
    def from_domain(cls, entry: domain.Entry) -> LedgerEntry:
        return cls(
            id=strawberry.ID(entry.id), kind=entry.kind, points=entry.points, balance_after=entry.balance_after,
            occurred_at=entry.occurred_at, channel=entry.channel, reference=entry.reference,
            description=entry.description,
        )


@strawberry.type
class LedgerEdge:
    cursor: str
    node: LedgerEntry


@strawberry.type
class LedgerConnection:
    edges: list[LedgerEdge]
    page_info: PageInfo


@strawberry.federation.type(keys=["id"])
class Member:
    id: strawberry.ID

    @strawberry.field
    async def points(self, info: LoyaltyInfo) -> PointsBalance:
        account = await _accounts(info).load(self.id)
        if account is None:
            return PointsBalance(available=0, pending=0, lifetime_earned=0, expiring_next=None)
        expiring = domain.expiring_next(await _lots(info).load(self.id))
        return PointsBalance(
            available=account.available, pending=account.pending, lifetime_earned=account.lifetime_earned,
            expiring_next=ExpiringPoints(points=expiring.points, on=expiring.on) if expiring else None,
        )

    @strawberry.field
    async def tier(self, info: LoyaltyInfo) -> TierStatus:
        program = await _program(info)
        now = info.context.runtime.clock.now()
        account = await _accounts(info).load(self.id) or domain.new_account(self.id, program.tiers, now,
                                                                            program.policy)
        lots = await _lots(info).load(self.id)
        qualifying = domain.qualifying_points(lots, now, program.policy)
        status = domain.tier_status(account, program.tiers, qualifying)
        review = domain.tier_review(account, program.tiers, lots, now, program.policy)
        return TierStatus(
            current=Tier.from_domain(status.current),
            since=status.since,
            qualifying_points=status.qualifying_points,
            next=Tier.from_domain(status.next) if status.next else None,
            points_to_next=status.points_to_next,
            progress=status.progress,
            review_at=review.review_at if review else None,
            grace_until=review.grace_until if review else None,
            points_to_keep=review.points_to_keep if review else None,
            kept_until=review.kept_until if review else None,
        )

    @strawberry.field(description="Entries, newest first.")
    async def activity(
        self, info: LoyaltyInfo, first: int | None = 20, after: str | None = None
    ) -> LedgerConnection:
        entries, more = await handlers.activity(
            info.context.runtime, info.context.principal, self.id, 20 if first is None else first, after
        )
        edges = [LedgerEdge(cursor=handlers.cursor_of(e), node=LedgerEntry.from_domain(e)) for e in entries]
        return LedgerConnection(
            edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None)
        )

    @classmethod
    async def resolve_reference(cls, info: LoyaltyInfo, id: strawberry.ID) -> Member:
        await check_member_access(info.context.runtime.db, info.context.principal, id)
        return cls(id=id)


@strawberry.type
class WalletEvent:
    member: Member
    entry: LedgerEntry = strawberry.field(
        description="The new entry; for POINTS_MATURED the earlier earning whose points became available "
                    "(clients that already list it by id keep one row).")
    at: datetime
    change: WalletChange
    points: int = strawberry.field(description="Signed: the new entry's points, or the points that matured.")


@strawberry.type
class TierChange:
    member: Member
    from_: Tier = strawberry.field(name="from")
    to: Tier
    at: datetime


# Service-only API for the rewards subgraph: hidden from the public supergraph.


@strawberry.federation.input(inaccessible=True)
class EarningLineInput:
    line_id: str
    sku: strawberry.ID
    quantity: int
    points: int


@strawberry.federation.input(inaccessible=True)
class PostEarningInput:
    member_id: strawberry.ID
    reference: str
    channel: Channel
    occurred_at: datetime
    description: str
    lines: list[EarningLineInput]


@strawberry.federation.input(inaccessible=True)
class ReturnedLineInput:
    line_id: str
    points: int


@strawberry.federation.input(inaccessible=True)
class PostReturnInput:
    member_id: strawberry.ID
    reference: str
    purchase_reference: str
    channel: Channel
    occurred_at: datetime
    description: str
    lines: list[ReturnedLineInput]


@strawberry.federation.input(inaccessible=True)
class DebitPointsInput:
    member_id: strawberry.ID
    points: int
    idempotency_key: str
    description: str
    reference: str | None = None


@strawberry.federation.type(inaccessible=True)
class PostingResult:
    entry: LedgerEntry | None
    duplicate: bool

    @classmethod
    def from_domain(cls, result: handlers.PostingResult) -> PostingResult:
        return cls(entry=LedgerEntry.from_domain(result.entry) if result.entry else None,
                   duplicate=result.duplicate)


@strawberry.input
class AdjustPointsInput:
    member_id: strawberry.ID
    points: int = strawberry.field(description="signed: positive adds, negative takes")
    reason: str
    idempotency_key: str


@strawberry.type
class Query:
    @strawberry.field(description="The program's tiers, lowest first.")
    async def tiers(self, info: LoyaltyInfo) -> list[Tier]:
        return [Tier.from_domain(t) for t in domain.ordered((await _program(info)).tiers)]

    @strawberry.federation.field(inaccessible=True, description="Service role: the ledger's part of a member's "
                                                                "data export (JSON), for profile to gather.")
    async def ledger_member_export(self, info: LoyaltyInfo, member_id: strawberry.ID) -> str:
        return await privacy.export(info.context.runtime, info.context.principal, member_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Supervisors: add or take points with a reason; recorded with who did it.")
    async def adjust_points(self, info: LoyaltyInfo, input: AdjustPointsInput) -> LedgerEntry:
        entry = await handlers.adjust_points(
            info.context.runtime, info.context.principal, member_id=input.member_id, points=input.points,
            reason=input.reason, idempotency_key=input.idempotency_key,
        )
        return LedgerEntry.from_domain(entry)

    @strawberry.federation.mutation(inaccessible=True, description="Service role: a purchase's earned points.")
    async def post_earning(self, info: LoyaltyInfo, input: PostEarningInput) -> PostingResult:
        result = await handlers.post_earning(
            info.context.runtime,
            info.context.principal,
            member_id=input.member_id,
            reference=input.reference,
            channel=input.channel,
            occurred_at=input.occurred_at,
            description=input.description,
            lines=[handlers.EarningLine(ln.line_id, ln.sku, ln.quantity, ln.points) for ln in input.lines],
        )
        return PostingResult.from_domain(result)

    @strawberry.federation.mutation(inaccessible=True, description="Service role: returned lines take back points.")
    async def post_return(self, info: LoyaltyInfo, input: PostReturnInput) -> PostingResult:
        result = await handlers.post_return(
            info.context.runtime, info.context.principal, member_id=input.member_id, reference=input.reference,
            purchase_reference=input.purchase_reference, channel=input.channel, occurred_at=input.occurred_at,
            description=input.description, lines=[(ln.line_id, ln.points) for ln in input.lines],
        )
        return PostingResult.from_domain(result)

    @strawberry.federation.mutation(inaccessible=True, description="Service role: a redemption's points.")
    async def debit_points(self, info: LoyaltyInfo, input: DebitPointsInput) -> PostingResult:
        result = await handlers.debit_points(
            info.context.runtime, info.context.principal, member_id=input.member_id, points=input.points,
            idempotency_key=input.idempotency_key, reference=input.reference, description=input.description,
        )
        return PostingResult.from_domain(result)

    @strawberry.federation.mutation(inaccessible=True, description="Service role: a redemption that could not "
                                                                   "finish gives its points back.")
    async def refund_points(self, info: LoyaltyInfo, input: DebitPointsInput) -> PostingResult:
        result = await handlers.refund_points(
            info.context.runtime, info.context.principal, member_id=input.member_id, points=input.points,
            idempotency_key=input.idempotency_key, reference=input.reference, description=input.description,
        )
        return PostingResult.from_domain(result)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Every change of the member's balance.")
    async def wallet_updated(self, info: LoyaltyInfo, member_id: strawberry.ID) -> AsyncGenerator[WalletEvent, None]:
        async for update in handlers.wallet_changes(info.context.runtime, info.context.principal, member_id):
            yield WalletEvent(member=Member(id=member_id), entry=LedgerEntry.from_domain(update.entry), at=update.at,
                              change=update.change, points=update.points)

    @strawberry.subscription
    async def tier_changed(self, info: LoyaltyInfo, member_id: strawberry.ID) -> AsyncGenerator[TierChange, None]:
        async for change in handlers.tier_changes(info.context.runtime, info.context.principal, member_id):
            yield TierChange(
                member=Member(id=member_id), from_=Tier.from_domain(change.from_tier),
                to=Tier.from_domain(change.to_tier), at=change.at,
            )


schema = make_schema(Query, Mutation, Subscription)
