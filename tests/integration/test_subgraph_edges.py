"""The subgraphs' own endpoints are reachable (in scale-out, on the network): what a
hostile client sends there is answered with a code, item by item, without flooding
the log."""
from __future__ import annotations

import logging

import pytest

from tests.support.graphql import post
from tests.support.stack import Stack

ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { sku name } } }"""


@pytest.mark.parametrize("bad", [
    "abc", 5, [1], {"sku": "JKT-AURORA-LTD"}, {"__typename": "Product"}, {"__typename": "Product", "sku": ""},
    {"__typename": "Product", "sku": ["x"]}, {"__typename": "Query"}, {"__typename": "Reservation", "id": "x"},
    {"__typename": "NoSuchType", "sku": "x"}, {"__typename": 7},
])
async def test_a_malformed_representation_fails_alone(stack: Stack, bad: object,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    good = {"__typename": "Product", "sku": "JKT-AURORA-LTD"}
    with caplog.at_level(logging.ERROR):
        response = await post(stack.settings.subgraph_url("inventory"), ENTITIES, {"r": [good, bad, good]})
    assert response.data == {"_entities": [{"sku": "JKT-AURORA-LTD", "name": "Aurora Limited Running Jacket"},
                                           None, {"sku": "JKT-AURORA-LTD", "name": "Aurora Limited Running Jacket"}]}
    assert [(e["path"], e["extensions"]["code"]) for e in response.errors] == [(["_entities", 1], "BAD_USER_INPUT")]
    assert response.errors[0]["message"].startswith("representations[1]: ")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a bad representation is no incident"


async def test_a_type_this_subgraph_only_references_is_not_resolved(stack: Stack) -> None:
    # profile knows Store only by its key (resolvable: false): inventory owns it
    response = await post(stack.settings.subgraph_url("profile"),
                          "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
                          {"r": [{"__typename": "Store", "id": "st_portland"}]})
    assert response.codes == ["BAD_USER_INPUT"]
    assert "Store is not an entity this subgraph resolves" in response.errors[0]["message"]
