"""graphql-transport-ws frames a server does not expect, sent with a raw websocket
client to the gateway and to a subgraph: each ends with close 4400 (PROTOCOL.md,
"Invalid message"), never an abrupt 1006 and an exception in the ASGI app."""
from __future__ import annotations

import asyncio

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.support.stack import Stack

PROTOCOL = "graphql-transport-ws"
HANG_GUARD = 5.0  # seconds; only a socket left open gets near it

FRAMES: dict[str, str | bytes] = {
    "array": "[]",
    "array of a message": '[{"type":"connection_init"}]',
    "number": "1",
    "string": '"connection_init"',
    "null": "null",
    "type not a string": '{"type":5}',
    "binary": b'{"type":"connection_init"}',
    "invalid utf-8 binary": b"\xff\xfe",
}

AFTER_INIT: dict[str, str | bytes] = {
    **{name: frame for name, frame in FRAMES.items() if name != "string"},
    "subscribe without an id": '{"type":"subscribe","payload":{"query":"{ __typename }"}}',
    "subscribe with a number id": '{"type":"subscribe","id":1,"payload":{"query":"{ __typename }"}}',
    "subscribe with a list payload": '{"type":"subscribe","id":"a","payload":[]}',
    "subscribe without a query": '{"type":"subscribe","id":"a","payload":{}}',
    "subscribe with a number query": '{"type":"subscribe","id":"a","payload":{"query":5}}',
    "subscribe with list variables": '{"type":"subscribe","id":"a","payload":{"query":"{ __typename }","variables":[1]}}',
    "complete without an id": '{"type":"complete"}',
    "unknown type": '{"type":"start","id":"a"}',
}


def targets(stack: Stack) -> dict[str, str]:
    return {"gateway": stack.url, "ledger": stack.settings.subgraph_url("ledger")}


async def closed_with(ws: ClientConnection) -> int | None:
    try:
        await asyncio.wait_for(ws.wait_closed(), HANG_GUARD)
    except TimeoutError:
        return None  # still open: the frame was taken as if it were fine
    return ws.close_code


@pytest.mark.parametrize("target", ["gateway", "ledger"])
@pytest.mark.parametrize("frame", list(FRAMES), ids=list(FRAMES))
async def test_an_unexpected_first_frame_closes_with_4400(stack: Stack, target: str, frame: str) -> None:
    async with connect(targets(stack)[target].replace("http", "ws", 1), subprotocols=[PROTOCOL]) as ws:
        await ws.send(FRAMES[frame])
        assert await closed_with(ws) == 4400


@pytest.mark.parametrize("target", ["gateway", "ledger"])
@pytest.mark.parametrize("frame", list(AFTER_INIT), ids=list(AFTER_INIT))
async def test_an_unexpected_frame_after_init_closes_with_4400(stack: Stack, target: str, frame: str) -> None:
    async with connect(targets(stack)[target].replace("http", "ws", 1), subprotocols=[PROTOCOL]) as ws:
        await ws.send('{"type":"connection_init"}')
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(AFTER_INIT[frame])
        assert await closed_with(ws) == 4400
