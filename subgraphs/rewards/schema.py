"""The rewards engine's GraphQL schema: maps fields to handlers, nothing more."""
from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.federation.schema_directives import Key

from subgraphs.kernel.graphql import Channel, IdentifierInput, LoyaltyInfo, make_schema

from . import domain, handlers, privacy
from .domain.campaigns import CampaignDraft
from .domain.catalogue import Reward as RewardRecord
from .handlers.campaigns import CampaignView
from .handlers.coupons import CouponView

EffectKind = strawberry.enum(domain.EffectKind)
CampaignStatus = strawberry.enum(domain.campaigns.CampaignStatus)
CouponStatus = strawberry.enum(domain.coupons.CouponStatus)
OfferKind = strawberry.enum(domain.offers.OfferKind)
OfferStatus = strawberry.enum(domain.offers.OfferStatus)
MessageKind = strawberry.enum(domain.messages.MessageKind)
MessageChannel = strawberry.enum(domain.messages.MessageChannel)
MessageStatus = strawberry.enum(domain.messages.MessageStatus)


@strawberry.federation.type(keys=[Key(fields="sku", resolvable=False)])
class Product:
    sku: strawberry.ID


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])
class Store:
    id: strawberry.ID


@strawberry.type(description="What a triggered campaign put in front of one member.")
class Offer:
    id: strawberry.ID
    kind: OfferKind
    status: OfferStatus
    message: str
    reason: str = strawberry.field(description="why this member got it, in words a member can read")
    issued_at: datetime
    expires_at: datetime | None
    campaign_id: strawberry.ID | None
    size: str | None
    hold_hours: int = strawberry.field(description="RESERVATION: how long the store holds the unit once accepted")
    reservation_id: strawberry.ID | None
    coupon_code: str | None
    sku: strawberry.Private[str | None]
    store_id: strawberry.Private[str | None]
    member_id: strawberry.Private[str]

    @strawberry.field
    def product(self) -> Product | None:
        return Product(sku=strawberry.ID(self.sku)) if self.sku else None

    @strawberry.field
    def store(self) -> Store | None:
        return Store(id=strawberry.ID(self.store_id)) if self.store_id else None

    @strawberry.field
    def member(self) -> Member:
        return Member(id=strawberry.ID(self.member_id))

    @classmethod
    def from_domain(cls, offer: domain.offers.Offer, status: domain.offers.OfferStatus | None = None) -> Offer:
        return cls(id=strawberry.ID(offer.id), kind=offer.kind, status=status or offer.status, message=offer.message,
                   reason=offer.reason, issued_at=offer.issued_at, expires_at=offer.expires_at,
                   campaign_id=strawberry.ID(offer.campaign_id), size=offer.size, hold_hours=offer.hold_hours,
                   reservation_id=strawberry.ID(offer.reservation_id) if offer.reservation_id else None,
                   coupon_code=offer.coupon_code, sku=offer.sku, store_id=offer.store_id, member_id=offer.member_id)


@strawberry.type(description="One message to a member on one channel, and what became of it.")
class Message:
    id: strawberry.ID
    kind: MessageKind
    channel: MessageChannel
    status: MessageStatus
    reason: str | None = strawberry.field(description="why it was deferred, skipped, capped or failed")
    created_at: datetime
    next_attempt_at: datetime | None = strawberry.field(description="a pending message: when it is looked at again")
    attempts: int
    sent_at: datetime | None

    @classmethod
    def from_domain(cls, message: handlers.messages.Message) -> Message:
        pending = message.status in domain.messages.PENDING
        return cls(id=strawberry.ID(message.id), kind=message.kind, channel=message.channel, status=message.status,
                   reason=message.reason, created_at=message.created_at,
                   next_attempt_at=message.next_attempt_at if pending else None, attempts=message.attempts,
                   sent_at=message.sent_at)


@strawberry.type
class PointsBalance:
    """The ledger's, read here only for `availableRewards` (@requires)."""

    available: int = strawberry.federation.field(external=True)


@strawberry.type
class Reward:
    id: strawberry.ID
    name: str
    points_cost: int
    description: str
    active: bool
    stock: int | None = strawberry.field(description="units left; null: unlimited")
    coupon_amount: Decimal | None = None
    coupon_percent: float | None = None
    valid_days: int = strawberry.field(description="days the coupon of a redemption stays valid")

    @classmethod
    def from_domain(cls, reward: RewardRecord) -> Reward:
        return cls(id=strawberry.ID(reward.id), name=reward.name, points_cost=reward.points_cost,
                   description=reward.description, active=reward.active, stock=reward.stock,
                   coupon_amount=reward.coupon_amount,
                   coupon_percent=float(reward.coupon_percent) if reward.coupon_percent is not None else None,
                   valid_days=reward.valid_days)


@strawberry.federation.type(keys=["id"])
class Member:
    id: strawberry.ID
    # External: the ledger resolves it; the gateway sends it along for `availableRewards`.
    points: PointsBalance = strawberry.federation.field(external=True,
                                                        default_factory=lambda: PointsBalance(available=0))
    known_available: strawberry.Private[int | None] = None

    @strawberry.field(description="The member's offers, newest first.")
    async def offers(self, info: LoyaltyInfo, status: OfferStatus | None = None) -> list[Offer]:
        found = await handlers.offers.offers_of(info.context.runtime, info.context.principal, self.id, status)
        return [Offer.from_domain(offer, now) for offer, now in found]

    @strawberry.field(description="The member's coupons, newest first.")
    async def coupons(self, info: LoyaltyInfo, status: CouponStatus | None = None) -> list[Coupon]:
        found = await handlers.coupons.coupons_of(info.context.runtime, info.context.principal, self.id, status)
        return [Coupon.from_domain(view) for view in found]

    @strawberry.field(description="Messages to the member by email, SMS and push, newest first, each with its "
                                  "outcome (the member themself, or staff).")
    async def messages(self, info: LoyaltyInfo, first: int = 20) -> list[Message]:
        found = await handlers.messages.messages_of(info.context.runtime, info.context.principal, self.id, first)
        return [Message.from_domain(m) for m in found]

    @strawberry.federation.field(requires=["points { available }"],
                                 description="Rewards the member's available points pay for now, cheapest first.")
    async def available_rewards(self, info: LoyaltyInfo) -> list[Reward]:
        available = self.known_available if self.known_available is not None else 0
        found = await handlers.catalogue.available_rewards(info.context.runtime, info.context.principal, self.id,
                                                           available)
        return [Reward.from_domain(r) for r in found]

    @classmethod
    def resolve_reference(cls, info: LoyaltyInfo, id: strawberry.ID, points: dict | None = None) -> Member:
        known = int(points["available"]) if points and "available" in points else None
        return cls(id=id, known_available=known)


@strawberry.type
class Coupon:
    code: str
    status: CouponStatus
    description: str
    discount_amount: Decimal | None
    discount_percent: float | None
    expires_at: datetime | None
    issued_at: datetime
    reason: str | None = strawberry.field(description="why it cannot be redeemed now; null when it can")
    campaign_id: strawberry.ID | None
    reward_id: strawberry.ID | None
    member_id: strawberry.Private[str | None]

    @strawberry.field
    def member(self) -> Member | None:
        return Member(id=strawberry.ID(self.member_id)) if self.member_id else None

    @classmethod
    def from_domain(cls, view: CouponView) -> Coupon:
        coupon = view.coupon
        return cls(code=coupon.code, status=view.status, description=coupon.description,
                   discount_amount=coupon.amount,
                   discount_percent=float(coupon.percent) if coupon.percent is not None else None,
                   expires_at=coupon.expires_at, issued_at=coupon.issued_at, reason=view.why_not,
                   campaign_id=strawberry.ID(coupon.campaign_id) if coupon.campaign_id else None,
                   reward_id=strawberry.ID(coupon.reward_id) if coupon.reward_id else None,
                   member_id=coupon.member_id)


@strawberry.type
class CampaignBudget:
    limit: int
    used: int
    unit: str


@strawberry.type
class CampaignVariant:
    name: str
    weight: int
    effects: list[str]
    exposures: int
    conversions: int


@strawberry.type
class Campaign:
    id: strawberry.ID
    name: str
    status: CampaignStatus
    trigger: str
    condition: str
    effects: list[str]
    personalized: bool
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    exclusive: bool
    per_member_cap: int | None
    audience: strawberry.ID | None
    budget: CampaignBudget | None
    variants: list[CampaignVariant]
    version: int
    updated_at: datetime

    @classmethod
    def from_domain(cls, view: CampaignView) -> Campaign:
        c = view.campaign
        return cls(
            id=strawberry.ID(c.id), name=c.name, status=c.status, trigger=str(c.trigger), condition=c.condition,
            effects=list(c.effects), personalized=c.personalized, starts_at=c.starts_at, ends_at=c.ends_at,
            priority=c.priority, exclusive=c.exclusive, per_member_cap=c.per_member_cap,
            audience=strawberry.ID(c.audience) if c.audience else None,
            budget=CampaignBudget(limit=c.budget.limit, used=c.budget.used, unit=str(c.budget.unit))
            if c.budget else None,
            variants=[CampaignVariant(name=v.name, weight=v.weight, effects=list(v.effects),
                                      exposures=view.variant_counts.get(v.name, (0, 0))[0],
                                      conversions=view.variant_counts.get(v.name, (0, 0))[1]) for v in c.variants],
            version=c.version, updated_at=c.updated_at,
        )


@strawberry.type(description="What keeps a campaign draft from being saved.")
class CampaignProblem:
    field: str = strawberry.field(description="the input field, e.g. condition, effects, budget")
    message: str
    line: int | None = strawberry.field(description="for the condition: 1-based line of the mistake")
    column: int | None = strawberry.field(description="for the condition: 1-based column of the mistake")


@strawberry.input
class CampaignBudgetInput:
    limit: int
    unit: str


@strawberry.input
class CampaignVariantInput:
    name: str
    weight: int
    effects: list[str]


@strawberry.input
class CampaignInput:
    name: str
    trigger: str
    condition: str
    effects: list[str]
    id: strawberry.ID | None = None
    personalized: bool | None = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int | None = 0
    exclusive: bool | None = False
    per_member_cap: int | None = None
    audience: strawberry.ID | None = None
    budget: CampaignBudgetInput | None = None
    variants: list[CampaignVariantInput] | None = None

    def to_domain(self) -> CampaignDraft:
        return CampaignDraft(
            name=self.name, trigger=self.trigger, condition=self.condition, effects=tuple(self.effects),
            personalized=bool(self.personalized), starts_at=self.starts_at, ends_at=self.ends_at,
            priority=self.priority or 0, exclusive=bool(self.exclusive), per_member_cap=self.per_member_cap,
            audience=self.audience, budget_limit=self.budget.limit if self.budget else None,
            budget_unit=self.budget.unit if self.budget else None,
            variants=tuple((v.name, v.weight, tuple(v.effects)) for v in self.variants or ()),
        )


@strawberry.input
class RewardInput:
    name: str
    points_cost: int
    description: str
    id: strawberry.ID | None = None
    active: bool | None = True
    stock: int | None = None
    coupon_amount: Decimal | None = None
    coupon_percent: Decimal | None = None
    valid_days: int | None = 90

    def to_domain(self, reward_id: str | None) -> RewardRecord:
        """A reward without an id is a new one (the handler names it)."""
        return RewardRecord(reward_id or "", self.name, self.description, self.points_cost,
                            True if self.active is None else self.active, self.stock, self.coupon_amount,
                            self.coupon_percent, 90 if self.valid_days is None else self.valid_days)


@strawberry.type
class Effect:
    kind: EffectKind
    description: str
    amount: Decimal | None = None
    points: int | None = None
    coupon_code: str | None = None
    sku: strawberry.ID | None = None
    campaign_id: strawberry.ID | None = None


@strawberry.type
class BasketEvaluation:
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    points_to_earn: int
    effects: list[Effect]

    @classmethod
    def from_domain(cls, evaluation: domain.Evaluation) -> BasketEvaluation:
        return cls(
            subtotal=evaluation.subtotal,
            discount=evaluation.discount,
            total=evaluation.total,
            points_to_earn=evaluation.points_to_earn,
            effects=[
                Effect(kind=e.kind, description=e.description, amount=e.amount, points=e.points,
                       coupon_code=e.coupon_code, sku=e.sku, campaign_id=e.campaign_id)
                for e in evaluation.effects
            ],
        )


@strawberry.type
class CheckoutResult:
    external_id: str
    member: Member | None
    evaluation: BasketEvaluation
    points_earned: int
    duplicate: bool = strawberry.field(description="true when this externalId was already recorded")


@strawberry.input
class BasketLineInput:
    sku: strawberry.ID
    quantity: int
    unit_price: Decimal
    size: str | None = None


@strawberry.input
class BasketInput:
    channel: Channel
    lines: list[BasketLineInput]
    member_id: strawberry.ID | None = None
    identifier: IdentifierInput | None = None
    store_id: strawberry.ID | None = None
    coupon_codes: list[str] | None = None

    def to_domain(self) -> domain.Basket:
        return domain.Basket(
            channel=self.channel,
            lines=tuple(domain.BasketLine(ln.sku, ln.quantity, ln.unit_price, ln.size) for ln in self.lines),
            store_id=self.store_id,
            coupon_codes=tuple(self.coupon_codes or ()),
        )

    def member_ref(self) -> handlers.MemberRef:
        if self.identifier is None:
            return handlers.MemberRef(member_id=self.member_id)
        return handlers.MemberRef(self.member_id, self.identifier.kind, self.identifier.value)


@strawberry.input
class CheckoutInput:
    external_id: str
    basket: BasketInput
    occurred_at: datetime | None = None


@strawberry.type
class ReturnResult:
    external_id: str
    points_reversed: int
    member: Member | None


@strawberry.input
class ReturnLineInput:
    sku: strawberry.ID
    quantity: int


@strawberry.input
class ReturnInput:
    external_id: str
    purchase_external_id: str
    lines: list[ReturnLineInput]


@strawberry.type
class Query:
    @strawberry.field(description="Dry run: the effects of a basket; writes nothing.")
    async def evaluate_basket(self, info: LoyaltyInfo, input: BasketInput) -> BasketEvaluation:
        evaluation = await handlers.evaluate_basket(
            info.context.runtime, info.context.principal, input.to_domain(), input.member_ref()
        )
        return BasketEvaluation.from_domain(evaluation)

    @strawberry.field(description="The rewards catalogue: active rewards (every reward for admins).")
    async def rewards(self, info: LoyaltyInfo) -> list[Reward]:
        return [Reward.from_domain(r) for r in await handlers.catalogue.rewards(info.context.runtime,
                                                                                 info.context.principal)]

    @strawberry.field(description="A coupon as the till checks it: status, and why it cannot be redeemed (for "
                                  "`memberId`, when given). A member sees only their own.")
    async def coupon(self, info: LoyaltyInfo, code: str, member_id: strawberry.ID | None = None) -> Coupon | None:
        view = await handlers.coupons.coupon(info.context.runtime, info.context.principal, code, member_id)
        return Coupon.from_domain(view) if view else None

    @strawberry.field(description="Every campaign, its latest version (admins).")
    async def campaigns(self, info: LoyaltyInfo) -> list[Campaign]:
        return [Campaign.from_domain(v) for v in await handlers.campaigns.all_campaigns(info.context.runtime,
                                                                                         info.context.principal)]

    @strawberry.field(description="One campaign (admins).")
    async def campaign(self, info: LoyaltyInfo, id: strawberry.ID) -> Campaign | None:
        view = await handlers.campaigns.campaign_by_id(info.context.runtime, info.context.principal, id)
        return Campaign.from_domain(view) if view else None

    @strawberry.field(description="What a draft campaign would do for a real member now; saves nothing. For a "
                                  "basket campaign, `event` is a basket as JSON (default: the member's last "
                                  "purchase); otherwise the event's facts as JSON.")
    async def dry_run_campaign(self, info: LoyaltyInfo, input: CampaignInput, member_id: strawberry.ID,
                               event: str | None = None) -> list[Effect]:
        found = await handlers.campaigns.dry_run(info.context.runtime, info.context.principal, input.to_domain(),
                                                 member_id, event)
        return [Effect(kind=e.kind, description=e.description, amount=e.amount, points=e.points,
                       coupon_code=e.coupon_code, sku=e.sku, campaign_id=e.campaign_id) for e in found]

    @strawberry.field(description="The checks of a save, without saving (admins): empty when the draft can be "
                                  "saved; otherwise its problems, a condition's with its line and column.")
    async def validate_campaign(self, info: LoyaltyInfo, input: CampaignInput) -> list[CampaignProblem]:
        found = handlers.campaigns.check_draft(info.context.runtime, info.context.principal, input.to_domain())
        return [CampaignProblem(field=p.field, message=p.message, line=p.line, column=p.column) for p in found]

    @strawberry.federation.field(inaccessible=True, description="Service role: the engine's part of a member's "
                                                                "data export (JSON), for profile to gather.")
    async def rewards_member_export(self, info: LoyaltyInfo, member_id: strawberry.ID) -> str:
        return await privacy.export(info.context.runtime, info.context.principal, member_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Commit a basket: record it and post its points; idempotent by externalId.")
    async def checkout(self, info: LoyaltyInfo, input: CheckoutInput) -> CheckoutResult:
        outcome = await handlers.checkout(
            info.context.runtime,
            info.context.principal,
            external_id=input.external_id,
            occurred_at=input.occurred_at,
            basket=input.basket.to_domain(),
            ref=input.basket.member_ref(),
        )
        return CheckoutResult(
            external_id=outcome.external_id,
            member=Member(id=strawberry.ID(outcome.member_id)),
            evaluation=BasketEvaluation.from_domain(outcome.evaluation),
            points_earned=outcome.points_earned,
            duplicate=outcome.duplicate,
        )


    @strawberry.mutation(description="Returned lines give back exactly what they earned; idempotent by externalId.")
    async def record_return(self, info: LoyaltyInfo, input: ReturnInput) -> ReturnResult:
        outcome = await handlers.record_return(
            info.context.runtime, info.context.principal, external_id=input.external_id,
            purchase_external_id=input.purchase_external_id,
            lines=[domain.ReturnRequest(line.sku, line.quantity) for line in input.lines],
        )
        return ReturnResult(external_id=outcome.external_id, points_reversed=outcome.points_reversed,
                            member=Member(id=strawberry.ID(outcome.member_id)))

    @strawberry.mutation(description="Save a campaign (admins): a new one is a DRAFT; saving one is its next "
                                     "version, live at once if it runs.")
    async def upsert_campaign(self, info: LoyaltyInfo, input: CampaignInput) -> Campaign:
        saved = await handlers.campaigns.upsert_campaign(info.context.runtime, info.context.principal,
                                                         input.to_domain(), input.id)
        return Campaign.from_domain(CampaignView(saved, {}))

    @strawberry.mutation(description="Start, pause or end a campaign (admins).")
    async def set_campaign_status(self, info: LoyaltyInfo, id: strawberry.ID, status: CampaignStatus) -> Campaign:
        changed = await handlers.campaigns.set_status(info.context.runtime, info.context.principal, id, status)
        return Campaign.from_domain(CampaignView(changed, {}))

    @strawberry.mutation(description="Add or change a reward in the catalogue (admins).")
    async def upsert_reward(self, info: LoyaltyInfo, input: RewardInput) -> Reward:
        saved = await handlers.catalogue.upsert_reward(info.context.runtime, info.context.principal,
                                                       input.to_domain(input.id))
        return Reward.from_domain(saved)

    @strawberry.mutation(description="Spend points on a reward: the coupon; idempotent by idempotencyKey.")
    async def redeem_reward(self, info: LoyaltyInfo, member_id: strawberry.ID, reward_id: strawberry.ID,
                            idempotency_key: str) -> Coupon:
        coupon = await handlers.catalogue.redeem_reward(info.context.runtime, info.context.principal,
                                                        member_id=member_id, reward_id=reward_id,
                                                        idempotency_key=idempotency_key)
        return Coupon.from_domain(CouponView(coupon, coupon.status, None))

    @strawberry.mutation(description="Take an offer: a reservation offer holds the unit at the store, a discount "
                                     "or gift offer gives a coupon.")
    async def accept_offer(self, info: LoyaltyInfo, offer_id: strawberry.ID) -> Offer:
        return Offer.from_domain(await handlers.offers.accept(info.context.runtime, info.context.principal, offer_id))

    @strawberry.mutation(description="Say no to an offer.")
    async def decline_offer(self, info: LoyaltyInfo, offer_id: strawberry.ID) -> Offer:
        return Offer.from_domain(await handlers.offers.decline(info.context.runtime, info.context.principal, offer_id))

    @strawberry.mutation(description="Void a coupon that was not redeemed (supervisors, admins).")
    async def void_coupon(self, info: LoyaltyInfo, code: str) -> Coupon:
        return Coupon.from_domain(await handlers.coupons.void(info.context.runtime, info.context.principal, code))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Every offer issued to the member from now on.")
    async def offer_issued(self, info: LoyaltyInfo, member_id: strawberry.ID) -> AsyncGenerator[Offer, None]:
        async for offer in handlers.offers.offers_issued(info.context.runtime, info.context.principal, member_id):
            yield Offer.from_domain(offer)

    @strawberry.subscription(description="Every offer issued to the member from now on, and every change of one "
                                         "(accepted, declined, redeemed), as it is after the change.")
    async def offer_updated(self, info: LoyaltyInfo, member_id: strawberry.ID) -> AsyncGenerator[Offer, None]:
        async for offer in handlers.offers.offers_updated(info.context.runtime, info.context.principal, member_id):
            yield Offer.from_domain(offer)


schema = make_schema(Query, Mutation, Subscription)
