"""A subgraph's graphql-transport-ws server: Strawberry's handler, made as strict
as the gateway's (gateway/ws.py), because in scale-out a subgraph is reachable
on the network and must not trust that only the gateway talks to it.

- a frame that is not a protocol message (an array, a number, a binary frame,
  a subscribe without an id or query ...) closes the socket with 4400;
- a token that does not verify is refused at `connection_init` (4403), and a
  socket closes with 4403 when the token it was opened with expires;
- a connection holds at most `live_max_operations_per_connection` operations
  and a principal at most `live_max_operations_per_principal` in this process;
  one beyond gets an `error` message;
- a subscription whose `extensions.replayEvent` carries an event envelope
  resolves that one event and completes (kernel/live.py): service tokens only
  (the webhooks' worker), anyone else gets FORBIDDEN.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import orjson
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from core.auth import Role
from core.errors import ErrorCode, LoyaltyError
from core.graphql_ws import REPLAY_EXTENSION, invalid_message
from core.live_limits import TOKEN_EXPIRED_CLOSE, OperationQuota, principal_key, seconds_left, too_many

from .events import Event
from .graphql import RequestContext
from .live import REPLAYED_EVENT

if TYPE_CHECKING:
    from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
        ConnectionInitMessage,
        Message,
        SubscribeMessage,
    )

    from core.settings import Settings

    from .app import SubgraphGraphQL


def check_connection(context: RequestContext) -> None:
    """At `connection_init`: a token that is there must verify (else 4403 Forbidden)."""
    try:
        context.principal  # noqa: B018 - verifies the token (and caches the principal)
    except LoyaltyError as error:
        raise ConnectionRejectionError() from error


class SubgraphTransportWS(BaseGraphQLTransportWSHandler[RequestContext, None]):
    view: SubgraphGraphQL

    @property
    def settings(self) -> Settings:
        return self.view.runtime.settings

    @property
    def quota(self) -> OperationQuota:
        return self.view.live_quota  # one per subgraph, for all its connections

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._expiry: asyncio.Task[None] | None = None
        self._who = ""

    async def handle_message(self, message: Message) -> None:
        problem = invalid_message(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_invalid_message(self, error_message: str) -> None:
        self._stop_operations()
        await super().handle_invalid_message(error_message[:120])

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if not self.connection_acknowledged or self._who:
            return
        principal = self.context.principal  # verified in on_ws_connect
        client = self.context.request.client
        self._who = principal_key(principal, client.host if client else None)
        left = seconds_left(principal)
        if left is not None:
            self._expiry = asyncio.create_task(self._close_at_expiry(left))

    async def _close_at_expiry(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
        self._stop_operations()
        with contextlib.suppress(Exception):
            await self.websocket.close(*TOKEN_EXPIRED_CLOSE)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        operation_id = message["id"]
        if not self.connection_acknowledged or operation_id in self.operations:
            await super().handle_subscribe(message)  # Strawberry closes with 4401 / 4409
            return
        limit = self.settings.live_max_operations_per_connection
        if len(self.operations) >= limit:
            await self.send_message({"id": operation_id, "type": "error",
                                     "payload": [too_many("operationsPerConnection", limit)]})
            return
        if not self.quota.acquire(self._who):
            await self.send_message({"id": operation_id, "type": "error",
                                     "payload": [too_many("operationsPerPrincipal", self.quota.per_principal)]})
            return
        replay = (message["payload"].get("extensions") or {}).get(REPLAY_EXTENSION)
        replayed: Event | None = None
        if replay is not None:
            replayed = await self._replayed_event(operation_id, replay)
            if replayed is None:
                self.quota.release(self._who)
                return
        # The operation's task copies this context when it is created: the replay reaches its resolvers only.
        token = REPLAYED_EVENT.set(replayed)
        try:
            await super().handle_subscribe(message)
        finally:
            REPLAYED_EVENT.reset(token)
        operation = self.operations.get(operation_id)
        if operation is None or operation.task is None:
            self.quota.release(self._who)
            return
        who = self._who
        # A done callback runs however the task ends, even cancelled before it started.
        operation.task.add_done_callback(lambda _: self.quota.release(who))

    async def _replayed_event(self, operation_id: str, replay: object) -> Event | None:
        """The event to replay, or None once the client was told why not."""
        principal = self.context.principal
        if principal is None or principal.role is not Role.SERVICE:
            problem, code = "only a service may replay an event", ErrorCode.FORBIDDEN
        else:
            try:
                if not isinstance(replay, dict):
                    raise TypeError("not an object")
                return Event.from_json(orjson.dumps(replay))
            except (KeyError, TypeError, ValueError, orjson.JSONDecodeError):
                problem, code = "extensions.replayEvent is not an event envelope", ErrorCode.BAD_USER_INPUT
        await self.send_message({"id": operation_id, "type": "error",
                                 "payload": [{"message": problem, "extensions": {"code": str(code)}}]})
        return None

    def _stop_operations(self) -> None:
        """Before this side closes the socket: no operation may write to it any more
        (shutdown then forgets them and waits for them to finish)."""
        for operation in self.operations.values():
            if operation.task is not None:
                operation.task.cancel()

    async def shutdown(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
        await super().shutdown()
