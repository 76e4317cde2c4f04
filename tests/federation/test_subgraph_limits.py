"""A subgraph never refuses what the gateway sends for an operation the gateway accepted
(subgraphs/kernel/limits.py derives its defaults from the gateway's limits).

For every scenario query (and the wallet's), the gateway gets the tightest limits that
still accept it (its own depth, aliases, cost and tokens); every fetch it plans must
then parse, validate and measure within the subgraph limits derived from those."""
from __future__ import annotations

from functools import cache

import pytest
from graphql import GraphQLSchema, parse, validate
from graphql.language import Lexer, Source, TokenKind
from graphql.utilities import get_operation_ast

from core.operation_limits import Limits, measure
from core.settings import SUBGRAPHS, Settings
from gateway.execution.fetch import SubgraphClient
from gateway.operation import GraphQLRequest, RequestError
from gateway.service import Gateway
from gateway.supergraph.compose import SubgraphSource, compose
from gateway.supergraph.model import Supergraph
from subgraphs.kernel.host import load_spec
from subgraphs.kernel.limits import subgraph_limits
from wallet_ui.gateway import DEV_SIGN_IN, WALLET_QUERY, WALLET_UPDATES

from .conftest import all_scenarios

LOYALTY_QUERIES = [WALLET_QUERY, WALLET_UPDATES, DEV_SIGN_IN,
                   '{ product(sku: "CAP-TRAIL") { name stock(storeId: "st_portland") { store { name } available } } }',
                   "{ tiers { id name } stores { id name city } }"]


def tokens(query: str) -> int:
    lexer, count = Lexer(Source(query)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


@cache
def federation(name: str) -> tuple[Supergraph, dict[str, GraphQLSchema]]:
    if name == "loyalty":
        sources = [SubgraphSource(n, f"http://{n}.test/graphql", load_spec(n).schema.as_str()) for n in SUBGRAPHS]
        return Supergraph.from_sdl(compose(sources)), {n: load_spec(n).schema._schema for n in SUBGRAPHS}
    scenario = next(s for s in all_scenarios() if s.name == name)
    urls = {sub: f"http://{sub}.test/graphql" for sub in scenario.subgraphs}
    if scenario.supergraph is not None:
        sdl = scenario.supergraph
        for sub, url in urls.items():
            sdl = sdl.replace(f"{{url:{sub}}}", url)
    else:
        sdl = compose([SubgraphSource(sub, urls[sub], s.sdl) for sub, s in scenario.subgraphs.items()])
    return Supergraph.from_sdl(sdl), {sub: s.schema() for sub, s in scenario.subgraphs.items()}


CASES = [(s.name, c.query) for s in all_scenarios() for c in s.cases] + [("loyalty", q) for q in LOYALTY_QUERIES]


@pytest.mark.parametrize(("name", "query"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_every_fetch_fits_the_subgraph_limits_derived_from_the_tightest_gateway(name: str, query: str) -> None:
    supergraph, schemas = federation(name)
    document = parse(query)
    asked = measure(supergraph.api_schema, document, get_operation_ast(document))
    settings = Settings(gateway_max_depth=asked.depth, gateway_max_aliases=asked.aliases,
                        gateway_max_cost=asked.cost, gateway_max_tokens=tokens(query))
    tightest = Limits(asked.depth, asked.aliases, asked.cost, tokens(query), settings.gateway_validation_budget)
    gateway = Gateway(supergraph, SubgraphClient(supergraph.graph_urls), limits=tightest)
    try:
        plan = gateway.prepare(GraphQLRequest(query)).plan
    except RequestError as refused:  # a case about a query the gateway itself refuses
        assert not any((e.extensions or {}).get("limit") for e in refused.errors), refused.errors
        return
    limits = subgraph_limits(settings)
    for fetch in plan.fetches:
        sent = parse(fetch.document, **limits.parse_options())
        assert validate(schemas[fetch.graph], sent, limits.validation_rules()) == [], fetch.document
        measured = measure(schemas[fetch.graph], sent, get_operation_ast(sent), limits)
        assert measured.exceeded is None, (fetch.document, measured)
