"""Guards: limits on what one operation may ask, checked before planning.

What is counted, and how the work of counting stays bounded, is in
`core/operation_limits.py` (the subgraphs apply the same limits at their own
door: `subgraphs/kernel/limits.py`). The document's tokens and the validation
budget are enforced earlier, while the document is parsed and validated
(`operation.DocumentCache`). Introspection is answered by the gateway itself
and is not counted.
"""
from __future__ import annotations

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode

from core.errors import ErrorCode
from core.operation_limits import Exceeded, Limits, Measure, measure
from core.settings import Settings

from .operation import RequestError, error

__all__ = ["Limits", "Measure", "check", "gateway_limits", "measure", "refusal"]


def gateway_limits(settings: Settings) -> Limits:
    return Limits(max_depth=settings.gateway_max_depth, max_aliases=settings.gateway_max_aliases,
                  max_cost=settings.gateway_max_cost, max_tokens=settings.gateway_max_tokens,
                  validation_budget=settings.gateway_validation_budget)


def refusal(exceeded: Exceeded) -> RequestError:
    return RequestError([error(exceeded.message("this gateway's"), ErrorCode.BAD_USER_INPUT,
                               **exceeded.extensions())])


def check(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
          limits: Limits) -> None:
    """Refuse the operation if it passes a limit (work proportional to the document's size)."""
    measured = measure(schema, document, operation, limits)
    if measured.exceeded is not None:
        raise refusal(measured.exceeded)
