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
from sqlalchemy.exc import DBAPIError, OperationalError
from strawberry.extensions import SchemaExtension
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from core import vocabulary
from core.auth import Principal, principal_from_authorization
from core.errors import BadUserInput, ErrorCode, LoyaltyError

from .document_cache import DocumentCache
from .limits import OperationLimits
from .privacy import ErasedMembers

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.websockets import WebSocket

    from .runtime import Runtime

log = logging.getLogger(__name__)

FEDERATION_VERSION = "2.9"  # Guild's composer rejects 2.11, Strawberry's default


DATABASE_BUSY = "the database is busy: another process holds its write lock; try again shortly"
DATABASE_LOST = "the connection to the database was lost (is it restarting?); try again shortly"


def _database_unavailable(original: BaseException | None) -> str | None:
    """What to say when the database, not the request, is the trouble, and a retry soon will do:
    SQLite refused a write because another process holds the lock (sqlite_inloop gave up
    waiting), or a PostgreSQL connection dropped under the statement (the pool reconnects for
    the next one: db.PING_AFTER_IDLE_SECONDS). None for anything else."""
    if isinstance(original, OperationalError) and "database is locked" in str(original.orig):
        return DATABASE_BUSY
    if isinstance(original, DBAPIError) and original.connection_invalidated:
        return DATABASE_LOST
    return None


def error_code(error: GraphQLError) -> tuple[ErrorCode | str, bool]:
    """The contract code for an error, and whether its message must be masked."""
    original = error.original_error
    if isinstance(original, LoyaltyError):
        return original.code, False
    if _database_unavailable(original):
        return ErrorCode.SUBGRAPH_UNAVAILABLE, False
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
    unavailable = _database_unavailable(original)
    if unavailable:
        log.warning("refused at %s: %s (%s)", error.path, unavailable, original)
        original = None
        message = unavailable
    else:
        message = "Internal error" if mask else error.message
    return GraphQLError(
        message=message,
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


class SubgraphSchema(strawberry.federation.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Expected errors (bad input, not found, forbidden) are answers, not incidents:
        `with_error_code` logs the unexpected ones, with their traceback."""

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        """`_entities`, item by item: a representation this subgraph cannot resolve
        (not an object, no or a foreign `__typename`, its key fields missing) is a
        BAD_USER_INPUT for that item alone; the others resolve as usual."""
        results: list[Any] = []
        for index, representation in enumerate(representations):
            problem = self._representation_problem(representation)
            if problem:
                results.append(BadUserInput(f"representations[{index}]: {problem}", field="representations"))
            else:
                results.extend(super().entities_resolver(info, [dict(representation)]))
        return results

    def _representation_problem(self, representation: Any) -> str | None:
        if not isinstance(representation, dict):
            return "a representation is an object with __typename and key fields"
        type_name = representation.get("__typename")
        if not isinstance(type_name, str):
            return "__typename is missing"
        keys = self._entity_keys().get(type_name)
        if not keys:
            return f"{type_name[:100]} is not an entity this subgraph resolves"
        for key_fields in keys:
            if all(_key_value_given(representation.get(name)) for name in key_fields):
                return None
        wanted = " or ".join("(" + ", ".join(sorted(fields)) + ")" for fields in keys)
        return f"a {type_name} representation needs its key fields {wanted}"

    def _entity_keys(self) -> dict[str, list[frozenset[str]]]:
        """Each resolvable entity type's keys, as the top-level field names of each @key."""
        cached = self.__dict__.get("_keys_by_type")
        if cached is None:
            cached = {}
            for name, type_ in self.schema_converter.type_map.items():
                definition = getattr(type_, "definition", None)
                keys = [d for d in getattr(definition, "directives", None) or () if isinstance(d, Key)]
                resolvable = [frozenset(_top_level_fields(str(k.fields))) for k in keys if k.resolvable is not False]
                if resolvable:
                    cached[name] = resolvable
            self.__dict__["_keys_by_type"] = cached
        return cached


def _top_level_fields(field_set: str) -> list[str]:
    """`id`, `id sku`, `upc organization { id }` -> the names at depth 0."""
    names, depth = [], 0
    for token in field_set.replace("{", " { ").replace("}", " } ").split():
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0:
            names.append(token)
    return names


def _key_value_given(value: Any) -> bool:
    """A key value as a gateway sends it: a scalar, or an object for a nested key."""
    return isinstance(value, (str, int, float, bool, dict)) and value != ""


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
        # Gateways send the same few operations again and again: parse and validate each once
        # (DocumentCache, bounded in bytes); OperationLimits measures the validated operation;
        # ErasedMembers refuses the tokens of members whose data was erased.
        extensions=[ErrorCodes, DocumentCache, OperationLimits, ErasedMembers],
    )


# The contract's shared enums and inputs, registered once for every schema that uses them.
Channel = strawberry.enum(vocabulary.Channel, description="Where something happened.")
IdentifierKind = strawberry.enum(vocabulary.IdentifierKind, description="A kind of member identifier.")


@strawberry.federation.type(shareable=True, description="Where a page of a connection ends.")
class PageInfo:
    """One type for every cursor connection (the ledger's activity, inventory's catalogue):
    shareable, since more than one subgraph resolves it."""

    has_next_page: bool
    end_cursor: str | None


@strawberry.input(description="One identifier as a channel knows the member.")
class IdentifierInput:
    kind: IdentifierKind
    value: str
