"""Root fields: serial mutations across subgraphs, and a query root shared by several subgraphs."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph

# --- mutations: a ski school's roster (lessons), front desk (enrolments) and ledger ----------------------
# Every case uses its own `session`, so the cases do not depend on their order. Each mutation
# resolver counts one step of its session: responses show the order the gateway ran them in.

STEPS: dict[str, int] = defaultdict(int)
BALANCES: dict[str, int] = defaultdict(int)
LESSONS: dict[str, dict[str, Any]] = {}
GROUPS: dict[str, dict[str, Any]] = {}
DESK_UNSEEN: set[str] = set()  # the desk resolves each lesson reference once, then forgets it


def _step(session: str) -> int:
    STEPS[session] += 1
    return STEPS[session]


def _add_lesson(args: dict[str, Any]) -> dict[str, Any]:
    step = _step(args["session"])
    lesson = {"id": f"{args['session']}-L{step}", "session": args["session"], "title": args["title"],
              "priceCents": args["priceCents"], "addedAt": step}
    LESSONS[lesson["id"]] = lesson
    DESK_UNSEEN.add(lesson["id"])
    return {k: lesson[k] for k in ("id", "title", "priceCents", "addedAt")}


def _create_group(args: dict[str, Any]) -> dict[str, Any]:
    step = _step(args["session"])
    group = {"id": f"{args['session']}-G{step}", "name": args["name"], "size": 8}
    GROUPS[group["id"]] = group
    return group


def _schedule(args: dict[str, Any]) -> list[dict[str, Any]]:
    _step(args["session"])
    lesson = LESSONS[args["lessonId"]]
    return [{"week": week, "lesson": {k: lesson[k] for k in ("id", "title", "priceCents", "addedAt")}}
            for week in range(1, args["weeks"] + 1)]


def _desk_lesson(rep: dict[str, Any]) -> dict[str, Any] | None:
    if rep["id"] not in DESK_UNSEEN:
        return None  # already resolved once: a second entity call for the same lesson finds nothing
    DESK_UNSEEN.discard(rep["id"])
    lesson = LESSONS[rep["id"]]

    def premium(_args: dict[str, Any]) -> bool:
        if "priceCents" not in rep:
            raise ValueError(f"isPremium needs priceCents in the representation: {rep}")
        return rep["priceCents"] >= 5000

    return {
        "id": rep["id"],
        "isOpen": "priceCents" in rep,  # the desk can only open a lesson whose price it was told
        "isPremium": premium,
        "checkedAt": STEPS[lesson["session"]],
    }


def _enroll(args: dict[str, Any]) -> str:
    step = _step(args["session"])
    return f"{args['skier']} joined {LESSONS[args['lessonId']]['title']} at step {step}"


def _charge(args: dict[str, Any]) -> dict[str, Any]:
    step = _step(args["session"])
    BALANCES[args["session"]] += args["amountCents"]
    return {"step": step, "balanceCents": BALANCES[args["session"]]}


MUTATIONS = Scenario(
    name="mutations",
    subgraphs={
        "roster": Subgraph(
            sdl=FED2 + """
              type Query { lesson(id: ID!): Lesson }
              type Mutation {
                addLesson(session: ID!, title: String!, priceCents: Int!): Lesson!
                schedule(session: ID!, lessonId: ID!, weeks: Int!): [Slot!]!
                createGroup(session: ID!, name: String!): Group! @shareable
              }
              type Lesson @key(fields: "id") { id: ID! title: String! priceCents: Int! addedAt: Int! }
              type Slot { week: Int! lesson: Lesson! }
              type Group @key(fields: "id") { id: ID! name: String! @shareable }
            """,
            root={"lesson": lambda args: LESSONS.get(args["id"]), "addLesson": _add_lesson,
                  "schedule": _schedule, "createGroup": _create_group},
            entities={"Lesson": lambda rep: LESSONS.get(rep["id"]), "Group": lambda rep: GROUPS.get(rep["id"])},
        ),
        "desk": Subgraph(
            sdl=FED2 + """
              type Mutation {
                enroll(session: ID!, lessonId: ID!, skier: String!): String!
                createGroup(session: ID!, name: String!): Group! @shareable
              }
              type Lesson @key(fields: "id") {
                id: ID!
                priceCents: Int! @external
                isOpen: Boolean!
                isPremium: Boolean! @requires(fields: "priceCents")
                checkedAt: Int!
              }
              type Group @key(fields: "id") { id: ID! name: String! @shareable size: Int! }
            """,
            root={"enroll": _enroll, "createGroup": _create_group},
            entities={"Lesson": _desk_lesson, "Group": lambda rep: GROUPS.get(rep["id"])},
        ),
        "ledger": Subgraph(
            sdl=FED2 + """
              type Query { balance(session: ID!): Int! }
              type Mutation { charge(session: ID!, amountCents: Int!): Receipt! audit(session: ID!): Int! }
              type Receipt { step: Int! balanceCents: Int! }
            """,
            root={"balance": lambda args: BALANCES[args["session"]], "charge": _charge,
                  "audit": lambda args: STEPS[args["session"]]},
        ),
    },
    cases=[
        # isOpen and isPremium in one desk fetch (the desk resolves the lesson once, and opens it
        # only when the representation carries the price)
        Case('mutation { addLesson(session: "m1", title: "Moguls", priceCents: 6000) { id title isOpen isPremium } }',
             {"addLesson": {"id": "m1-L1", "title": "Moguls", "isOpen": True, "isPremium": True}}),
        # ledger, roster (+ desk), ledger, desk: each field and its subtree before the next
        Case("""mutation {
                  first: charge(session: "m2", amountCents: 500) { step balanceCents }
                  lesson: addLesson(session: "m2", title: "Carving", priceCents: 3000) {
                    id addedAt isPremium isOpen checkedAt
                  }
                  second: charge(session: "m2", amountCents: 300) { step balanceCents }
                  enroll(session: "m2", lessonId: "m2-L2", skier: "Ana")
                }""",
             {"first": {"step": 1, "balanceCents": 500},
              "lesson": {"id": "m2-L2", "addedAt": 2, "isPremium": False, "isOpen": True, "checkedAt": 2},
              "second": {"step": 3, "balanceCents": 800},
              "enroll": "Ana joined Carving at step 4"}),
        # a shareable mutation runs in exactly one subgraph
        Case('mutation { kids: createGroup(session: "m3", name: "Kids") { name size } steps: audit(session: "m3") }',
             {"kids": {"name": "Kids", "size": 8}, "steps": 1}),
        Case("""mutation {
                  a: addLesson(session: "m4", title: "Powder", priceCents: 9000) { title isPremium }
                  b: addLesson(session: "m4", title: "Park", priceCents: 2000) { title isOpen isPremium addedAt }
                  steps: audit(session: "m4")
                }""",
             {"a": {"title": "Powder", "isPremium": True},
              "b": {"title": "Park", "isOpen": True, "isPremium": False, "addedAt": 2},
              "steps": 2}),
        Case('mutation { charge(session: "m5", amountCents: 100) { step } again: charge(session: "m5", amountCents: 50)'
             ' { step balanceCents } }',
             {"charge": {"step": 1}, "again": {"step": 2, "balanceCents": 150}}),
        # the same lesson twice in one list: one representation for both (the desk resolves it once)
        Case("""mutation {
                  addLesson(session: "m7", title: "Freeride", priceCents: 8000) { id }
                  schedule(session: "m7", lessonId: "m7-L1", weeks: 2) { week lesson { title isPremium } }
                }""",
             {"addLesson": {"id": "m7-L1"}, "schedule": [
                 {"week": 1, "lesson": {"title": "Freeride", "isPremium": True}},
                 {"week": 2, "lesson": {"title": "Freeride", "isPremium": True}},
             ]}),
        # an excluded mutation field does not run
        Case("""mutation ($no: Boolean = false) {
                  charge(session: "m6", amountCents: 100) @include(if: $no) { step }
                  lesson: addLesson(session: "m6", title: "Slalom", priceCents: 7000) @skip(if: $no) {
                    addedAt isPremium
                  }
                  steps: audit(session: "m6")
                }""",
             {"lesson": {"addedAt": 1, "isPremium": True}, "steps": 1}),
    ],
)


# --- shared-root: one root field in three subgraphs, each knowing part of the value ----------------------

NIGHT = {"date": "2024-08-12", "cloudCover": 10, "moonPhase": "waxing crescent", "seeing": "good",
         "temperatureC": 14, "humidity": 62}
WINDOWS = [
    {"start": "22:00", "cloudCover": 20, "seeing": "fair"},
    {"start": "23:30", "cloudCover": 5, "seeing": "excellent"},
    {"start": "01:00", "cloudCover": 40, "seeing": "poor"},
]


def _night(*fields: str, forecast: tuple[str, ...] = ()) -> dict[str, Any]:
    night = {f: NIGHT[f] for f in ("date", *fields)}
    if forecast:
        night["forecast"] = {f: NIGHT[f] for f in forecast}
    return night


SHARED_ROOT = Scenario(
    name="shared-root",
    subgraphs={
        "clouds": Subgraph(
            sdl=FED2 + """
              type Query { tonight: Night! @shareable windows: [Window!]! @shareable }
              type Night @shareable { date: String! cloudCover: Int! forecast: Forecast! }
              type Forecast @shareable { temperatureC: Int! }
              type Window @shareable { start: String! cloudCover: Int! }
            """,
            root={"tonight": lambda args: _night("cloudCover", forecast=("temperatureC",)),
                  "windows": lambda args: [{"start": w["start"], "cloudCover": w["cloudCover"]} for w in WINDOWS]},
        ),
        "moon": Subgraph(
            sdl=FED2 + """
              type Query { tonight: Night! @shareable }
              type Night @shareable { date: String! moonPhase: String! }
            """,
            root={"tonight": lambda args: _night("moonPhase")},
        ),
        "seeing": Subgraph(
            sdl=FED2 + """
              type Query { tonight: Night! @shareable windows: [Window!]! @shareable }
              type Night @shareable { date: String! seeing: String! forecast: Forecast! }
              type Forecast @shareable { humidity: Int! }
              type Window @shareable { start: String! seeing: String! }
            """,
            root={"tonight": lambda args: _night("seeing", forecast=("humidity",)),
                  "windows": lambda args: [{"start": w["start"], "seeing": w["seeing"]} for w in WINDOWS]},
        ),
    },
    cases=[
        Case("{ tonight { date cloudCover moonPhase seeing } }", {"tonight": {
            "date": "2024-08-12", "cloudCover": 10, "moonPhase": "waxing crescent", "seeing": "good"}}),
        Case("{ tonight { moonPhase } }", {"tonight": {"moonPhase": "waxing crescent"}}),
        Case("{ windows { start cloudCover seeing } }", {"windows": [
            {"start": "22:00", "cloudCover": 20, "seeing": "fair"},
            {"start": "23:30", "cloudCover": 5, "seeing": "excellent"},
            {"start": "01:00", "cloudCover": 40, "seeing": "poor"},
        ]}),
        Case("{ early: tonight { moonPhase } late: tonight { seeing date cloudCover } }", {
            "early": {"moonPhase": "waxing crescent"},
            "late": {"seeing": "good", "date": "2024-08-12", "cloudCover": 10}}),
        Case("{ tonight { forecast { temperatureC humidity } moonPhase } }", {"tonight": {
            "forecast": {"temperatureC": 14, "humidity": 62}, "moonPhase": "waxing crescent"}}),
    ],
)


SCENARIOS = [MUTATIONS, SHARED_ROOT]
