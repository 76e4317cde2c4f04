import pytest
from starlette.datastructures import Headers, QueryParams

from gateway.http import (
    EVENT_STREAM,
    GRAPHQL_RESPONSE_JSON,
    JSON,
    BadRequest,
    HttpGraphQLRequest,
    from_get,
    from_post,
    negotiate,
)
from gateway.operation import GraphQLRequest

JSON_HEADERS = Headers({"content-type": "application/json"})

# --- negotiate ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", JSON),
        ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/json; q=0.5, application/graphql-response+json; q=0.8", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0, application/json;q=0.1", JSON),
        ("Application/JSON", JSON),
        ("text/event-stream", EVENT_STREAM),
        ("*/*", JSON),
        ("application/*", JSON),
        ("text/html, */*;q=0.8", JSON),
        ("text/html", None),
        ("text/html, application/xml;q=0.9", None),
        ("application/json;q=0", None),
        ("application/json;q=abc", None),
    ],
)
def test_negotiate(accept, expected):
    assert negotiate(accept) == expected


def test_negotiate_wildcard_does_not_bring_back_a_refused_type():
    assert negotiate("application/json;q=0, */*") == "application/graphql-response+json"
    assert negotiate("application/json;q=0, application/graphql-response+json;q=0, */*") is None


# --- POST ---------------------------------------------------------------------


def _bad_post(body: bytes, headers: Headers = JSON_HEADERS) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        from_post(headers, body)
    return caught.value


def test_post_json():
    parsed = from_post(
        Headers({"content-type": "application/json; charset=utf-8"}),
        b'{"query": "query Q($id: ID!) { member(id: $id) { id } }", "variables": {"id": "mbr_1"},'
        b' "operationName": "Q", "extensions": {"persistedQuery": {"version": 1}}}',
    )
    assert parsed == HttpGraphQLRequest(
        GraphQLRequest(
            "query Q($id: ID!) { member(id: $id) { id } }",
            {"id": "mbr_1"},
            "Q",
            {"persistedQuery": {"version": 1}},
        ),
        from_get=False,
    )


def test_post_empty_operation_name_and_null_variables():
    parsed = from_post(JSON_HEADERS, b'{"query": "{ a }", "variables": null, "operationName": ""}')
    assert parsed.request == GraphQLRequest("{ a }", None, None, None)


def test_post_application_graphql_body_is_the_query():
    parsed = from_post(Headers({"content-type": "application/graphql"}), b"{ me { id } }")
    assert parsed == HttpGraphQLRequest(GraphQLRequest("{ me { id } }"), from_get=False)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_post_wrong_content_type_is_415(content_type):
    headers = Headers({"content-type": content_type} if content_type else {})
    error = _bad_post(b'{"query": "{ a }"}', headers)
    assert error.status == 415
    assert error.message == "POST bodies must be application/json"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"[]", "the body must be a JSON object"),
        (b'"{ a }"', "the body must be a JSON object"),
        (b"{}", "'query' must be a non-empty string"),
        (b'{"query": ""}', "'query' must be a non-empty string"),
        (b'{"query": 42}', "'query' must be a non-empty string"),
        (b'{"query": "{ a }", "variables": [1]}', "'variables' must be a JSON object"),
        (b'{"query": "{ a }", "variables": "{}"}', "'variables' must be a JSON object"),
        (b'{"query": "{ a }", "operationName": 1}', "'operationName' must be a string"),
        (b'{"query": "{ a }", "extensions": []}', "'extensions' must be a JSON object"),
    ],
)
def test_post_bad_requests_are_400(body, message):
    error = _bad_post(body)
    assert error.status == 400
    assert error.message == message
    assert error.body() == {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}


# --- GET ----------------------------------------------------------------------


def test_get():
    params = QueryParams(
        {"query": "query Q { a }", "variables": '{"x": 1}', "operationName": "Q", "extensions": '{"e": true}'}
    )
    assert from_get(params) == HttpGraphQLRequest(
        GraphQLRequest("query Q { a }", {"x": 1}, "Q", {"e": True}), from_get=True
    )


def test_get_with_only_a_query():
    assert from_get(QueryParams("query=%7B+a+%7D")).request == GraphQLRequest("{ a }", None, None, None)


@pytest.mark.parametrize("params", ["", "query=", "variables=%7B%7D"])
def test_get_without_query_is_400(params):
    with pytest.raises(BadRequest, match="'query' parameter is required") as caught:
        from_get(QueryParams(params))
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("variables", "message"),
    [("{x", "variables is not valid JSON"), ("[1]", "variables must be a JSON object"), ("3", "must be a JSON object")],
)
def test_get_bad_variables_are_400(variables, message):
    with pytest.raises(BadRequest, match=message):
        from_get(QueryParams({"query": "{ a }", "variables": variables}))


def test_get_bad_extensions_are_400():
    with pytest.raises(BadRequest, match="extensions is not valid JSON"):
        from_get(QueryParams({"query": "{ a }", "extensions": "nope"}))
