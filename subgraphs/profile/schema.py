"""Profile's GraphQL schema: maps fields to handlers, nothing more."""
from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.federation.schema_directives import Key

from subgraphs.kernel.aliases import check_member_access
from subgraphs.kernel.graphql import Channel, IdentifierInput, IdentifierKind, LoyaltyInfo, make_schema

from . import domain, handlers

MemberStatus = strawberry.enum(domain.members.MemberStatus)
ConsentPurpose = strawberry.enum(domain.consents.Purpose, name="ConsentPurpose")
StaffRole = strawberry.enum(domain.staff.StaffRole, name="StaffRole")


def _viewed_members(info: LoyaltyInfo) -> DataLoader[str, domain.members.Member | None]:
    """Members fetched as entities, each one staff read recorded in the access log."""
    runtime, principal = info.context.runtime, info.context.principal
    return info.context.loader("viewed-members", lambda: DataLoader(
        lambda ids: handlers.privacy.members_viewed(runtime, principal, ids)))


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])
class Store:
    id: strawberry.ID


@strawberry.type
class Identity:
    kind: IdentifierKind
    value: str
    source: Channel
    linked_at: datetime


@strawberry.type
class Consents:
    email_marketing: bool
    sms_marketing: bool
    push_marketing: bool
    profiling: bool = strawberry.field(
        description="false = no personalised or model-scored offers (GDPR Art. 21, CCPA opt-out)"
    )
    updated_at: datetime | None


@strawberry.type(description="One change in a member's consent ledger.")
class ConsentChange:
    purpose: ConsentPurpose
    granted: bool
    at: datetime
    source: Channel
    actor: str = strawberry.field(description="who recorded it: the member, a staff id, or a service")

    @classmethod
    def from_domain(cls, change: domain.consents.ConsentChange) -> ConsentChange:
        return cls(purpose=change.purpose, granted=change.granted, at=change.at, source=change.source,
                   actor=change.actor)


@strawberry.type(description="Two records of one person made one; undone by unmergeMember.")
class Merge:
    id: strawberry.ID
    survivor_id: strawberry.ID
    absorbed_id: strawberry.ID
    at: datetime
    reason: str = strawberry.field(description='the identifiers that matched, e.g. "EMAIL julia@example.com"')
    reversed_at: datetime | None

    @classmethod
    def from_domain(cls, record: domain.merges.MergeRecord) -> Merge:
        return cls(id=strawberry.ID(record.id), survivor_id=strawberry.ID(record.survivor_id),
                   absorbed_id=strawberry.ID(record.absorbed_id), at=record.at, reason=record.reason,
                   reversed_at=record.reversed_at)


@strawberry.type(description="What a member's purchases say about them, as of now.")
class MemberTraits:
    recency_days: int | None = strawberry.field(
        name="recencyDays", description="Whole days since the last purchase (not brought back whole); null before "
                                        "the first.")
    frequency_90d: int = strawberry.field(
        name="frequency90d", description="Purchases in the last 90 days; a purchase brought back whole does not count.")
    monetary_365d: Decimal = strawberry.field(
        name="monetary365d", description="Spend in the last 365 days, net of returns.")
    lapse_risk: float | None = strawberry.field(
        name="lapseRisk", description="0..1, from the churn model; null without a score, and always when "
                                      "consents.profiling is false.")
    last_purchase_at: datetime | None = strawberry.field(description="When the last purchase counted above happened.")

    @classmethod
    def from_domain(cls, traits: domain.traits.MemberTraits) -> MemberTraits:
        return cls(recency_days=traits.recency_days, frequency_90d=traits.frequency_90d,
                   monetary_365d=traits.monetary_365d, lapse_risk=traits.lapse_risk,
                   last_purchase_at=traits.last_purchase_at)


@strawberry.type(description="A named CEL condition over members' traits and profile (README: "
                             "\"Traits and segments\").")
class Segment:
    id: strawberry.ID
    name: str
    condition: str
    members: int = strawberry.field(description="How many members are in it now.")
    evaluating: bool = strawberry.field(description="true while the background job evaluates every member against "
                                                    "a new or changed condition.")
    updated_at: datetime

    @classmethod
    def from_domain(cls, segment: domain.segments.Segment) -> Segment:
        return cls(id=strawberry.ID(segment.id), name=segment.name, condition=segment.condition,
                   members=segment.members, evaluating=segment.evaluating, updated_at=segment.updated_at)


@strawberry.type(description="A staff member's read or change of a member's data.")
class StaffAccess:
    staff_id: str
    role: str
    at: datetime
    action: str = strawberry.field(description="lookup, view, consents, adjustment, export or erasure")

    @classmethod
    def from_domain(cls, access: domain.privacy.StaffAccess) -> StaffAccess:
        return cls(staff_id=access.staff_id, role=access.role, at=access.at, action=str(access.action))


@strawberry.type(description="A member's erasure: complete when every subgraph has erased its part.")
class ErasureRequest:
    id: strawberry.ID
    member_id: strawberry.ID
    requested_at: datetime
    completed_at: datetime | None
    confirmed_by: list[str] = strawberry.field(description="The subgraphs that have erased their part so far.")

    @classmethod
    def from_domain(cls, request: domain.privacy.ErasureRequest) -> ErasureRequest:
        return cls(id=strawberry.ID(request.id), member_id=strawberry.ID(request.member_id),
                   requested_at=request.requested_at, completed_at=request.completed_at,
                   confirmed_by=sorted(request.confirmed))


@strawberry.type(description="Everything every subgraph holds on a member, as one JSON document.")
class MemberExport:
    member_id: strawberry.ID
    generated_at: datetime
    json: str


@strawberry.federation.type(keys=["id"])
class Member:
    id: strawberry.ID
    given_name: str | None
    family_name: str | None
    email: str | None
    phone: str | None
    birthday: date | None
    enrolled_at: datetime
    status: MemberStatus
    identities: list[Identity]
    consents: Consents
    home_store_id: strawberry.Private[str | None]

    @strawberry.field
    def home_store(self) -> Store | None:
        return Store(id=strawberry.ID(self.home_store_id)) if self.home_store_id else None

    @strawberry.field(description="Every consent change, oldest first.")
    async def consent_history(self, info: LoyaltyInfo) -> list[ConsentChange]:
        history = await handlers.members.consent_history(info.context.runtime, info.context.principal, self.id)
        return [ConsentChange.from_domain(change) for change in history]

    @strawberry.field(description="The merges this member survived or absorbed, newest first.")
    async def merges(self, info: LoyaltyInfo) -> list[Merge]:
        records = await handlers.merges.merges_of(info.context.runtime, info.context.principal, self.id)
        return [Merge.from_domain(record) for record in records]

    @strawberry.field(description="The member themself, or staff.")
    async def traits(self, info: LoyaltyInfo) -> MemberTraits:
        traits = await handlers.traits.member_traits(info.context.runtime, info.context.principal, self.id)
        return MemberTraits.from_domain(traits)

    @strawberry.field(description="The ids of the segments the member is in (the member themself, or staff).")
    async def segments(self, info: LoyaltyInfo) -> list[str]:
        return await handlers.segments.member_segments(info.context.runtime, info.context.principal, self.id)

    @strawberry.field(description="Which staff read or changed this member, newest first: for the member, "
                                  "supervisors and admins.")
    async def access_log(self, info: LoyaltyInfo, first: int | None = 50) -> list[StaffAccess]:
        entries = await handlers.privacy.access_log(info.context.runtime, info.context.principal, self.id,
                                                    50 if first is None else first)
        return [StaffAccess.from_domain(e) for e in entries]

    @classmethod
    def from_domain(cls, member: domain.members.Member) -> Member:
        c = member.consents
        return cls(
            id=strawberry.ID(member.id),
            given_name=member.given_name,
            family_name=member.family_name,
            email=member.email,
            phone=member.phone,
            birthday=member.birthday,
            enrolled_at=member.enrolled_at,
            status=member.status,
            identities=[Identity(kind=i.kind, value=i.value, source=i.source, linked_at=i.linked_at)
                        for i in member.identities],
            consents=Consents(
                email_marketing=c.email_marketing, sms_marketing=c.sms_marketing,
                push_marketing=c.push_marketing, profiling=c.profiling, updated_at=c.updated_at,
            ),
            home_store_id=member.home_store_id,
        )

    @classmethod
    async def resolve_reference(cls, info: LoyaltyInfo, id: strawberry.ID) -> Member | None:
        await check_member_access(info.context.runtime.db, info.context.principal, id)
        member = await _viewed_members(info).load(id)
        return cls.from_domain(member) if member else None


@strawberry.input
class ConsentsInput:
    email_marketing: bool | None = None
    sms_marketing: bool | None = None
    push_marketing: bool | None = None
    profiling: bool | None = None

    def changes(self) -> dict[str, bool | None]:
        return {
            "email_marketing": self.email_marketing,
            "sms_marketing": self.sms_marketing,
            "push_marketing": self.push_marketing,
            "profiling": self.profiling,
        }


@strawberry.input
class EnrollMemberInput:
    channel: Channel
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birthday: date | None = None
    home_store_id: strawberry.ID | None = None
    consents: ConsentsInput | None = None


@strawberry.input(description="The identifiers a channel knows of one person, and the names it gives.")
class IdentifyInput:
    channel: Channel
    identifiers: list[IdentifierInput]
    given_name: str | None = None
    family_name: str | None = None


@strawberry.input
class SegmentInput:
    name: str
    condition: str = strawberry.field(description="CEL over the member's traits and profile (README: \"Traits and "
                                                  "segments\" lists the variables).")
    id: strawberry.ID | None = strawberry.field(default=None, description="Omitted: a new segment.")


@strawberry.type
class Query:
    @strawberry.field(description="The member of the bearer token.")
    async def me(self, info: LoyaltyInfo) -> Member | None:
        member = await handlers.members.me(info.context.runtime, info.context.principal)
        return Member.from_domain(member) if member else None

    @strawberry.field(description="Staff, or the member themself.")
    async def member(self, info: LoyaltyInfo, id: strawberry.ID) -> Member | None:
        return Member.from_domain(await handlers.members.get_member(info.context.runtime, info.context.principal, id))

    @strawberry.field(description="Till and agent lookup by any identifier; null when nobody has it.")
    async def lookup_member(self, info: LoyaltyInfo, kind: IdentifierKind, value: str) -> Member | None:
        member = await handlers.members.lookup_member(info.context.runtime, info.context.principal, kind, value)
        return Member.from_domain(member) if member else None

    @strawberry.field(description="Staff: every segment, with its live member count.")
    async def segments(self, info: LoyaltyInfo) -> list[Segment]:
        found = await handlers.segments.list_segments(info.context.runtime, info.context.principal)
        return [Segment.from_domain(s) for s in found]

    @strawberry.field(description="Everything every subgraph holds on the member (GDPR Art. 15/20): the member "
                                  "themself, or staff.")
    async def export_member_data(self, info: LoyaltyInfo, member_id: strawberry.ID) -> MemberExport:
        export = await handlers.privacy.export_member_data(info.context.runtime, info.context.principal, member_id)
        return MemberExport(member_id=strawberry.ID(export.member_id), generated_at=export.generated_at,
                            json=export.json)


@strawberry.type(description="A sign-in code is on its way, if a member holds the address (the answer is the same "
                               "either way).")
class SignInCodeRequest:
    expires_at: datetime
    code_length: int
    attempts_allowed: int


@strawberry.type(description="A member signed in: `token` is their bearer token until `expiresAt`.")
class MemberSession:
    token: str
    member: Member
    expires_at: datetime


@strawberry.type(description="A member token from the demo sign-in (dev profile only).")
class DevSignIn:
    token: str
    member: Member


@strawberry.type(description="A staff member signed in at the till; `token` carries their role and store.")
class StaffSession:
    token: str
    staff_id: str
    name: str
    role: StaffRole
    store: Store | None
    expires_at: datetime


@strawberry.type
class Mutation:
    @strawberry.mutation(description="The till's sign-in: a staff token for a staff id and its PIN. An unknown id and "
                                     "a wrong PIN get the same UNAUTHENTICATED error; after 5 wrong PINs in a row "
                                     "the id is locked for a while (FORBIDDEN, extensions.lockedUntil).")
    async def staff_sign_in(self, info: LoyaltyInfo, staff_id: str, pin: str) -> StaffSession:
        session = await handlers.staff.sign_in(info.context.runtime, staff_id, pin)
        account = session.account
        return StaffSession(token=session.token, staff_id=account.id, name=account.name, role=account.role,
                            store=Store(id=strawberry.ID(account.store_id)) if account.store_id else None,
                            expires_at=session.expires_at)

    @strawberry.mutation(description="The wallet's sign-in, step 1: a 6-digit code by email to the member who holds "
                                     "the address. The same answer whether or not anyone does; a few codes an hour "
                                     "per address (FORBIDDEN, extensions.retryAt, beyond).")
    async def request_sign_in_code(self, info: LoyaltyInfo, email: str) -> SignInCodeRequest:
        found = await handlers.sign_in_codes.request_code(info.context.runtime, email)
        return SignInCodeRequest(expires_at=found.expires_at, code_length=found.code_length,
                                 attempts_allowed=found.attempts_allowed)

    @strawberry.mutation(description="The wallet's sign-in, step 2: the code, once, before it expires; a wrong code "
                                     "is UNAUTHENTICATED with extensions.attemptsLeft, and the last wrong one burns "
                                     "the code.")
    async def sign_in_with_code(self, info: LoyaltyInfo, email: str, code: str) -> MemberSession:
        session = await handlers.sign_in_codes.sign_in(info.context.runtime, email, code)
        return MemberSession(token=session.token, member=Member.from_domain(session.member),
                             expires_at=session.expires_at)

    @strawberry.mutation(description="Dev profile only (refused in prod): a member token for a demo member's email, "
                                     "so that no client holds a signing secret.")
    async def dev_sign_in(self, info: LoyaltyInfo, email: str) -> DevSignIn:
        member, token = await handlers.members.dev_sign_in(info.context.runtime, email)
        return DevSignIn(token=token, member=Member.from_domain(member))

    @strawberry.mutation
    async def enroll_member(self, info: LoyaltyInfo, input: EnrollMemberInput) -> Member:
        member = await handlers.members.enroll_member(
            info.context.runtime,
            info.context.principal,
            channel=input.channel,
            given_name=input.given_name,
            family_name=input.family_name,
            email=input.email,
            phone=input.phone,
            birthday=input.birthday,
            home_store_id=input.home_store_id,
            consents=input.consents.changes() if input.consents else None,
        )
        return Member.from_domain(member)

    @strawberry.mutation(description="Recorded in the member's consent ledger; `channel` says where the member "
                                     "gave it (default: the app for the member, the till for a cashier, the CRM "
                                     "desk for supervisors and admins).")
    async def update_consents(self, info: LoyaltyInfo, member_id: strawberry.ID, input: ConsentsInput,
                              channel: Channel | None = None) -> Member:
        member = await handlers.members.update_consents(
            info.context.runtime, info.context.principal, member_id, input.changes(), channel
        )
        return Member.from_domain(member)

    @strawberry.mutation(description="The one member that holds these identifiers: found, created, or made one by "
                                     "merging the members that hold them (exact matches only).")
    async def identify(self, info: LoyaltyInfo, input: IdentifyInput) -> Member:
        member = await handlers.merges.identify(
            info.context.runtime, info.context.principal, channel=input.channel,
            identifiers=[(i.kind, i.value) for i in input.identifiers], given_name=input.given_name,
            family_name=input.family_name,
        )
        return Member.from_domain(member)

    @strawberry.mutation(description="Supervisors: undo one merge in every subgraph; both members, survivor first.")
    async def unmerge_member(self, info: LoyaltyInfo, merge_id: strawberry.ID) -> list[Member]:
        members = await handlers.merges.unmerge(info.context.runtime, info.context.principal, merge_id)
        return [Member.from_domain(member) for member in members]

    @strawberry.mutation(description="Erase the member (GDPR Art. 17) in every subgraph: the member themself, or a "
                                     "supervisor or an admin. A repeat returns the same request.")
    async def request_erasure(self, info: LoyaltyInfo, member_id: strawberry.ID) -> ErasureRequest:
        request = await handlers.privacy.request_erasure(info.context.runtime, info.context.principal, member_id)
        return ErasureRequest.from_domain(request)


    @strawberry.mutation(description="Admin: create a segment, or change one's name or condition. The condition "
                                     "is checked here; members are evaluated against it in the background.")
    async def upsert_segment(self, info: LoyaltyInfo, input: SegmentInput) -> Segment:
        segment = await handlers.segments.upsert_segment(
            info.context.runtime, info.context.principal, segment_id=input.id, name=input.name,
            condition=input.condition,
        )
        return Segment.from_domain(segment)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Staff: a segment whose members changed (entered or left), with its member "
                                         "count as it stands; a burst of changes arrives as one update per segment.")
    async def segment_updated(self, info: LoyaltyInfo) -> AsyncGenerator[Segment, None]:
        async for segment in handlers.segments.segment_updates(info.context.runtime, info.context.principal):
            yield Segment.from_domain(segment)


schema = make_schema(Query, Mutation, Subscription)
