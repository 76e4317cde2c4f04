"""A subgraph's own guards, for whoever reaches its port (in scale-out, anyone on the
network): the gateway's operation limits (core/operation_limits.py), a body-size
limit, and no introspection in the prod profile (`_service { sdl }`, which the
gateway composes from, is an ordinary field and keeps working).

Unless set, each limit is derived from the gateway's, so that a subgraph never
refuses what the gateway sends for an operation the gateway accepted:

- depth: the gateway's + 5. `_entities` adds a level, and the key and `@requires`
  fields the planner adds nest below the deepest entity (the federation scenarios
  add at most one level in all);
- aliases: the gateway's + 50, for the aliases the planner adds to fields that
  conflict by type or by arguments (at most 4 in the scenarios; none here);
- cost: the gateway's x 100. `_entities` is a list (x10 for everything below it,
  which the gateway may have counted x1), and the keys, `__typename` and
  `@requires` fields the planner adds sit under lists too (up to x35 measured);
- tokens: the gateway's x 4 + 1,000 (the added keys, `__typename`s and the
  `_entities` wrapper: up to x5 measured on 6-token queries, +45 tokens at most);
- validation budget: the gateway's x 4 (fetches merge fields by response key, so
  they need less than the client's operation: at most 35 units measured);
- body: the gateway's x 4. Beside the operation the gateway sends representations,
  one per distinct entity at a path: they grow with the data, not with the request
  (4 MB is about 50,000 of 80 bytes).

Refusals are GraphQL errors with `extensions.code` BAD_USER_INPUT naming the limit
(`limit`, `actual`, `maximum`), 413 for the body, as the gateway answers.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError
from graphql.utilities import get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from core.errors import ErrorCode
from core.operation_limits import Limits, exceeded_in, measure
from core.settings import Settings, get_settings


def subgraph_limits(settings: Settings) -> Limits:
    def pick(own: int | None, derived: int) -> int:
        return derived if own is None else own

    return Limits(
        max_depth=pick(settings.subgraph_max_depth, settings.gateway_max_depth + 5),
        max_aliases=pick(settings.subgraph_max_aliases, settings.gateway_max_aliases + 50),
        max_cost=pick(settings.subgraph_max_cost, settings.gateway_max_cost * 100),
        max_tokens=pick(settings.subgraph_max_tokens, settings.gateway_max_tokens * 4 + 1000),
        validation_budget=settings.gateway_validation_budget * 4,
    )


def subgraph_max_body_bytes(settings: Settings) -> int:
    own = settings.subgraph_max_body_bytes
    return settings.gateway_max_body_bytes * 4 if own is None else own


@dataclass(frozen=True)
class _Guards:
    limits: Limits
    introspection: bool


_guards_by_settings: dict[int, tuple[Settings, _Guards]] = {}


def _guards(settings: Settings) -> _Guards:
    """Per settings object (a process has one or a few), so that the validation rules are
    the same objects from one request to the next (DocumentCache keys on them)."""
    held = _guards_by_settings.get(id(settings))
    if held is None:
        held = _guards_by_settings[id(settings)] = (settings, _Guards(subgraph_limits(settings), settings.is_dev))
    return held[1]


class OperationLimits(SchemaExtension):
    """Tokens (while parsing), the validation budget, then depth, aliases and cost of the
    validated operation; introspection refused in prod. It validates the operation itself
    unless an extension before it did (DocumentCache, from its cache)."""

    def _settings(self) -> Settings:
        # The request's RequestContext (subgraphs/kernel/graphql.py) carries the runtime's settings.
        settings = getattr(getattr(self.execution_context.context, "runtime", None), "settings", None)
        return settings if isinstance(settings, Settings) else get_settings()

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        guards = _guards(self._settings())
        context.parse_options.update(guards.limits.parse_options())
        rules = guards.limits.validation_rules(context.validation_rules)
        if not guards.introspection:
            rules = (*rules, NoSchemaIntrospectionCustomRule)
        context.validation_rules = rules
        try:
            yield
        except GraphQLError as error:
            # A parse error raised by an extension's own parsing hook (Strawberry's ParserCache
            # parses there) leaves through here rather than as a result: named on its way out.
            raise self._named(error, guards.limits) from error
        result = context.result
        if result is not None and result.errors:
            result.errors = [self._named(e, guards.limits) for e in result.errors]

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            # No validating extension before this one: validate now, as Strawberry would.
            context.pre_execution_errors = validate_document(
                context.schema._schema, context.graphql_document, context.validation_rules)
        if not context.pre_execution_errors and context.graphql_document is not None:
            limits = _guards(self._settings()).limits
            operation = get_operation_ast(context.graphql_document, context.operation_name)
            if operation is not None:
                measured = measure(context.schema._schema, context.graphql_document, operation, limits)
                if measured.exceeded is not None:
                    context.pre_execution_errors = [GraphQLError(
                        measured.exceeded.message("this subgraph's"),
                        extensions={"code": str(ErrorCode.BAD_USER_INPUT), **measured.exceeded.extensions()},
                    )]
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        if getattr(result, "errors", None):
            limits = _guards(self._settings()).limits
            result.errors = [self._named(e, limits) for e in result.errors]
        yield None

    @staticmethod
    def _named(error: GraphQLError, limits: Limits) -> GraphQLError:
        """graphql-core's words for a limit it stopped on (tokens, validation budget) as a
        refusal naming the limit."""
        exceeded = exceeded_in(error, limits)
        if exceeded is None:
            return error
        return GraphQLError(exceeded.message("this subgraph's"),
                            extensions={"code": str(ErrorCode.BAD_USER_INPUT), **exceeded.extensions()})


class BodySizeLimit:
    """ASGI middleware: HTTP request bodies larger than `max_bytes` are answered 413 with a
    GraphQL error, and never read past the limit (the declared length is refused at once;
    a chunked body is counted as it arrives). What fits is handed on to the app unchanged."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        payload = orjson.dumps({"errors": [{
            "message": f"the body is larger than this subgraph's limit of {self.max_bytes} bytes",
            "extensions": {"code": str(ErrorCode.BAD_USER_INPUT), "limit": "body_bytes", "maximum": self.max_bytes},
        }]})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})
