"""Identity resolution as pure functions: who survives, which value of each field,
consents as a ledger, merge and its exact undo."""
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import Conflict
from core.vocabulary import Channel, IdentifierKind
from subgraphs.profile.domain import consents as ledger
from subgraphs.profile.domain.consents import ConsentChange, Purpose
from subgraphs.profile.domain.members import Consents, FieldSource, Identity, Member, MemberStatus
from subgraphs.profile.domain.merges import (
    check_identity_limits,
    identified,
    learn,
    merge,
    reason,
    survive,
    survivors_first,
    unmerge,
)

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _member(member_id: str, at: datetime, channel: Channel, **fields) -> Member:
    identities = tuple(fields.pop("identities", ()))
    consents = fields.pop("consents", Consents())
    member = Member(id=member_id, enrolled_at=at, consents=consents, identities=identities, **fields)
    sources = {name: FieldSource(channel, at) for name in ("given_name", "family_name", "email", "phone",
                                                             "birthday", "home_store_id") if getattr(member, name)}
    return replace(member, field_sources=sources)


def _id(kind: IdentifierKind, value: str, channel: Channel, at: datetime) -> Identity:
    return Identity(kind, value, channel, at)


POS = _member("mbr_pos", T0, Channel.POS, given_name="Julia", family_name="Meyer", phone="+15035550142",
              home_store_id="st_portland",
              identities=[_id(IdentifierKind.PHONE, "+15035550142", Channel.POS, T0)],
              consents=Consents(email_marketing=True, sms_marketing=True, profiling=True))
WEB = _member("mbr_web", T0 + 48 * HOUR, Channel.ECOMMERCE, given_name="Jules", email="julia@example.com",
              birthday=date(1990, 4, 12),
              identities=[_id(IdentifierKind.EMAIL, "julia@example.com", Channel.ECOMMERCE, T0 + 48 * HOUR)],
              consents=Consents(email_marketing=True, sms_marketing=False, profiling=False))
AT = T0 + 100 * HOUR


def _merged():
    return merge(POS, WEB, merge_id="mrg_1", at=AT, matched=[("EMAIL", "julia@example.com"),
                                                              ("PHONE", "+15035550142")], channel=Channel.APP)


# --- who survives, and which value ------------------------------------------------------------------


def test_the_older_record_survives_and_the_order_is_deterministic():
    twin = replace(WEB, id="mbr_aaa", enrolled_at=T0)  # enrolled at the same moment as POS: the id decides
    assert [m.id for m in survivors_first([WEB, POS, twin])] == ["mbr_aaa", "mbr_pos", "mbr_web"]
    assert [m.id for m in survivors_first([WEB, POS], oldest_survives=False)] == ["mbr_web", "mbr_pos"]


def test_names_follow_the_most_trusted_source_contact_the_most_recent():
    values, sources = survive(POS, WEB)
    assert values["given_name"] == "Julia"  # the till (POS) beats the web form, though the web is newer
    assert sources["given_name"] == FieldSource(Channel.POS, T0)
    assert values["email"] == "julia@example.com" and values["phone"] == "+15035550142"  # only one has each
    assert values["birthday"] == date(1990, 4, 12)
    crm = _member("mbr_crm", T0 - HOUR, Channel.CRM, given_name="Julia Anne")
    assert survive(POS, crm)[0]["given_name"] == "Julia Anne"  # CRM beats POS, though older
    newer_phone = _member("mbr_n", T0 + HOUR, Channel.APP, phone="+15035550199")
    assert survive(POS, newer_phone)[0]["phone"] == "+15035550199"  # contact details: the most recent


def test_an_empty_value_never_wins():
    empty = replace(_member("mbr_e", T0 + HOUR, Channel.CRM), given_name="")
    assert survive(POS, empty)[0]["given_name"] == "Julia"
    assert survive(_member("a", T0, Channel.POS), _member("b", T0, Channel.POS))[0]["given_name"] is None


def test_a_field_without_a_recorded_source_counts_as_the_system_at_enrolment():
    legacy = replace(POS, field_sources={})
    values, sources = survive(legacy, WEB)
    assert values["given_name"] == "Jules"  # ECOMMERCE beats SYSTEM
    assert sources["phone"] == FieldSource(Channel.SYSTEM, T0)


# --- merge ------------------------------------------------------------------------------------------


def test_a_merge_moves_identifiers_keeps_the_best_fields_and_the_restrictive_consents():
    outcome = _merged()
    survivor = outcome.survivor
    assert survivor.id == "mbr_pos" and survivor.enrolled_at == T0 and survivor.absorbed_count == 1
    assert {(i.kind, i.value) for i in survivor.identities} == {(IdentifierKind.PHONE, "+15035550142"),
                                                                (IdentifierKind.EMAIL, "julia@example.com")}
    assert (survivor.given_name, survivor.email, survivor.birthday) == ("Julia", "julia@example.com",
                                                                         date(1990, 4, 12))
    assert (survivor.consents.email_marketing, survivor.consents.sms_marketing, survivor.consents.profiling) == (
        True, False, False)  # SMS: only one granted; profiling: the web record objected
    assert outcome.consent_changes == [
        ConsentChange(Purpose.SMS_MARKETING, False, AT, Channel.APP, "merge:mrg_1"),
        ConsentChange(Purpose.PROFILING, False, AT, Channel.APP, "merge:mrg_1")]
    assert outcome.absorbed.status is MemberStatus.MERGED and outcome.absorbed.identities == ()
    assert outcome.record.reason == "EMAIL julia@example.com, PHONE +15035550142"
    assert outcome.record.moved == (("EMAIL", "julia@example.com"),)


def test_a_merge_keeps_the_earliest_enrolment_when_the_newer_survives():
    outcome = merge(WEB, POS, merge_id="m", at=AT, matched=[], channel=Channel.CRM)
    assert outcome.survivor.id == "mbr_web" and outcome.survivor.enrolled_at == T0


def test_what_cannot_merge_is_refused():
    with pytest.raises(Conflict, match="into itself"):
        merge(POS, POS, merge_id="m", at=AT, matched=[], channel=Channel.APP)
    erased = replace(WEB, status=MemberStatus.ERASED)
    with pytest.raises(Conflict, match="erased"):
        merge(POS, erased, merge_id="m", at=AT, matched=[], channel=Channel.APP)
    card = [_id(IdentifierKind.LOYALTY_CARD, "LC20248894", Channel.POS, T0)]
    other_card = [_id(IdentifierKind.LOYALTY_CARD, "LC40000000002", Channel.POS, T0)]
    with pytest.raises(Conflict, match="at most 1 LOYALTY_CARD identifier; this would make 2"):
        merge(replace(POS, identities=tuple(card)), replace(WEB, identities=tuple(other_card)), merge_id="m", at=AT,
              matched=[], channel=Channel.APP)


def test_the_merge_cap_is_inclusive():
    full = replace(POS, absorbed_count=98)
    assert merge(full, replace(WEB, absorbed_count=1), merge_id="m", at=AT, matched=[], channel=Channel.APP,
                 max_merges=100).survivor.absorbed_count == 100
    with pytest.raises(Conflict, match="at most 100 merge into one"):
        merge(replace(POS, absorbed_count=99), replace(WEB, absorbed_count=1), merge_id="m", at=AT, matched=[], channel=Channel.APP,
              max_merges=100)


def test_identity_limits_count_distinct_identifiers_per_kind():
    emails = [("EMAIL", f"e{n}@example.com") for n in range(5)]
    check_identity_limits(emails + emails)  # the same five twice are five
    with pytest.raises(Conflict, match="at most 5 EMAIL identifiers; this would make 6"):
        check_identity_limits([*emails, ("EMAIL", "six@example.com")])


def test_reason_names_the_identifiers_in_a_stable_order():
    assert reason([("PHONE", "+1"), ("EMAIL", "a@b.co"), ("PHONE", "+1")]) == "EMAIL a@b.co, PHONE +1"


# --- unmerge ----------------------------------------------------------------------------------------


def test_unmerge_right_after_the_merge_puts_both_back_exactly():
    outcome = _merged()
    back = unmerge(outcome.record, outcome.survivor, outcome.absorbed, [], at=AT + HOUR, actor="unmerge:mrg_1")
    assert back.survivor == replace(POS, consents=replace(POS.consents, updated_at=AT + HOUR))
    assert back.absorbed == WEB
    assert back.identities_back == (("EMAIL", "julia@example.com"),)
    assert back.survivor_consent_changes == [
        ConsentChange(Purpose.SMS_MARKETING, True, AT + HOUR, Channel.SYSTEM, "unmerge:mrg_1"),
        ConsentChange(Purpose.PROFILING, True, AT + HOUR, Channel.SYSTEM, "unmerge:mrg_1")]
    assert back.absorbed_consent_changes == []


def test_what_changed_after_the_merge_stays_with_the_survivor():
    outcome = _merged()
    later = AT + 5 * HOUR
    new_phone = _id(IdentifierKind.PHONE, "+15035550199", Channel.APP, later)
    changed = replace(outcome.survivor, home_store_id="st_seattle",
                      field_sources={**outcome.survivor.field_sources, "home_store_id": FieldSource(Channel.APP, later)},
                      identities=(*outcome.survivor.identities, new_phone))
    back = unmerge(outcome.record, changed, outcome.absorbed, [], at=later + HOUR, actor="unmerge:mrg_1")
    assert back.survivor.home_store_id == "st_seattle"  # changed since: kept
    assert back.survivor.email is None and back.survivor.birthday is None  # came with the merge: gone again
    assert {i.value for i in back.survivor.identities} == {"+15035550142", "+15035550199"}
    assert {i.value for i in back.absorbed.identities} == {"julia@example.com"}


def test_consents_after_the_merge_grants_stay_withdrawals_apply_to_both():
    outcome = _merged()
    later = AT + 2 * HOUR
    since = [ConsentChange(Purpose.EMAIL_MARKETING, False, later, Channel.APP, "mbr_pos"),  # a withdrawal
             ConsentChange(Purpose.PROFILING, True, later, Channel.APP, "mbr_pos")]  # the member lifts the objection
    survivor = replace(outcome.survivor, consents=ledger.apply(outcome.survivor.consents, since))
    back = unmerge(outcome.record, survivor, outcome.absorbed, since, at=later + HOUR, actor="unmerge:mrg_1")
    # profiling was changed since: not reverted; SMS (changed by the merge only) goes back to granted
    assert (back.survivor.consents.email_marketing, back.survivor.consents.sms_marketing,
            back.survivor.consents.profiling) == (False, True, True)
    # the absorbed record gets its own consents back, with the later withdrawal applied
    assert (back.absorbed.consents.email_marketing, back.absorbed.consents.profiling) == (False, False)
    assert back.absorbed_consent_changes == [
        ConsentChange(Purpose.EMAIL_MARKETING, False, later + HOUR, Channel.SYSTEM, "unmerge:mrg_1")]


def test_an_unmerge_happens_once_and_not_while_the_survivor_is_merged_away():
    outcome = _merged()
    with pytest.raises(Conflict, match="already undone"):
        unmerge(replace(outcome.record, reversed_at=AT), outcome.survivor, outcome.absorbed, [], at=AT, actor="x")
    with pytest.raises(Conflict, match="merged: undo what happened to it first"):
        unmerge(outcome.record, replace(outcome.survivor, status=MemberStatus.MERGED), outcome.absorbed, [], at=AT,
                actor="x")


# --- consents as a ledger -----------------------------------------------------------------------------


def test_only_real_changes_are_recorded():
    current = Consents(email_marketing=True)
    after, changes = ledger.record(current, {"email_marketing": True, "sms_marketing": None, "profiling": False},
                                   at=T0, source=Channel.POS, actor="cashier:staff_1")
    assert changes == [ConsentChange(Purpose.PROFILING, False, T0, Channel.POS, "cashier:staff_1")]
    assert after == Consents(email_marketing=True, profiling=False, updated_at=T0)
    assert ledger.record(current, {}, at=T0, source=Channel.POS, actor="x") == (current, [])


def test_the_current_consents_are_the_latest_change_per_purpose():
    history = [ConsentChange(Purpose.SMS_MARKETING, True, T0 + HOUR, Channel.APP, "m"),
               ConsentChange(Purpose.SMS_MARKETING, False, T0 + 2 * HOUR, Channel.POS, "staff"),
               ConsentChange(Purpose.PROFILING, False, T0, Channel.APP, "m")]
    assert ledger.current_from(reversed(history)) == Consents(sms_marketing=False, profiling=False,
                                                              updated_at=T0 + 2 * HOUR)
    assert ledger.current_from([]) == Consents()  # marketing off, profiling on, until someone says otherwise


def test_most_restrictive_grants_only_what_both_grant():
    assert ledger.most_restrictive(Consents(email_marketing=True, profiling=True),
                                   Consents(email_marketing=True, profiling=False)) == {
        "email_marketing": True, "sms_marketing": False, "push_marketing": False, "profiling": False}


# --- what identify creates and learns -------------------------------------------------------------------




def test_identify_creates_a_member_from_what_the_channel_knows():
    member = identified(member_id="mbr_new", at=T0, channel=Channel.APP,
                        identifiers=[("APP_DEVICE", "dev-1"), ("EMAIL", "a@example.com")], given_name="Ann",
                        family_name=None)
    assert (member.email, member.phone, member.given_name) == ("a@example.com", None, "Ann")
    assert {i.kind for i in member.identities} == {IdentifierKind.APP_DEVICE, IdentifierKind.EMAIL}
    assert member.field_sources == {"given_name": FieldSource(Channel.APP, T0), "email": FieldSource(Channel.APP, T0)}
    with pytest.raises(Conflict):
        identified(member_id="m", at=T0, channel=Channel.POS, identifiers=[("CRM_CONTACT", "c1"), ("CRM_CONTACT", "c2")],
                   given_name=None, family_name=None)


def test_learning_links_new_identifiers_and_trusts_names_by_source():
    later = T0 + HOUR
    learned = learn(POS, at=later, channel=Channel.APP, identifiers=[("APP_DEVICE", "dev-9"), ("PHONE", "+15035550142")],
                    given_name="Jules", family_name=None)
    assert learned.given_name == "Julia"  # the app is less trusted than the till that recorded it
    assert {i.value for i in learned.identities} == {"+15035550142", "dev-9"}
    crm = learn(POS, at=later, channel=Channel.CRM, identifiers=[], given_name="Julia Anne", family_name="")
    assert (crm.given_name, crm.family_name) == ("Julia Anne", "Meyer")  # an empty name never replaces
    assert crm.field_sources["given_name"] == FieldSource(Channel.CRM, later)
    same = learn(POS, at=later, channel=Channel.POS, identifiers=[], given_name="Juli", family_name=None)
    assert same.given_name == "Juli"  # as trusted and newer


def test_learning_fills_an_empty_contact_field_but_never_swaps_one():
    learned = learn(POS, at=T0 + HOUR, channel=Channel.ECOMMERCE,
                    identifiers=[("EMAIL", "julia@example.com"), ("PHONE", "+15035550199")], given_name=None,
                    family_name=None)
    assert (learned.email, learned.phone) == ("julia@example.com", "+15035550142")
    emails = [("EMAIL", f"e{n}@example.com") for n in range(6)]
    with pytest.raises(Conflict, match="at most 5 EMAIL"):
        learn(POS, at=T0, channel=Channel.APP, identifiers=emails, given_name=None, family_name=None)
