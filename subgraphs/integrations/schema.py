"""Integrations' GraphQL schema: maps fields to handlers, nothing more."""
from __future__ import annotations

from datetime import datetime

import strawberry

from subgraphs.kernel.graphql import LoyaltyInfo, make_schema

from . import handlers, privacy


@strawberry.type(description="An outbound webhook: each event its subscription document would push to a live "
                             "subscriber is POSTed to the URL as that document's result, signed with the secret.")
class Webhook:
    id: strawberry.ID
    url: str
    subscription: str = strawberry.field(description="A GraphQL subscription document against the supergraph; "
                                                     "its results are the payloads.")
    active: bool
    last_delivery_at: datetime | None
    failures: int = strawberry.field(description="Deliveries that exhausted their retries.")

    @classmethod
    def from_domain(cls, webhook: handlers.Webhook) -> Webhook:
        return cls(id=strawberry.ID(webhook.id), url=webhook.url, subscription=webhook.subscription,
                   active=webhook.active, last_delivery_at=webhook.last_delivery_at, failures=webhook.failures)


@strawberry.input
class WebhookInput:
    url: str
    subscription: str
    secret: str
    id: strawberry.ID | None = None
    active: bool | None = strawberry.field(default=True, description="false pauses deliveries (events are not "
                                                                     "recorded while paused).")


@strawberry.input(description="A change to a webhook (an extension of the contract): what is left out keeps its "
                              "stored value, the secret included, so pausing or editing never asks for it again.")
class WebhookUpdateInput:
    id: strawberry.ID
    url: str | None = None
    subscription: str | None = None
    secret: str | None = strawberry.field(default=None, description="A new secret (16 to 200 characters); left "
                                                                     "out, the stored one keeps signing.")
    active: bool | None = strawberry.field(default=None, description="false pauses deliveries, true resumes them.")


@strawberry.type
class Query:
    @strawberry.field(description="Every outbound webhook (admins). Secrets are never shown.")
    async def webhooks(self, info: LoyaltyInfo) -> list[Webhook]:
        found = await handlers.list_webhooks(info.context.runtime, info.context.principal)
        return [Webhook.from_domain(w) for w in found]

    @strawberry.federation.field(inaccessible=True, description="Service role: integrations' part of a member's "
                                                                "data export (JSON), for profile to gather.")
    async def integrations_member_export(self, info: LoyaltyInfo, member_id: strawberry.ID) -> str:
        return await privacy.export(info.context.runtime, info.context.principal, member_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register or change an outbound webhook (admins): the subscription document "
                                     "is checked against the supergraph.")
    async def upsert_webhook(self, info: LoyaltyInfo, input: WebhookInput) -> Webhook:
        saved = await handlers.upsert_webhook(
            info.context.runtime, info.context.principal, webhook_id=input.id, url=input.url,
            subscription=input.subscription, secret=input.secret,
            active=True if input.active is None else input.active)
        return Webhook.from_domain(saved)

    @strawberry.mutation(description="Change a webhook (admins) without repeating what stays: its URL, document, "
                                     "secret or active flag; NOT_FOUND when there is none.")
    async def update_webhook(self, info: LoyaltyInfo, input: WebhookUpdateInput) -> Webhook:
        saved = await handlers.upsert_webhook(
            info.context.runtime, info.context.principal, webhook_id=input.id, url=input.url,
            subscription=input.subscription, secret=input.secret, active=input.active)
        return Webhook.from_domain(saved)

    @strawberry.mutation(description="Delete an outbound webhook and what it still had to send (admins).")
    async def delete_webhook(self, info: LoyaltyInfo, id: strawberry.ID) -> bool:
        return await handlers.delete_webhook(info.context.runtime, info.context.principal, id)


schema = make_schema(Query, Mutation)
