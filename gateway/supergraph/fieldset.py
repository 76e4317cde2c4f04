"""Field sets (`@key(fields: "id org { id }")`, `@requires`, `@provides`) as selection sets."""
from __future__ import annotations

from functools import lru_cache

from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse


@lru_cache(maxsize=4096)
def parse_field_set(text: str) -> SelectionSetNode:
    document = parse("{" + text + "}", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def top_level_names(text: str) -> list[str]:
    return [s.name.value for s in parse_field_set(text).selections if isinstance(s, FieldNode)]
