"""The rewards engine's GraphQL schema: maps fields to handlers, nothing more."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from subgraphs.kernel.graphql import Channel, IdentifierInput, LoyaltyInfo, make_schema

from . import domain, handlers, privacy

EffectKind = strawberry.enum(domain.EffectKind)


@strawberry.federation.type(keys=["id"])
class Member:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: LoyaltyInfo, id: strawberry.ID) -> Member:
        return cls(id=id)


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


schema = make_schema(Query, Mutation)
