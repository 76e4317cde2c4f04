"""The gateway's transports: GraphQL over HTTP, graphql-transport-ws, partial
data when a subgraph is down, the plan cache and metrics."""
from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from core.serving import ServerGroup
from core.settings import SUBGRAPHS
from gateway.app import create_gateway_app
from gateway.supergraph.compose import SubgraphSource, compose
from subgraphs.kernel.host import load_spec
from tests.support.graphql import post
from tests.support.net import free_port
from tests.support.stack import Stack


async def test_get_runs_queries(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(stack.url, params={"query": "{ stores { id } }"},
                                    headers={"accept": "application/graphql-response+json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert {"id": "st_portland"} in response.json()["data"]["stores"]


async def test_get_never_runs_mutations(stack: Stack) -> None:
    mutation = 'mutation { setStock(storeId: "st_portland", sku: "CAP-TRAIL", quantity: 0) { available } }'
    async with httpx.AsyncClient() as client:
        response = await client.get(stack.url, params={"query": mutation},
                                    headers={"authorization": f"Bearer {stack.token('admin')}"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    stock = (await stack.gql('{ product(sku: "CAP-TRAIL") { stock(storeId: "st_portland") { available } } }')).ok()
    assert stock["product"]["stock"][0]["available"] > 0  # unchanged


async def test_validation_errors_by_media_type(stack: Stack) -> None:
    modern = await post(stack.url, "{ nope }")
    assert modern.status == 400 and modern.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert modern.errors[0]["locations"] == [{"line": 1, "column": 3}]
    legacy = await post(stack.url, "{ nope }", headers={"accept": "application/json"})
    assert legacy.status == 200 and legacy.codes == ["GRAPHQL_VALIDATION_FAILED"]
    parse = await post(stack.url, "{ stores { id ")
    assert parse.status == 400 and parse.codes == ["GRAPHQL_PARSE_FAILED"]


async def test_variables_are_coerced_with_defaults(stack: Stack) -> None:
    query = "query($sku: ID! = \"CAP-TRAIL\", $with: Boolean = false) { product(sku: $sku) { name price @include(if: $with) } }"
    plain = (await stack.gql(query)).ok()
    assert plain == {"product": {"name": "Trail Cap"}}
    assert (await stack.gql(query, {"with": True})).ok() == {"product": {"name": "Trail Cap", "price": "29.00"}}
    wrong = await stack.gql(query, {"sku": 12.5})
    assert wrong.codes == ["BAD_USER_INPUT"]


async def test_aliases_fragments_and_typename(stack: Stack) -> None:
    query = """
    query Pick { cap: product(sku: "CAP-TRAIL") { ...Named kind: __typename } jacket: product(sku: "JKT-AURORA-LTD")
      { ... on Product { label: name } } }
    fragment Named on Product { name sku }
    """
    assert (await stack.gql(query)).ok() == {
        "cap": {"name": "Trail Cap", "sku": "CAP-TRAIL", "kind": "Product"},
        "jacket": {"label": "Aurora Limited Running Jacket"},
    }


async def test_introspection_is_served_from_the_api_schema(stack: Stack) -> None:
    data = (await stack.gql('{ __type(name: "Mutation") { fields { name } } __typename }')).ok()
    names = {f["name"] for f in data["__type"]["fields"]}
    assert {"checkout", "enrollMember"} <= names
    assert "postEarning" not in names  # @inaccessible: the ledger's service-only mutation
    assert data["__typename"] == "Query"


async def test_query_over_websocket(stack: Stack) -> None:
    async with connect(stack.url.replace("http", "ws", 1), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send('{"type":"connection_init"}')
        assert orjson.loads(await ws.recv()) == {"type": "connection_ack"}
        await ws.send('{"type":"ping"}')
        assert orjson.loads(await ws.recv())["type"] == "pong"
        await ws.send(orjson.dumps({"id": "q", "type": "subscribe", "payload": {"query": "{ tiers { name } }"}}).decode())
        result = orjson.loads(await ws.recv())
        assert result["type"] == "next" and result["payload"]["data"]["tiers"][0] == {"name": "Bronze"}
        assert orjson.loads(await ws.recv()) == {"id": "q", "type": "complete"}


@pytest.mark.parametrize(("first_message", "code"), [
    ('{"type":"subscribe","id":"x","payload":{"query":"{ tiers { name } }"}}', 4401),
    ("not json", 4400),
])
async def test_websocket_protocol_violations_close_the_socket(stack: Stack, first_message: str, code: int) -> None:
    async with connect(stack.url.replace("http", "ws", 1), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(first_message)
        await ws.wait_closed()
        assert ws.close_code == code


async def test_duplicate_subscription_id_closes_the_socket(stack: Stack) -> None:
    member = await stack.enroll("Twice")
    query = "subscription($m: ID!) { walletUpdated(memberId: $m) { at } }"
    message = orjson.dumps({"id": "s", "type": "subscribe", "payload": {"query": query, "variables": {"m": member}}})
    async with connect(stack.url.replace("http", "ws", 1), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(orjson.dumps({"type": "connection_init",
                                    "payload": {"Authorization": f"Bearer {stack.cashier}"}}).decode())
        await ws.recv()
        await ws.send(message.decode())
        await ws.send(message.decode())
        await ws.wait_closed()
        assert ws.close_code == 4409


async def test_a_down_subgraph_gives_partial_data(stack: Stack) -> None:
    """Inventory is unreachable: the ledger's part still answers, with SUBGRAPH_UNAVAILABLE."""
    urls = {name: stack.settings.subgraph_url(name) for name in SUBGRAPHS}
    urls["inventory"] = f"http://127.0.0.1:{free_port()}/graphql"  # nothing listens there
    sdl = compose([SubgraphSource(n, urls[n], load_spec(n).schema.as_str()) for n in SUBGRAPHS])
    port = free_port()
    gateway = ServerGroup()
    gateway.add(create_gateway_app(stack.settings, supergraph_sdl=sdl), "127.0.0.1", port, lifespan="on")
    task = asyncio.create_task(gateway.serve(handle_signals=False))
    await gateway.started()
    try:
        response = await post(f"http://127.0.0.1:{port}/graphql", "{ tiers { name } stores { id } }")
        assert response.data is None  # stores is non-null: its null takes the whole response (GraphQL spec)
        assert response.codes == ["SUBGRAPH_UNAVAILABLE"]
        nullable = await post(f"http://127.0.0.1:{port}/graphql", '{ tiers { name } store(id: "st_portland") { id } }')
        assert nullable.data == {"tiers": [{"name": n} for n in ("Bronze", "Silver", "Gold", "Platinum")],
                                 "store": None}
        assert nullable.codes == ["SUBGRAPH_UNAVAILABLE"]
    finally:
        gateway.stop()
        await task


async def test_metrics(stack: Stack) -> None:
    for _ in range(2):
        (await stack.gql("{ stores { id } }")).ok()
    async with httpx.AsyncClient() as client:
        text = (await client.get(stack.url.replace("/graphql", "/metrics"))).text
    assert 'gateway_plan_cache_lookups_total{result="hit"}' in text
    assert 'gateway_subgraph_fetch_duration_seconds_count{subgraph="inventory"}' in text
    assert 'gateway_requests_total{operation="query",outcome="ok"}' in text
