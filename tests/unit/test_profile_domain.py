from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import BadUserInput, Forbidden
from core.vocabulary import Channel, IdentifierKind
from subgraphs.profile.domain.members import (
    Consents,
    Identity,
    MemberStatus,
    check_consent_changes,
    enroll,
    member_facts,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def _enroll(**kwargs):
    defaults = {"member_id": "mbr_1", "now": NOW, "channel": Channel.POS, "default_region": "US"}
    return enroll(**{**defaults, **kwargs})


def test_enrolment_needs_an_email_or_a_phone():
    with pytest.raises(BadUserInput, match="needs an email or a phone"):
        _enroll(given_name="Julia")
    with pytest.raises(BadUserInput, match="needs an email or a phone"):
        _enroll(email="", phone="")


def test_enrolment_with_email_only():
    member = _enroll(email=" Julia@Example.com ")
    assert member.email == "julia@example.com"
    assert member.phone is None
    assert member.identities == (Identity(IdentifierKind.EMAIL, "julia@example.com", Channel.POS, NOW),)


def test_enrolment_with_phone_only_uses_the_default_region():
    member = _enroll(phone="(503) 555-0142", channel=Channel.APP)
    assert member.email is None
    assert member.phone == "+15035550142"
    assert member.identities == (Identity(IdentifierKind.PHONE, "+15035550142", Channel.APP, NOW),)


def test_identities_are_created_with_the_channel_as_source():
    member = _enroll(email="julia@example.com", phone="(503) 555-0142", channel=Channel.ECOMMERCE)
    assert member.identities == (
        Identity(IdentifierKind.EMAIL, "julia@example.com", Channel.ECOMMERCE, NOW),
        Identity(IdentifierKind.PHONE, "+15035550142", Channel.ECOMMERCE, NOW),
    )
    assert member.id == "mbr_1"
    assert member.enrolled_at == NOW
    assert member.status is MemberStatus.ACTIVE


def test_junk_email_is_refused_at_enrolment():
    with pytest.raises(BadUserInput, match="not a usable email"):
        _enroll(email="test@test.com", phone="(503) 555-0142")


def test_birthday_in_the_future_is_refused():
    with pytest.raises(BadUserInput, match="birthday") as caught:
        _enroll(email="julia@example.com", birthday=NOW.date() + timedelta(days=1))
    assert caught.value.details == {"field": "birthday"}


def test_birthday_before_1900_is_refused():
    with pytest.raises(BadUserInput, match="birthday"):
        _enroll(email="julia@example.com", birthday=date(1899, 12, 31))


@pytest.mark.parametrize("birthday", [date(1900, 1, 1), date(1990, 2, 28), NOW.date()])
def test_plausible_birthdays_are_kept(birthday):
    assert _enroll(email="julia@example.com", birthday=birthday).birthday == birthday


def test_names_are_whitespace_collapsed():
    member = _enroll(email="julia@example.com", given_name="  Julia \t Anne ", family_name="  ")
    assert member.given_name == "Julia Anne"
    assert member.family_name is None


def test_names_are_length_limited():
    assert _enroll(email="julia@example.com", family_name="x" * 100).family_name == "x" * 100
    with pytest.raises(BadUserInput, match="at most 100") as caught:
        _enroll(email="julia@example.com", family_name="x" * 101)
    assert caught.value.details == {"field": "familyName"}


def test_default_consents_marketing_off_profiling_on():
    consents = _enroll(email="julia@example.com").consents
    assert consents == Consents(
        email_marketing=False, sms_marketing=False, push_marketing=False, profiling=True, updated_at=None
    )


def test_consents_given_at_enrolment_override_the_defaults():
    consents = _enroll(
        email="julia@example.com", consents={"email_marketing": True, "profiling": False, "sms_marketing": None}
    ).consents
    assert consents == Consents(
        email_marketing=True, sms_marketing=False, push_marketing=False, profiling=False, updated_at=NOW
    )


def test_consents_changed_stamps_updated_at_only_when_something_was_given():
    original = Consents()
    assert original.changed(NOW) is original
    assert original.changed(NOW, email_marketing=None, profiling=None) is original
    later = NOW + timedelta(days=1)
    changed = original.changed(later, push_marketing=True)
    assert changed.push_marketing is True
    assert changed.updated_at == later
    assert original.push_marketing is False


def test_member_facts():
    member = _enroll(
        email="julia@example.com",
        phone="(503) 555-0142",
        given_name="Julia",
        family_name="Rivera",
        birthday=date(1990, 2, 28),
        home_store_id="st_1",
        consents={"sms_marketing": True},
    )
    assert member_facts(member) == {
        "member_id": "mbr_1",
        "status": "ACTIVE",
        "given_name": "Julia",
        "family_name": "Rivera",
        "email": "julia@example.com",
        "phone": "+15035550142",
        "birthday": "1990-02-28",
        "home_store_id": "st_1",
        "enrolled_at": "2025-06-15T12:00:00+00:00",
        "consents": {"email_marketing": False, "sms_marketing": True, "push_marketing": False, "profiling": True},
        "identities": [{"kind": "EMAIL", "value": "julia@example.com"}, {"kind": "PHONE", "value": "+15035550142"}],
    }


def test_member_facts_without_optional_values():
    facts = member_facts(_enroll(phone="(503) 555-0142"))
    assert facts["birthday"] is None
    assert facts["email"] is None
    assert facts["given_name"] is None
    assert facts["identities"] == [{"kind": "PHONE", "value": "+15035550142"}]


# --- who may record which consent ------------------------------------------------------------

OPTED_OUT = Consents(email_marketing=True, sms_marketing=False, push_marketing=False, profiling=False)


@pytest.mark.parametrize("changes", [
    {"email_marketing": False, "sms_marketing": False, "push_marketing": False, "profiling": False},  # withdrawals
    {"email_marketing": True, "push_marketing": True},  # opt-ins given at the counter
    {"sms_marketing": None, "profiling": None},  # not asked about
    {"profiling": False},
])
def test_staff_record_withdrawals_and_counter_opt_ins(changes):
    check_consent_changes(OPTED_OUT, changes, by_staff=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"sms_marketing": True}, "SMS marketing"),
    ({"profiling": True}, "profiling back on"),
])
def test_staff_never_grant_sms_or_lift_a_profiling_objection(changes, message):
    with pytest.raises(Forbidden, match=message):
        check_consent_changes(OPTED_OUT, changes, by_staff=True)
    check_consent_changes(OPTED_OUT, changes, by_staff=False)  # the member (or a service) may


def test_staff_may_confirm_what_is_already_granted():
    granted = Consents(sms_marketing=True, profiling=True)
    check_consent_changes(granted, {"sms_marketing": True, "profiling": True}, by_staff=True)


def test_staff_cannot_enrol_a_member_into_sms_marketing():
    with pytest.raises(Forbidden):
        enroll(member_id="m1", now=NOW, channel=Channel.POS, default_region="US", email="a@example.com",
               consents={"sms_marketing": True}, by_staff=True)
    member = enroll(member_id="m1", now=NOW, channel=Channel.POS, default_region="US", email="a@example.com",
                    consents={"email_marketing": True, "profiling": True}, by_staff=True)
    assert member.consents.email_marketing is True


def test_profile_errors_name_what_was_wrong():
    cases = [
        ({"given_name": "Julia"}, "enrolment needs an email or a phone number", {}),
        ({"email": "a@example.com", "birthday": date(1899, 12, 31)}, "birthday is not a plausible date",
         {"field": "birthday"}),
        ({"email": "a@example.com", "given_name": "x" * 101}, "givenName has at most 100 characters",
         {"field": "givenName"}),
        ({"email": "a@example.com", "home_store_id": "s" * 41}, "homeStoreId has at most 40 characters",
         {"field": "homeStoreId"}),
    ]
    for fields, message, details in cases:
        with pytest.raises(BadUserInput) as caught:
            _enroll(**fields)
        assert (caught.value.message, caught.value.details) == (message, details)


def test_the_consent_refusals_say_who_may():
    with pytest.raises(Forbidden) as sms:
        check_consent_changes(OPTED_OUT, {"sms_marketing": True}, by_staff=True)
    assert sms.value.message == "staff cannot opt a member in to SMS marketing: the member does it themself in the app"
    with pytest.raises(Forbidden) as profiling:
        check_consent_changes(OPTED_OUT, {"profiling": True}, by_staff=True)
    assert profiling.value.message == ("staff cannot turn profiling back on: only the member can withdraw their "
                                       "objection")
