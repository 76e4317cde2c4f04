from datetime import UTC, datetime, timedelta

import jwt
import pytest
from graphql import GraphQLError, GraphQLSyntaxError, parse
from sqlalchemy.exc import DBAPIError

from core.auth import (
    Principal,
    Role,
    bearer_token,
    issue_token,
    principal_from_authorization,
    require_member_access,
    require_role,
    require_staff,
    verify_token,
)
from core.errors import BadUserInput, ErrorCode, Forbidden, NotFound, Unauthenticated
from core.settings import Settings
from subgraphs.kernel.events import Event, subject_for, subject_matches
from subgraphs.kernel.graphql import DATABASE_LOST, error_code, with_error_code
from subgraphs.kernel.pagination import MAX_PAGE_SIZE, check_page_size, decode_cursor, encode_cursor

# --- events -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("loyalty.ledger.PointsEarned", "loyalty.ledger.PointsEarned", True),
        ("loyalty.ledger.PointsEarned", "loyalty.ledger.PointsRedeemed", False),
        ("loyalty.ledger.*", "loyalty.ledger.PointsEarned", True),
        ("loyalty.*.PointsEarned", "loyalty.rewards.PointsEarned", True),
        ("loyalty.ledger.*", "loyalty.profile.MemberEnrolled", False),
        ("loyalty.ledger.*", "loyalty.ledger", False),
        ("loyalty.ledger.*", "loyalty.ledger.PointsEarned.v2", False),
        ("loyalty.>", "loyalty.ledger.PointsEarned", True),
        ("loyalty.>", "loyalty.ledger", True),
        ("loyalty.>", "loyalty", False),
        ("loyalty.ledger.>", "other.ledger.PointsEarned", False),
        ("loyalty.ledger", "loyalty.ledger.PointsEarned", False),
    ],
)
def test_subject_matches(pattern, subject, matches):
    assert subject_matches(pattern, subject) is matches


def test_subject_for_and_event_subject():
    assert subject_for("ledger") == "loyalty.ledger.*"
    event = Event(type="PointsEarned", source="ledger", member_id="mbr_1", payload={})
    assert event.subject == "loyalty.ledger.PointsEarned"
    assert subject_matches(subject_for("ledger"), event.subject)


def test_event_json_round_trip():
    event = Event(
        type="PointsEarned",
        source="ledger",
        member_id="mbr_1",
        payload={"points": 48, "entry": {"seq": 3, "reference": None}},
        version=2,
        id="01JD0000000000000000000000",
        occurred_at=datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
    )
    assert Event.from_json(event.to_json()) == event
    assert Event.from_json(event.to_json().decode()) == event


def test_event_from_json_defaults_missing_member_and_payload():
    event = Event.from_json(
        b'{"id":"e1","type":"StockChanged","version":1,"occurred_at":"2025-03-01T09:30:00+00:00",'
        b'"source":"inventory","payload":null}'
    )
    assert event.member_id is None
    assert event.payload == {}
    assert event.occurred_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def test_events_get_unique_ids_by_default():
    first = Event(type="X", source="s", member_id=None, payload={})
    second = Event(type="X", source="s", member_id=None, payload={})
    assert first.id != second.id
    assert first.occurred_at.tzinfo is not None


# --- pagination ---------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 1, 99, 123456789])
def test_cursor_round_trip(position):
    cursor = encode_cursor(position)
    assert cursor != str(position)
    assert decode_cursor(cursor) == position


def test_no_cursor_is_none():
    assert decode_cursor(None) is None


@pytest.mark.parametrize("cursor", ["", "!!!", "abc", "cG9zOmFiYw==", "eHl6OjE=", "/w=="])
def test_bad_cursor_is_bad_user_input(cursor):
    # "cG9zOmFiYw==" is "pos:abc", "eHl6OjE=" is "xyz:1", "/w==" is not UTF-8
    with pytest.raises(BadUserInput, match="cursor") as caught:
        decode_cursor(cursor)
    assert caught.value.details == {"field": "after"}


@pytest.mark.parametrize("first", [1, 20, MAX_PAGE_SIZE])
def test_page_size_within_bounds(first):
    assert check_page_size(first) == first


@pytest.mark.parametrize("first", [0, -1, MAX_PAGE_SIZE + 1])
def test_page_size_out_of_bounds(first):
    with pytest.raises(BadUserInput, match="between 1 and 100"):
        check_page_size(first)


# --- auth ---------------------------------------------------------------------


@pytest.fixture
def settings():
    return Settings()


def test_token_round_trip(settings):
    token = issue_token(settings, "staff_7", Role.CASHIER, store="st_1")
    assert verify_token(settings, token) == Principal("staff_7", Role.CASHIER, "st_1", token)


def test_token_without_store(settings):
    token = issue_token(settings, "mbr_1", "member")
    principal = verify_token(settings, token)
    assert principal.role is Role.MEMBER
    assert principal.store is None
    assert not principal.is_staff
    assert "store" not in jwt.decode(token, options={"verify_signature": False})


def test_issue_token_refuses_an_unknown_role(settings):
    with pytest.raises(ValueError):
        issue_token(settings, "x", "superuser")


def test_expired_token_is_unauthenticated(settings):
    token = issue_token(settings, "mbr_1", Role.MEMBER, ttl=timedelta(minutes=-5))
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(settings, token)


def test_token_signed_with_another_secret_is_unauthenticated(settings):
    other = Settings(jwt_secret="another-secret-that-is-long-enough-for-hs256")
    token = issue_token(other, "mbr_1", Role.MEMBER)
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(settings, token)


def test_garbage_token_is_unauthenticated(settings):
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(settings, "not.a.jwt")


def test_token_with_unknown_role_is_unauthenticated(settings):
    now = datetime.now(UTC)
    token = jwt.encode({"sub": "x", "role": "root", "exp": now + timedelta(hours=1)}, settings.jwt_secret)
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(settings, token)


def test_token_without_exp_is_unauthenticated(settings):
    token = jwt.encode({"sub": "x", "role": "member"}, settings.jwt_secret)
    with pytest.raises(Unauthenticated):
        verify_token(settings, token)


@pytest.mark.parametrize(
    ("header", "token"),
    [(None, None), ("", None), ("Bearer abc", "abc"), ("bearer abc", "abc"), ("Bearer  t ", "t")],
)
def test_bearer_token(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", ["Basic x", "Bearer", "Bearer   ", "Token abc", "abc"])
def test_bearer_token_refuses_other_schemes(header):
    with pytest.raises(Unauthenticated, match="Bearer <token>"):
        bearer_token(header)


def test_principal_from_authorization(settings):
    assert principal_from_authorization(settings, None) is None
    token = issue_token(settings, "mbr_1", Role.MEMBER)
    assert principal_from_authorization(settings, f"Bearer {token}") == Principal("mbr_1", Role.MEMBER, None, token)


MEMBER = Principal("mbr_1", Role.MEMBER)
CASHIER = Principal("staff_1", Role.CASHIER, store="st_1")


def test_member_may_access_their_own_data():
    assert require_member_access(MEMBER, "mbr_1") is MEMBER


def test_member_may_not_access_another_member():
    with pytest.raises(Forbidden, match="their own data"):
        require_member_access(MEMBER, "mbr_2")


@pytest.mark.parametrize("role", [Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE])
def test_staff_may_access_any_member(role):
    staff = Principal("staff_1", role)
    assert require_member_access(staff, "mbr_2") is staff


def test_member_access_needs_a_principal():
    with pytest.raises(Unauthenticated, match="sign in"):
        require_member_access(None, "mbr_1")


def test_require_role():
    assert require_role(CASHIER, Role.CASHIER, Role.SUPERVISOR) is CASHIER
    with pytest.raises(Forbidden, match="the cashier role may not do this"):
        require_role(CASHIER, Role.ADMIN)
    with pytest.raises(Unauthenticated):
        require_role(None, Role.ADMIN)


def test_require_staff():
    assert require_staff(CASHIER) is CASHIER
    with pytest.raises(Forbidden):
        require_staff(MEMBER)


# --- GraphQL error codes ------------------------------------------------------


def _syntax_error() -> GraphQLSyntaxError:
    with pytest.raises(GraphQLSyntaxError) as caught:
        parse("{ member(id: ")
    return caught.value


def test_loyalty_error_keeps_its_code_and_details():
    error = GraphQLError("no member mbr_9", path=["member"], original_error=NotFound("no member mbr_9", id="mbr_9"))
    assert error_code(error) == (ErrorCode.NOT_FOUND, False)
    coded = with_error_code(error)
    assert coded.message == "no member mbr_9"
    assert coded.extensions == {"code": "NOT_FOUND", "id": "mbr_9"}
    assert coded.path == ["member"]


def test_syntax_error_is_parse_failed():
    error = _syntax_error()
    assert error_code(error) == (ErrorCode.GRAPHQL_PARSE_FAILED, False)
    coded = with_error_code(error)
    assert coded.extensions == {"code": "GRAPHQL_PARSE_FAILED"}
    assert coded.message.startswith("Syntax Error")
    assert coded.locations == error.locations


def test_variable_error_without_path_is_bad_user_input():
    error = GraphQLError("Variable '$x' got invalid value 'abc'; Int cannot represent non-integer value: 'abc'")
    assert error_code(error) == (ErrorCode.BAD_USER_INPUT, False)
    assert with_error_code(error).extensions == {"code": "BAD_USER_INPUT"}


def test_other_error_without_original_is_validation_failed():
    error = GraphQLError("Cannot query field 'nope' on type 'Query'.")
    assert error_code(error) == (ErrorCode.GRAPHQL_VALIDATION_FAILED, False)


def test_a_database_connection_lost_mid_statement_is_unavailable_and_worded():
    lost = DBAPIError("SELECT 1", {}, ConnectionResetError("connection was closed in the middle of operation"),
                      connection_invalidated=True)
    error = GraphQLError("boom", path=["member"], original_error=lost)
    assert error_code(error) == (ErrorCode.SUBGRAPH_UNAVAILABLE, False)
    coded = with_error_code(error)
    assert coded.message == DATABASE_LOST and "SELECT" not in coded.message
    assert coded.extensions == {"code": "SUBGRAPH_UNAVAILABLE"} and coded.original_error is None
    other = DBAPIError("SELECT 1", {}, ValueError("bad value"), connection_invalidated=False)
    assert error_code(GraphQLError("boom", path=["member"], original_error=other)) == (ErrorCode.INTERNAL, True)


def test_an_existing_extension_code_is_kept():
    error = GraphQLError("slow down", extensions={"code": "RATE_LIMITED"})
    assert error_code(error) == ("RATE_LIMITED", False)


def test_value_error_without_path_is_bad_user_input():
    error = GraphQLError("bad decimal", original_error=ValueError("bad decimal"))
    assert error_code(error) == (ErrorCode.BAD_USER_INPUT, False)


def test_unexpected_error_at_a_path_is_internal_and_masked():
    error = GraphQLError("db password is hunter2", path=["member", "points"], original_error=RuntimeError("boom"))
    assert error_code(error) == (ErrorCode.INTERNAL, True)
    coded = with_error_code(error)
    assert coded.message == "Internal error"
    assert coded.extensions == {"code": "INTERNAL"}
    assert coded.original_error is None
    assert coded.path == ["member", "points"]


def test_value_error_at_a_path_is_internal_too():
    error = GraphQLError("oops", path=["member"], original_error=ValueError("oops"))
    assert error_code(error) == (ErrorCode.INTERNAL, True)


def test_wrapped_graphql_error_uses_the_inner_code():
    inner = GraphQLError("Variable '$id' of required type 'ID!' was not provided.")
    outer = GraphQLError("wrapped", path=["member"], original_error=inner)
    assert error_code(outer) == (ErrorCode.BAD_USER_INPUT, False)
