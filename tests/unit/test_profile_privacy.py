"""Profile's privacy rules: what an erasure leaves of a member, when it is complete, who
may ask, and what the staff access log records."""
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta

import pytest

from core.auth import Principal, Role
from core.errors import BadUserInput, Conflict, Forbidden
from core.vocabulary import Channel
from subgraphs.profile.domain.members import Consents, Member, MemberStatus, enroll
from subgraphs.profile.domain.privacy import (
    Action,
    ErasureRequest,
    StaffAccess,
    UnknownSubgraph,
    check_access_log_page,
    check_access_log_reader,
    check_erasure_requester,
    check_not_erased,
    confirm,
    erased_merge_record,
    pseudonymise,
    staff_access,
    staff_of,
)

NOW = datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC)


def _julia() -> Member:
    return enroll(member_id="mbr_julia", now=NOW, channel=Channel.POS, default_region="US", given_name="Julia",
                  family_name="Meyer", email="julia@example.com", phone="+1 503 555 0142",
                  birthday=date(1990, 4, 12), home_store_id="st_portland",
                  consents={"email_marketing": True, "profiling": False})


def test_pseudonymisation_removes_everything_that_names_or_reaches_the_member():
    erased = pseudonymise(_julia())
    assert erased.status is MemberStatus.ERASED
    assert (erased.given_name, erased.family_name, erased.email, erased.phone, erased.birthday,
            erased.home_store_id) == (None,) * 6
    assert erased.identities == ()
    assert erased.field_sources == {}


def test_pseudonymisation_keeps_the_id_the_enrolment_and_the_consents():
    julia = _julia()
    erased = pseudonymise(julia)
    assert (erased.id, erased.enrolled_at) == ("mbr_julia", NOW)
    assert erased.consents == julia.consents == Consents(email_marketing=True, profiling=False, updated_at=NOW)


def test_every_field_of_a_member_is_either_kept_or_erased_on_purpose():
    """A field added to Member later must be decided on here: erased, or kept for a reason."""
    kept = {"id", "enrolled_at", "status", "consents", "absorbed_count"}
    erased = {"given_name", "family_name", "email", "phone", "birthday", "home_store_id", "identities",
              "field_sources"}
    assert {f.name for f in fields(Member)} == kept | erased


def test_pseudonymising_twice_changes_nothing():
    once = pseudonymise(_julia())
    assert pseudonymise(once) == once


def test_an_erased_members_merges_keep_no_trace_of_the_person():
    record = {
        "survivor_before": {"status": "ACTIVE", "fields": {"given_name": "Julia", "email": "julia@example.com"},
                            "sources": {"email": {"source": "POS", "at": "2026-11-30T12:00:00+00:00"}},
                            "consents": {"profiling": True}},
        "absorbed_before": {"status": "ACTIVE", "fields": {"phone": "+15035550142"}, "sources": {}},
        "survivor_after": {"fields": {"given_name": "Julia", "phone": "+15035550142"}},
        "moved": [["PHONE", "+15035550142"]],
        "consent_changes": [{"purpose": "PROFILING", "granted": False}],
    }
    erased = erased_merge_record(record)
    assert "Julia" not in repr(erased) and "julia@" not in repr(erased) and "555" not in repr(erased)
    assert erased["survivor_before"] == {"status": "ACTIVE", "fields": {"given_name": None, "email": None},
                                         "sources": {}, "consents": {"profiling": True}}
    assert erased["moved"] == [] and erased["consent_changes"] == record["consent_changes"]
    assert erased_merge_record(erased) == erased


def test_an_erased_member_cannot_be_brought_back():
    check_not_erased([_julia()])
    with pytest.raises(Conflict, match="mbr_julia was erased"):
        check_not_erased([_julia(), pseudonymise(_julia())])


def _request() -> ErasureRequest:
    return ErasureRequest(id="era_1", member_id="mbr_julia", requested_at=NOW, requested_by="mbr_julia")


def test_an_erasure_completes_with_the_last_confirmation_at_its_time():
    request = _request()
    for minutes, subgraph in enumerate(("profile", "rewards", "inventory", "integrations"), start=1):
        request = confirm(request, subgraph, NOW + timedelta(minutes=minutes))
        assert request.completed_at is None
    done = confirm(request, "ledger", NOW + timedelta(minutes=9))
    assert done.confirmed == {"profile", "ledger", "rewards", "inventory", "integrations"}
    assert done.completed_at == NOW + timedelta(minutes=9)


def test_a_repeated_confirmation_changes_nothing():
    request = confirm(_request(), "ledger", NOW)
    assert confirm(request, "ledger", NOW + timedelta(hours=1)) is request
    done = request
    for subgraph in ("profile", "rewards", "inventory", "integrations"):
        done = confirm(done, subgraph, NOW + timedelta(minutes=5))
    assert confirm(done, "ledger", NOW + timedelta(days=1)) is done  # a late repeat moves no completion


def test_a_confirmation_from_an_unknown_subgraph_does_not_count():
    with pytest.raises(UnknownSubgraph, match="'gateway' holds no part"):
        confirm(_request(), "gateway", NOW)
    with pytest.raises(UnknownSubgraph):
        confirm(_request(), "", NOW)


def test_the_subgraphs_that_must_confirm_are_a_parameter():
    done = confirm(_request(), "profile", NOW, subgraphs=("profile",))
    assert done.completed_at == NOW


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SUPERVISOR, Role.ADMIN])
def test_the_member_supervisors_and_admins_ask_for_an_erasure(role):
    check_erasure_requester(Principal("someone", role))


@pytest.mark.parametrize("role", [Role.CASHIER, Role.SERVICE])
def test_cashiers_and_services_do_not_ask_for_an_erasure(role):
    with pytest.raises(Forbidden):
        check_erasure_requester(Principal("someone", role, store="st_portland"))


def test_who_reads_the_access_log():
    for role in (Role.MEMBER, Role.SUPERVISOR, Role.ADMIN):
        check_access_log_reader(Principal("someone", role))
    for role in (Role.CASHIER, Role.SERVICE):
        with pytest.raises(Forbidden):
            check_access_log_reader(Principal("someone", role))


@pytest.mark.parametrize("first", [0, 1, 50, 500])
def test_access_log_pages_up_to_500(first):
    assert check_access_log_page(first) == first


@pytest.mark.parametrize("first", [-1, 501, 2**31 - 1])
def test_access_log_pages_beyond_are_refused(first):
    with pytest.raises(BadUserInput):
        check_access_log_page(first)


def test_staff_accesses_are_recorded_and_the_member_and_services_are_not():
    cashier = Principal("cashier-7", Role.CASHIER, store="st_portland")
    assert staff_access(cashier, "mbr_julia", Action.LOOKUP, NOW) == StaffAccess(
        "mbr_julia", "cashier-7", "cashier", Action.LOOKUP, NOW)
    assert staff_access(Principal("mbr_julia", Role.MEMBER), "mbr_julia", Action.VIEW, NOW) is None
    assert staff_access(Principal("service:rewards", Role.SERVICE), "mbr_julia", Action.VIEW, NOW) is None
    assert staff_access(None, "mbr_julia", Action.VIEW, NOW) is None


def test_reads_are_keyed_by_their_minute_and_changes_are_each_their_own():
    def entry(action, at):
        return StaffAccess("mbr_julia", "sup-1", "supervisor", action, at)

    lookup, view = entry(Action.LOOKUP, NOW), entry(Action.VIEW, NOW + timedelta(seconds=29))
    assert lookup.read_minute == view.read_minute == int(NOW.timestamp()) // 60
    assert entry(Action.VIEW, NOW + timedelta(seconds=30)).read_minute == lookup.read_minute + 1
    for action in (Action.CONSENTS, Action.ADJUSTMENT, Action.EXPORT, Action.ERASURE):
        assert entry(action, NOW).read_minute is None


@pytest.mark.parametrize(("actor", "expected"), [
    ("supervisor:sup-7", ("supervisor", "sup-7")),
    ("admin:ops:team", ("admin", "ops:team")),
    ("ledger:schedule", ("ledger", "schedule")),
    ("no-role", ("unknown", "no-role")),
    ("supervisor:", ("unknown", "supervisor:")),
])
def test_the_ledger_actor_names_role_and_staff(actor, expected):
    assert staff_of(actor) == expected
