"""Segments: named CEL conditions over a member's traits and profile, and who is in
them. No I/O here.

A condition is compiled once, when an admin saves it (syntax errors and unknown
variables are refused with their line and column; it must give a boolean), and
evaluated for one member at a time with the variables of `VARIABLES`. Null
handling is CEL's: `recencyDays > 30` cannot be evaluated for a member who never
bought anything, and a condition that cannot be evaluated for a member leaves
that member out of the segment; write `recencyDays != null && recencyDays > 30`,
or `recencyDays == null || ...` to take them in.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.cel import CelError, CelEvaluationError, Expression, compile_expression
from core.errors import BadUserInput

from .members import Member, MemberStatus
from .traits import DAY, MemberTraits

MAX_SEGMENTS = 100  # every member event evaluates every segment: bounded work per event
MAX_CONDITION_LENGTH = 2000
MAX_NAME_LENGTH = 100
SEGMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")

# What a condition can read (README, "Traits and segments"): name -> CEL type and meaning.
VARIABLES: dict[str, str] = {
    "recencyDays": "int or null: whole days since the last purchase not brought back whole; null before the first",
    "frequency90d": "int: purchases in the last 90 days (a purchase brought back whole does not count)",
    "monetary365d": "double: spend in the last 365 days, net of returns",
    "lapseRisk": "double or null: 0..1 from the churn model; null without a score, and always when "
                 "consents.profiling is false",
    "lifetimePurchases": "int: every purchase that counts, ever",
    "homeStoreId": "string or null: e.g. 'st_portland'",
    "channel": "string or null: where the member first became known (POS, ECOMMERCE, APP, CRM, SYSTEM)",
    "status": "string: ACTIVE or SUSPENDED (erased members are in no segment)",
    "birthdayMonth": "int or null: 1 to 12",
    "enrolledDays": "int: whole days since enrolment",
    "consents": "map of booleans: consents.emailMarketing, consents.smsMarketing, consents.pushMarketing, "
                "consents.profiling",
}

_CEL_TYPES = {bool: "bool", int: "int", float: "double", str: "string", list: "list", dict: "map",
              type(None): "null"}


def segment_values(member: Member, traits: MemberTraits, lifetime_purchases: int, now: datetime
                   ) -> dict[str, Any]:
    """The variables of `VARIABLES` for one member at `now`."""
    consents = member.consents
    return {
        "recencyDays": traits.recency_days,
        "frequency90d": traits.frequency_90d,
        "monetary365d": float(traits.monetary_365d),
        "lapseRisk": traits.lapse_risk,
        "lifetimePurchases": lifetime_purchases,
        "homeStoreId": member.home_store_id,
        "channel": str(member.identities[0].source) if member.identities else None,
        "status": str(member.status),
        "birthdayMonth": member.birthday.month if member.birthday else None,
        "enrolledDays": max(0, (now - member.enrolled_at) // DAY),
        "consents": {"emailMarketing": consents.email_marketing, "smsMarketing": consents.sms_marketing,
                     "pushMarketing": consents.push_marketing, "profiling": consents.profiling},
    }


# Checked at upsert: a condition must give a boolean for a member with every trait known, and
# must not give anything else (an error is fine) for a member who has bought nothing yet.
_CONSENTS = {"emailMarketing": True, "smsMarketing": False, "pushMarketing": False, "profiling": True}
SAMPLE_MEMBERS: tuple[dict[str, Any], ...] = (
    {"recencyDays": 23, "frequency90d": 2, "monetary365d": 412.5, "lapseRisk": 0.37, "lifetimePurchases": 7,
     "homeStoreId": "st_sample", "channel": "POS", "status": "ACTIVE", "birthdayMonth": 4, "enrolledDays": 413,
     "consents": _CONSENTS},
    {"recencyDays": None, "frequency90d": 0, "monetary365d": 0.0, "lapseRisk": None, "lifetimePurchases": 0,
     "homeStoreId": None, "channel": None, "status": "ACTIVE", "birthdayMonth": None, "enrolledDays": 0,
     "consents": {**_CONSENTS, "profiling": False}},
)


def cel_type(value: Any) -> str:
    return _CEL_TYPES.get(type(value), type(value).__name__)


class NotABool(CelEvaluationError):
    """The condition gave something other than true or false."""


@dataclass(frozen=True)
class Condition:
    expression: Expression

    @property
    def source(self) -> str:
        return self.expression.source

    def matches(self, values: Mapping[str, Any]) -> bool:
        """Whether a member with these values is in; CelEvaluationError when it cannot be told."""
        result = self.expression.evaluate(values)
        if not isinstance(result, bool):
            raise NotABool(f"the condition gave {cel_type(result)} {str(result)[:40]!r}, not a bool")
        return result


def compile_condition(text: str) -> Condition:
    """A segment's condition, or BAD_USER_INPUT naming the line and column of the problem."""
    try:
        expression = compile_expression(text, variables=VARIABLES.keys(), max_length=MAX_CONDITION_LENGTH)
    except CelError as error:
        position = {"line": error.line, "column": error.column} if error.line is not None else {}
        raise BadUserInput(f"condition, at {error.where}: {error.message}", field="condition", **position) from None
    condition = Condition(expression)
    typical, newcomer = SAMPLE_MEMBERS
    try:
        condition.matches(typical)
    except CelEvaluationError as error:
        raise BadUserInput(f"condition cannot be evaluated for a member with every trait known: {error.message}",
                           field="condition") from None
    try:
        condition.matches(newcomer)
    except NotABool as error:
        raise BadUserInput(f"condition must give a bool: {error.message}", field="condition") from None
    except CelEvaluationError:
        pass  # nulls may make a condition fail for a newcomer: then they are not in it (documented)
    return condition


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    name: str
    condition: str
    version: int  # goes up when the condition changes
    members: int  # how many members are in it now
    evaluated_version: int | None  # the version every member has been evaluated against
    evaluation_cursor: str | None  # the last member id the evaluation job reached, between runs
    updated_at: datetime

    @property
    def evaluating(self) -> bool:
        """Its condition is new or changed and not every member has been evaluated against it yet."""
        return self.evaluated_version != self.version


@dataclass(frozen=True, slots=True)
class SegmentInput:
    id: str | None
    name: str
    condition: Condition


def validate_segment(segment_id: str | None, name: str, condition: str) -> SegmentInput:
    if segment_id is not None and not SEGMENT_ID.fullmatch(segment_id.strip()):
        raise BadUserInput("a segment id has 1 to 40 letters, digits, '-' or '_' and starts with a letter or digit",
                           field="id")
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise BadUserInput(f"a segment name has 1 to {MAX_NAME_LENGTH} characters", field="name")
    return SegmentInput(segment_id.strip() if segment_id is not None else None, cleaned,
                        compile_condition(condition.strip()))


def in_no_segment(member: Member | None) -> bool:
    """Members no condition can take in: unknown (or merged into another) and erased ones."""
    return member is None or member.status is MemberStatus.ERASED


def membership_changes(current: Set[str], matching: Set[str]) -> tuple[list[str], list[str]]:
    """(segments entered, segments left), each in id order: the order rows are written in."""
    return sorted(matching - current), sorted(current - matching)
