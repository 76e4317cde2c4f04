"""The HTTP stage: GraphQL over HTTP (POST and GET, content negotiation, status codes).

https://graphql.github.io/graphql-over-http/ : with `application/graphql-response+json`
a request error (parse, validation, variables) answers 400; with the legacy
`application/json` every well-formed request answers 200. Mutations are never
run from GET (CSRF: a GET must not change anything).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import Headers, QueryParams

from core.errors import ErrorCode

from .operation import GraphQLRequest

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
EVENT_STREAM = "text/event-stream"


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": str(ErrorCode.BAD_USER_INPUT)}}]}


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when nothing acceptable is offered."""
    if not accept:
        return JSON
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.lower()))
    refused = {media for negative_quality, _, media in ranked if negative_quality == 0}
    for negative_quality, _, media in sorted(ranked):
        if negative_quality == 0:
            continue
        if media in (GRAPHQL_RESPONSE_JSON, JSON, EVENT_STREAM):
            return media
        if media in ("*/*", "application/*"):
            # A wildcard means "anything", except what the client refused by name.
            return next((m for m in (JSON, GRAPHQL_RESPONSE_JSON) if m not in refused), None)
    return None


@dataclass(frozen=True)
class HttpGraphQLRequest:
    request: GraphQLRequest
    from_get: bool


def _json_object(text: str | None, what: str) -> dict[str, Any] | None:
    if text is None or text == "":
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise BadRequest(f"{what} is not valid JSON") from e
    if value is not None and not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return value


def from_get(params: QueryParams) -> HttpGraphQLRequest:
    query = params.get("query")
    if not query:
        raise BadRequest("the 'query' parameter is required")
    return HttpGraphQLRequest(
        GraphQLRequest(
            query=query,
            variables=_json_object(params.get("variables"), "variables"),
            operation_name=params.get("operationName") or None,
            extensions=_json_object(params.get("extensions"), "extensions"),
        ),
        from_get=True,
    )


def from_post(headers: Headers, body: bytes) -> HttpGraphQLRequest:
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/graphql":
        return HttpGraphQLRequest(GraphQLRequest(query=body.decode("utf-8", "replace")), from_get=False)
    if content_type != JSON:
        raise BadRequest("POST bodies must be application/json", status=415)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise BadRequest("the body is not valid JSON") from e
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    query = payload.get("query")
    if not isinstance(query, str) or not query:
        raise BadRequest("'query' must be a non-empty string")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("'variables' must be a JSON object")
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        raise BadRequest("'operationName' must be a string")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise BadRequest("'extensions' must be a JSON object")
    return HttpGraphQLRequest(GraphQLRequest(query, variables, name or None, extensions), from_get=False)
