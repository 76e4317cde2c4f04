"""Parsed documents and their validation errors by query text, for every subgraph
schema: the gateway sends the same few operations again and again, so each is
parsed and validated once.

Bounded in bytes (core/lru.py), as the gateway's caches are: Strawberry's
ParserCache and ValidationCache bound the number of entries only, and a subgraph
port reachable on the network then holds 1,000 documents of up to ~25 MB each
(a 40,000-token document of `__typename`s keeps 25.6 MB). Sizes are estimated as
the gateway's are: query length x 250 bytes (gateway/operation.py says why).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

from core.lru import ByteBoundedLRU
from core.settings import Settings, get_settings

DOCUMENT_BYTES_PER_CHAR = 250


@dataclass
class _Entry:
    document: DocumentNode
    # validation errors (limits' refusals included) by the rules they were found with
    errors: dict[tuple[object, ...], tuple[GraphQLError, ...]] = field(default_factory=dict)


_caches: dict[int, ByteBoundedLRU[tuple[object, ...], _Entry]] = {}  # by byte budget


class DocumentCache(SchemaExtension):
    """Put it before the extensions that validate (OperationLimits): it answers parsing and
    validation from the cache, and keeps what they found."""

    def _cache(self) -> ByteBoundedLRU[tuple[object, ...], _Entry]:
        settings = getattr(getattr(self.execution_context.context, "runtime", None), "settings", None)
        budget = (settings if isinstance(settings, Settings) else get_settings()).subgraph_document_cache_bytes
        cache = _caches.get(budget)
        if cache is None:
            cache = _caches[budget] = ByteBoundedLRU(budget)
        return cache

    def _key(self) -> tuple[object, ...]:
        context = self.execution_context
        return id(context.schema), context.query, tuple(sorted(context.parse_options.items()))

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is None or context.graphql_document is not None:
            yield
            return
        cache, key = self._cache(), self._key()
        entry = cache.get(key)
        if entry is not None:
            context.graphql_document = entry.document
        yield
        if entry is None and context.graphql_document is not None:
            cache.put(key, _Entry(context.graphql_document), len(context.query) * DOCUMENT_BYTES_PER_CHAR)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self._cache().get(self._key()) if context.query is not None else None
        if entry is None or entry.document is not context.graphql_document:
            yield
            return
        rules = tuple(context.validation_rules)
        found = entry.errors.get(rules)
        if found is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = list(found)
        yield
        if found is None and context.pre_execution_errors is not None:
            entry.errors[rules] = tuple(context.pre_execution_errors)
