"""What every subgraph schema shares: the federation version, the error-code
mapping and the request context."""
from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from . import vocabulary
from .auth import Principal, principal_from_authorization
from .errors import ErrorCode, LoyaltyError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.websockets import WebSocket

    from .runtime import Runtime

log = logging.getLogger(__name__)

FEDERATION_VERSION = "2.9"  # Guild's composer rejects 2.11, Strawberry's default


def error_code(error: GraphQLError) -> tuple[ErrorCode | str, bool]:
    """The contract code for an error, and whether its message must be masked."""
    original = error.original_error
    if isinstance(original, LoyaltyError):
        return original.code, False
    if error.path is None and error.message.startswith("Variable '$"):
        return ErrorCode.BAD_USER_INPUT, False  # variable values that do not coerce
    if error.extensions and "code" in error.extensions:
        return error.extensions["code"], False
    if isinstance(error, GraphQLSyntaxError):
        return ErrorCode.GRAPHQL_PARSE_FAILED, False
    if original is None:
        if error.message.startswith("Variable '$"):
            return ErrorCode.BAD_USER_INPUT, False
        return ErrorCode.GRAPHQL_VALIDATION_FAILED, False
    if isinstance(original, GraphQLError):
        return error_code(original)
    if isinstance(original, (ValueError, TypeError)) and error.path is None:
        return ErrorCode.BAD_USER_INPUT, False  # input coercion (e.g. a malformed Decimal literal)
    return ErrorCode.INTERNAL, True


def with_error_code(error: GraphQLError) -> GraphQLError:
    code, mask = error_code(error)
    original = error.original_error
    extensions = dict(error.extensions or {})
    if isinstance(original, LoyaltyError):
        extensions.update(original.extensions())
    extensions["code"] = str(code)
    if mask:
        log.error("unexpected error at %s", error.path, exc_info=original)
    return GraphQLError(
        message="Internal error" if mask else error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None if mask else original,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    """Every error leaves with `extensions.code`; unexpected exceptions leave masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, StrawberryExecutionResult)) and result.errors:
            result.errors = [with_error_code(e) for e in result.errors]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Subscription events (and errors raised before the first one)."""
        if getattr(result, "errors", None):
            result.errors = [with_error_code(e) for e in result.errors]
        yield None


class RequestContext:
    """The context of one GraphQL request, or of one websocket connection; each
    subscription event is resolved with its own copy (`for_event`)."""

    def __init__(self, runtime: Runtime, request: Request | WebSocket) -> None:
        self.runtime = runtime
        self.request = request
        self.connection_params: dict[str, Any] | None = None  # set by Strawberry on websockets
        self._loaders: dict[str, Any] = {}

    @cached_property
    def principal(self) -> Principal | None:
        authorization = self.request.headers.get("authorization")
        if not authorization and self.connection_params:
            authorization = self.connection_params.get("Authorization") or self.connection_params.get(
                "authorization"
            )
        return principal_from_authorization(self.runtime.settings, authorization)

    def loader(self, name: str, factory: Callable[[], T]) -> T:
        """A per-request DataLoader (batched `_entities` lookups), created on first use.
        A DataLoader caches what it loaded, so it must never outlive one execution."""
        if name not in self._loaders:
            self._loaders[name] = factory()
        return self._loaders[name]

    def for_event(self) -> RequestContext:
        """The same connection (runtime, request, principal) with loaders of its own:
        one subscription event must not see the balance another event loaded."""
        event = copy.copy(self)
        event._loaders = {}
        return event


class PerEventContext(StrawberryGraphQLCoreExecutionContext):
    """Resolves every subscription event with a fresh context (`RequestContext.for_event`).

    Strawberry gives a websocket connection one context for its whole life; without
    this, DataLoaders filled by the first event would answer every later one."""

    def build_per_event_executor(self, payload: Any) -> PerEventContext:
        executor = super().build_per_event_executor(payload)
        if isinstance(executor.context_value, RequestContext):
            executor.context_value = executor.context_value.for_event()
        return executor


T = TypeVar("T")

LoyaltyInfo = Info[RequestContext, None]


MAX_CACHED_QUERY = 16_384  # characters; a longer query is parsed and validated every time, never cached


class QueryParserCache(ParserCache):
    """Strawberry's parser cache (bounded by entries), for queries of everyday length only:
    a parsed document holds its text twice (comments included), so a thousand entries of
    a megabyte each would hold gigabytes. Longer queries are parsed by Strawberry, uncached."""

    def on_parse(self) -> Iterator[None]:
        if len(self.execution_context.query or "") > MAX_CACHED_QUERY:
            yield
        else:
            yield from super().on_parse()


class QueryValidationCache(ValidationCache):
    """Strawberry's validation cache (keyed by the parsed document), for the same queries only."""

    def on_validate(self) -> Iterator[None]:
        if len(self.execution_context.query or "") > MAX_CACHED_QUERY:
            yield
        else:
            yield from super().on_validate()


class SubgraphSchema(strawberry.federation.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Expected errors (bad input, not found, forbidden) are answers, not incidents:
        `with_error_code` logs the unexpected ones, with their traceback."""


def make_schema(
    query: type, mutation: type | None = None, subscription: type | None = None, types: tuple[type, ...] = ()
) -> strawberry.federation.Schema:
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=types,
        federation_version=FEDERATION_VERSION,
        execution_context_class=PerEventContext,
        # Gateways send the same few operations again and again: parse and validate each once.
        extensions=[ErrorCodes, lambda: QueryParserCache(maxsize=1000), lambda: QueryValidationCache(maxsize=1000)],
    )


# The contract's shared enums and inputs, registered once for every schema that uses them.
Channel = strawberry.enum(vocabulary.Channel, description="Where something happened.")
IdentifierKind = strawberry.enum(vocabulary.IdentifierKind, description="A kind of member identifier.")


@strawberry.input(description="One identifier as a channel knows the member.")
class IdentifierInput:
    kind: IdentifierKind
    value: str
