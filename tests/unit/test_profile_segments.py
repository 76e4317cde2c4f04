"""Profile's segments: conditions compiled once with clear errors, the variables a member
gives them, null traits, and who enters and leaves."""
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.cel import CelEvaluationError
from core.errors import BadUserInput
from core.vocabulary import Channel
from subgraphs.profile.domain.members import Consents, MemberStatus, enroll
from subgraphs.profile.domain.segments import (
    MAX_CONDITION_LENGTH,
    SAMPLE_MEMBERS,
    VARIABLES,
    compile_condition,
    in_no_segment,
    membership_changes,
    segment_values,
    validate_segment,
)
from subgraphs.profile.domain.traits import MemberTraits

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
JULIA = enroll(member_id="mbr_1", now=NOW - timedelta(days=400, hours=1), channel=Channel.POS, default_region="US",
               email="julia@example.com", birthday=date(1990, 4, 12), home_store_id="st_portland",
               consents={"email_marketing": True})
REGULAR = MemberTraits(recency_days=3, frequency_90d=4, monetary_365d=Decimal("812.40"), lapse_risk=0.12,
                       last_purchase_at=NOW - timedelta(days=3))
NEWCOMER = MemberTraits(recency_days=None, frequency_90d=0, monetary_365d=Decimal("0.00"), lapse_risk=None,
                        last_purchase_at=None)


def values(member=JULIA, traits=REGULAR, lifetime=9):
    return segment_values(member, traits, lifetime, NOW)


def test_a_member_gives_every_documented_variable():
    given = values()
    assert set(given) == set(VARIABLES)
    assert given == {
        "recencyDays": 3, "frequency90d": 4, "monetary365d": 812.4, "lapseRisk": 0.12, "lifetimePurchases": 9,
        "homeStoreId": "st_portland", "channel": "POS", "status": "ACTIVE", "birthdayMonth": 4, "enrolledDays": 400,
        "consents": {"emailMarketing": True, "smsMarketing": False, "pushMarketing": False, "profiling": True},
    }


def test_unknown_profile_facts_are_null():
    bare = replace(JULIA, birthday=None, home_store_id=None, identities=())
    given = values(bare, NEWCOMER, 0)
    assert (given["birthdayMonth"], given["homeStoreId"], given["channel"], given["recencyDays"],
            given["lapseRisk"]) == (None, None, None, None, None)


def test_the_samples_give_every_variable():
    for sample in SAMPLE_MEMBERS:
        assert set(sample) == set(VARIABLES)


def test_a_condition_over_traits_and_profile():
    portland_regulars = compile_condition("homeStoreId == 'st_portland' && frequency90d >= 2")
    assert portland_regulars.matches(values()) is True
    assert portland_regulars.matches(values(traits=NEWCOMER)) is False


def test_consents_read_as_booleans():
    marketable = compile_condition("consents.emailMarketing && consents.profiling")
    assert marketable.matches(values()) is True
    opted_out = replace(JULIA, consents=Consents(email_marketing=True, profiling=False))
    assert marketable.matches(values(opted_out)) is False


def test_null_traits_make_an_unguarded_comparison_fail_and_a_guarded_one_work():
    unguarded = compile_condition("recencyDays > 30")
    with pytest.raises(CelEvaluationError):
        unguarded.matches(values(traits=NEWCOMER))
    guarded = compile_condition("recencyDays != null && recencyDays > 30")
    assert guarded.matches(values(traits=NEWCOMER)) is False
    never_bought = compile_condition("recencyDays == null")
    assert never_bought.matches(values(traits=NEWCOMER)) is True
    lapsing = compile_condition("lapseRisk != null && lapseRisk > 0.7")
    assert lapsing.matches(values(traits=replace(REGULAR, lapse_risk=0.9))) is True
    assert lapsing.matches(values(traits=replace(REGULAR, lapse_risk=None))) is False


@pytest.mark.parametrize(("condition", "line", "column"), [
    ("frequency90d >= 3 &&", 1, 21),
    ("frequency90d >= 3 &&\n  (recencyDays < 30", 2, 20),
    ("frequency90d >= 3 && spend > 10", 1, 22),  # unknown variable
    ("homeStoreId.exists(c, c == 'a')", 1, 13),  # a loop
])
def test_compile_errors_name_line_and_column(condition, line, column):
    with pytest.raises(BadUserInput) as caught:
        compile_condition(condition)
    assert caught.value.details == {"field": "condition", "line": line, "column": column}
    assert caught.value.message.startswith(f"condition, at line {line}, column {column}: ")


def test_an_unknown_variable_names_itself_and_the_known_ones():
    with pytest.raises(BadUserInput) as caught:
        compile_condition("frequency90d >= 3 && spend > 10")
    assert "unknown variable 'spend'" in caught.value.message and "monetary365d" in caught.value.message


@pytest.mark.parametrize("condition", ["frequency90d", "homeStoreId", "monetary365d + 1.0", "[1]", "{'a': true}"])
def test_a_condition_must_give_a_bool(condition):
    with pytest.raises(BadUserInput, match="bool") as caught:
        compile_condition(condition)
    assert caught.value.details == {"field": "condition"}


def test_a_condition_giving_something_else_only_for_a_newcomer_is_refused():
    with pytest.raises(BadUserInput, match="must give a bool"):
        compile_condition("recencyDays == null ? 1 : true")


@pytest.mark.parametrize("condition", ["homeStoreId > 3", "frequency90d / 0 == 1", "consents.nothing"])
def test_a_condition_that_cannot_be_evaluated_for_a_typical_member_is_refused(condition):
    with pytest.raises(BadUserInput, match="cannot be evaluated for a member with every trait known"):
        compile_condition(condition)


def test_the_condition_length_is_bounded():
    long = " || ".join(["frequency90d == 1"] * 200)
    assert len(long) > MAX_CONDITION_LENGTH
    with pytest.raises(BadUserInput, match=f"at most {MAX_CONDITION_LENGTH}"):
        compile_condition(long)


def test_a_non_bool_result_at_evaluation_is_an_evaluation_error():
    """The checks at upsert use samples; a member with other values may still give a non-bool."""
    odd = compile_condition("frequency90d == 7 ? 'seven' : true")
    assert odd.matches(values()) is True
    with pytest.raises(CelEvaluationError, match="not a bool"):
        odd.matches(values(traits=replace(REGULAR, frequency_90d=7)))


@pytest.mark.parametrize(("segment_id", "name", "field"), [
    ("", "A", "id"), ("has space", "A", "id"), ("-leading", "A", "id"), ("x" * 41, "A", "id"),
    ("ok", "   ", "name"), ("ok", "n" * 101, "name"),
])
def test_segment_ids_and_names_are_bounded(segment_id, name, field):
    with pytest.raises(BadUserInput) as caught:
        validate_segment(segment_id, name, "true")
    assert caught.value.details == {"field": field}


def test_a_segment_as_saved():
    saved = validate_segment(" portland-regulars ", "  Portland \t regulars ", " frequency90d >= 2 ")
    assert (saved.id, saved.name, saved.condition.source) == ("portland-regulars", "Portland regulars",
                                                              "frequency90d >= 2")
    assert validate_segment(None, "New", "true").id is None


def test_erased_and_unknown_members_are_in_no_segment():
    assert in_no_segment(None)
    assert in_no_segment(replace(JULIA, status=MemberStatus.ERASED))
    assert not in_no_segment(JULIA)
    assert not in_no_segment(replace(JULIA, status=MemberStatus.SUSPENDED))


@pytest.mark.parametrize(("current", "matching", "entered", "exited"), [
    (set(), set(), [], []),
    (set(), {"b", "a"}, ["a", "b"], []),
    ({"a", "b"}, set(), [], ["a", "b"]),
    ({"a", "c"}, {"a", "b"}, ["b"], ["c"]),
    ({"a"}, {"a"}, [], []),
])
def test_membership_changes(current, matching, entered, exited):
    assert membership_changes(current, matching) == (entered, exited)
