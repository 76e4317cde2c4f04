"""Outbound webhooks, the rules (no I/O): what a registration may say, which events feed
it, how a payload is signed and when a failed delivery is tried again.

A webhook is a GraphQL subscription document against the supergraph, e.g.

    subscription { tierChanged(memberId: "*") { member { id givenName } from { name } to { name } at } }

`memberId: "*"` means every member; a member id means that member only. Each event
that the root field would have pushed to a live subscriber becomes one delivery,
whose body is the document's result for that event.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    parse,
    print_ast,
    validate,
)

from core.errors import BadUserInput

MAX_WEBHOOKS = 100  # registrations in all: each event is matched against every active one
MAX_DOCUMENT_CHARS = 10_000
MAX_DOCUMENT_TOKENS = 2_000
MAX_URL_CHARS = 2_000
MIN_SECRET_CHARS = 16  # an HMAC key a receiver can guess offline protects nothing
MAX_SECRET_CHARS = 200
MAX_MEMBER_ID_CHARS = 40
EVERY_MEMBER = "*"
MEMBER_ARGUMENT = "memberId"


@dataclass(frozen=True, slots=True)
class EventSource:
    """The events a subscription root field is fed from: the subgraph that publishes them and
    the event types that can produce a result (None: any of that subgraph's events may; the
    subgraph decides, and one that produces nothing is skipped)."""

    subgraph: str
    types: tuple[str, ...] | None

    def feeds(self, subgraph: str, event_type: str) -> bool:
        return subgraph == self.subgraph and (self.types is None or event_type in self.types)


# The supergraph's subscription root fields a webhook can be defined on, and what feeds each
# (the subject the owning subgraph's resolver listens to, narrowed to the types it answers).
SUBSCRIPTION_SOURCES: dict[str, EventSource] = {
    "walletUpdated": EventSource("ledger", None),
    "tierChanged": EventSource("ledger", ("TierChanged",)),
    "offerIssued": EventSource("rewards", ("OfferIssued",)),
    "reservationUpdated": EventSource("inventory", ("ReservationChanged",)),
}


def fields_fed_by(subgraph: str, event_type: str) -> list[str]:
    return [name for name, source in SUBSCRIPTION_SOURCES.items() if source.feeds(subgraph, event_type)]


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its turn (the member's earlier deliveries first) or its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    SKIPPED = "skipped"  # the event gave the document no result (e.g. a ledger event that is not a balance change)
    FAILED = "failed"  # every attempt failed: counted in Webhook.failures


@dataclass(frozen=True, slots=True)
class WebhookDocument:
    """A checked subscription document: its root field and whose events it wants."""

    text: str
    field: str
    member_filter: str  # EVERY_MEMBER or one member id

    def wants(self, member_id: str) -> bool:
        return self.member_filter in (EVERY_MEMBER, member_id)

    def for_member(self, member_id: str) -> str:
        """The document as it runs for one event: the member filter replaced by the event's
        member (a live subscriber names one member too)."""
        document = parse(self.text, no_location=True)
        operation = _operation(document)
        root = operation.selection_set.selections[0]
        assert isinstance(root, FieldNode)
        named = dataclasses.replace(root, arguments=tuple(
            ArgumentNode(name=a.name, value=StringValueNode(value=member_id)) if a.name.value == MEMBER_ARGUMENT
            else a for a in root.arguments or ()))
        operation = dataclasses.replace(operation, selection_set=dataclasses.replace(operation.selection_set,
                                                                                     selections=(named,)))
        return print_ast(DocumentNode(definitions=tuple(operation if isinstance(d, OperationDefinitionNode) else d
                                                        for d in document.definitions)))


def _operation(document: DocumentNode) -> OperationDefinitionNode:
    return next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))


def _refuse(message: str, error: GraphQLError | None = None) -> BadUserInput:
    where = {}
    if error is not None and error.locations:
        where = {"line": error.locations[0].line, "column": error.locations[0].column}
    return BadUserInput(message, field="subscription", **where)


def parse_document(text: str, schema: GraphQLSchema) -> WebhookDocument:
    """Check a webhook's document against the supergraph's API schema: it parses, holds one
    subscription operation without variables, is valid, has exactly one root field that a
    webhook can follow, and names the member filter as a string literal. Bounded work: the
    length and the tokens are capped before anything is parsed or validated."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise _refuse(f"the subscription has at most {MAX_DOCUMENT_CHARS} characters")
    try:
        document = parse(text, max_tokens=MAX_DOCUMENT_TOKENS)
    except GraphQLError as error:
        raise _refuse(f"the subscription does not parse: {error.message}", error) from error
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        raise _refuse("the subscription document holds exactly one operation")
    operation = operations[0]
    if operation.operation is not OperationType.SUBSCRIPTION:
        raise _refuse(f"the document is a {operation.operation.value}; a webhook needs a subscription")
    if operation.variable_definitions:
        raise _refuse("a webhook's subscription takes no variables: write the member filter in the document, "
                      f'e.g. {MEMBER_ARGUMENT}: "{EVERY_MEMBER}" for every member')
    errors = validate(schema, document, max_errors=5)
    if errors:
        raise _refuse(f"the subscription is not valid against the supergraph: {errors[0].message}", errors[0])
    roots = operation.selection_set.selections
    if len(roots) != 1 or not isinstance(roots[0], FieldNode):
        raise _refuse("the subscription selects exactly one root field (no fragments at the root)")
    root = roots[0]
    if root.directives:
        raise _refuse("the root field of a webhook's subscription takes no directives")
    if root.name.value not in SUBSCRIPTION_SOURCES:
        raise _refuse(f"a webhook cannot follow {root.name.value}; it can follow "
                      + ", ".join(sorted(SUBSCRIPTION_SOURCES)))
    member = next((a.value for a in root.arguments or () if a.name.value == MEMBER_ARGUMENT), None)
    if not isinstance(member, StringValueNode):
        raise _refuse(f'{root.name.value} names its member as a string: {MEMBER_ARGUMENT}: "{EVERY_MEMBER}" for '
                      f'every member, or {MEMBER_ARGUMENT}: "<member id>"')
    member_filter = member.value.strip()
    if not member_filter or len(member_filter) > MAX_MEMBER_ID_CHARS:
        raise _refuse(f'{MEMBER_ARGUMENT} is "{EVERY_MEMBER}" or a member id of at most {MAX_MEMBER_ID_CHARS} '
                      "characters")
    return WebhookDocument(text, root.name.value, member_filter)


# --- receivers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiverUrl:
    url: str
    host: str
    port: int


def check_url(url: str) -> ReceiverUrl:
    """An absolute http(s) URL with a host and no credentials in it (a secret belongs in
    `secret`, and URLs end up in logs)."""
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise BadUserInput(f"the URL has at most {MAX_URL_CHARS} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise BadUserInput(f"the URL is not valid: {error}", field="url") from error
    if parts.scheme not in ("http", "https"):
        raise BadUserInput("the URL must start with http:// or https://", field="url")
    if not parts.hostname:
        raise BadUserInput("the URL names no host", field="url")
    if parts.username is not None or parts.password is not None:
        raise BadUserInput("the URL must not carry credentials; the secret signs each delivery", field="url")
    if parts.fragment:
        raise BadUserInput("the URL must not have a #fragment", field="url")
    return ReceiverUrl(url, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local,
    shared, reserved or multicast): in prod a webhook may only reach those, so that it cannot
    be aimed at our own network."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_secret(secret: str) -> str:
    if not MIN_SECRET_CHARS <= len(secret) <= MAX_SECRET_CHARS:
        raise BadUserInput(f"the secret has {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters", field="secret")
    return secret


# --- retries ------------------------------------------------------------------------------------


def retry_delay(attempts: int, first_seconds: float, max_seconds: float) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling from the first."""
    return min(max_seconds, first_seconds * 2 ** max(0, min(attempts - 1, 30)))


def exhausted(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts
