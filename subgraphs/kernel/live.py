"""Live events for GraphQL subscriptions: one bus listener per process and
subject, fanned out to subscribers by key (usually the member id), so a
thousand wallets cost one listener, not a thousand.

Live listeners see every publish, and a relay may publish an event twice (two
replicas racing, a crash before the row was marked): the hub remembers the
last ids it passed on and drops a repeat, so a wallet never shows one change
twice.

A replay (`REPLAYED_EVENT`, set by the websocket handler for a service's
subscription that carries `extensions.replayEvent`) makes a subscription
resolve one given event instead of listening: the outbound webhooks
(subgraphs/integrations) get the very result a live subscriber got, for an
event they recorded earlier."""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar

from core.errors import Unavailable
from core.mailbox import Mailbox

from .bus import EventBus
from .events import Event, subject_matches

log = logging.getLogger(__name__)

SUBSCRIBER_QUEUE_SIZE = 256
RECENT_EVENT_IDS = 10_000
_CLOSED = object()  # the bus closed: subscriptions end normally
_FAILED = object()  # the listener failed: subscriptions end with an error

# The event a replayed subscription resolves (None: a live one). A context variable, so that it
# reaches the resolvers of that one operation and no other.
REPLAYED_EVENT: ContextVar[Event | None] = ContextVar("replayed_event", default=None)


class RecentIds:
    """The last `size` ids seen, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._size = max(1, size)

    def first_time(self, event_id: str) -> bool:
        """True (and remembered) the first time an id is seen, False for a repeat."""
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return True

    def __len__(self) -> int:
        return len(self._order)


class LiveHub:
    def __init__(self, bus: EventBus, subject: str, key: Callable[[Event], str | None] = lambda e: e.member_id,
                 *, remember: int = RECENT_EVENT_IDS) -> None:
        self.bus = bus
        self.subject = subject
        self.key = key
        self._subscribers: dict[str, set[Mailbox]] = {}
        self._recent = RecentIds(remember)
        self._pump_task: asyncio.Task[None] | None = None

    async def subscribe(self, key: str) -> AsyncIterator[Event]:
        replayed = REPLAYED_EVENT.get()
        if replayed is not None:
            # The resolver asked for the member's events on this subject: the replayed one is
            # such an event when its subject matches (its member is the one the caller named).
            if subject_matches(self.subject, replayed.subject):
                yield replayed
            return
        mailbox = Mailbox(SUBSCRIBER_QUEUE_SIZE)
        self._subscribers.setdefault(key, set()).add(mailbox)
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.create_task(self._pump(), name=f"live:{self.subject}")
        try:
            while True:
                item = await mailbox.get()
                if item is _CLOSED:
                    return
                if item is _FAILED:
                    raise Unavailable("live events stopped; subscribe again")
                yield item  # type: ignore[misc]
        finally:
            subscribers = self._subscribers.get(key)
            if subscribers is not None:
                subscribers.discard(mailbox)
                if not subscribers:
                    del self._subscribers[key]

    async def _pump(self) -> None:
        ending: object = _CLOSED
        try:
            async for event in self.bus.listen(self.subject):
                try:
                    self._deliver(event)
                except Exception:  # noqa: BLE001 - one bad event must not stop the others
                    log.exception("live event %s on %s could not be delivered", event.id, self.subject)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - subscribers hear that their events stopped, never silence
            log.exception("live listener on %s failed; ending its subscriptions", self.subject)
            ending = _FAILED
        finally:
            # The bus closed or failed: end every subscription so clients hear about it
            # (and subscribe again, which starts a new listener) instead of silence.
            for mailboxes in tuple(self._subscribers.values()):
                for mailbox in tuple(mailboxes):
                    mailbox.finish(ending)

    def _deliver(self, event: Event) -> None:
        if not self._recent.first_time(event.id):
            log.debug("live event %s on %s seen before; dropped", event.id, self.subject)
            return
        key = self.key(event)
        for mailbox in tuple(self._subscribers.get(key, ())) if key else ():
            if not mailbox.put(event):
                log.warning("subscriber of %s for %s is too slow; dropping an event", self.subject, key)
