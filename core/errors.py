"""Error codes of the public contract, raised anywhere and mapped to `extensions.code`.

Domain modules raise these too: they are plain exceptions with no I/O.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    SUBGRAPH_UNAVAILABLE = "SUBGRAPH_UNAVAILABLE"
    INTERNAL = "INTERNAL"
    # Standard GraphQL server codes for documents that never reach a resolver.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class LoyaltyError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def extensions(self) -> dict[str, Any]:
        return {"code": str(self.code), **self.details}


class Unauthenticated(LoyaltyError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(LoyaltyError):
    code = ErrorCode.FORBIDDEN


class BadUserInput(LoyaltyError):
    code = ErrorCode.BAD_USER_INPUT


class NotFound(LoyaltyError):
    code = ErrorCode.NOT_FOUND


class Conflict(LoyaltyError):
    code = ErrorCode.CONFLICT


class Unavailable(LoyaltyError):
    code = ErrorCode.SUBGRAPH_UNAVAILABLE
