"""What every subgraph schema shares: the federation version, the error-code
mapping and the request context."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from . import vocabulary
from .auth import Principal, principal_from_authorization
from .document_cache import DocumentCache
from .errors import ErrorCode, LoyaltyError
from .limits import OperationLimits

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
    """The context of one GraphQL request (or one websocket connection)."""

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
        """A per-request DataLoader (batched `_entities` lookups), created on first use."""
        if name not in self._loaders:
            self._loaders[name] = factory()
        return self._loaders[name]


T = TypeVar("T")

LoyaltyInfo = Info[RequestContext, None]


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
        # Gateways send the same few operations again and again: parse and validate each once
        # (DocumentCache, bounded in bytes); OperationLimits measures the validated operation.
        extensions=[ErrorCodes, DocumentCache, OperationLimits],
    )


# The contract's shared enums and inputs, registered once for every schema that uses them.
Channel = strawberry.enum(vocabulary.Channel, description="Where something happened.")
IdentifierKind = strawberry.enum(vocabulary.IdentifierKind, description="A kind of member identifier.")


@strawberry.input(description="One identifier as a channel knows the member.")
class IdentifierInput:
    kind: IdentifierKind
    value: str
