"""What the client may see: @skip/@include, @inaccessible, and enums and input
objects merged across subgraphs (the gateway validates against the API schema)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph


def never(what: str) -> Callable[..., Any]:
    def resolve(*_args: Any) -> Any:
        raise ValueError(f"{what} was resolved although the operation excludes it")

    return resolve


# --- include-skip: excluded fields (and their requirement chains) are never fetched -----------------------

CAKES = {
    "c1": {"id": "c1", "name": "Sachertorte", "sugarGrams": 32},
    "c2": {"id": "c2", "name": "Carrot cake", "sugarGrams": 21},
}


def _oven_cake(cake: dict[str, Any]) -> dict[str, Any]:
    return {**cake, "recipeSecret": never("Cake.recipeSecret")}


def _tasting_cake(rep: dict[str, Any]) -> dict[str, Any]:
    def sweetness(_args: dict[str, Any]) -> str:
        if "sugarGrams" not in rep:
            raise ValueError(f"sweetness needs sugarGrams: {rep}")
        return "very sweet" if rep["sugarGrams"] > 25 else "balanced"

    return {"id": rep["id"], "sweetness": sweetness, "verdict": never("Cake.verdict"),
            "judgeNotes": never("Cake.judgeNotes")}


INCLUDE_SKIP = Scenario(
    name="include-skip",
    subgraphs={
        "oven": Subgraph(
            sdl=FED2 + """
              type Query { cakes: [Cake!]! secretCake: Cake }
              type Cake @key(fields: "id") { id: ID! name: String! sugarGrams: Int! recipeSecret: String! }
            """,
            root={"cakes": lambda args: [_oven_cake(c) for c in CAKES.values()],
                  "secretCake": never("Query.secretCake")},
            entities={"Cake": lambda rep: _oven_cake(CAKES[rep["id"]])},
        ),
        "tasting": Subgraph(
            sdl=FED2 + """
              type Cake @key(fields: "id") {
                id: ID!
                sugarGrams: Int! @external
                recipeSecret: String! @external
                sweetness: String! @requires(fields: "sugarGrams")
                verdict: String! @requires(fields: "recipeSecret")
                judgeNotes: String!
              }
            """,
            entities={"Cake": _tasting_cake},
        ),
    },
    cases=[
        Case("query ($withVerdict: Boolean = false) { cakes { name verdict @include(if: $withVerdict) } }",
             {"cakes": [{"name": "Sachertorte"}, {"name": "Carrot cake"}]}),
        Case("query ($hide: Boolean = true) { cakes { name verdict @skip(if: $hide) sweetness @include(if: true) } }",
             {"cakes": [{"name": "Sachertorte", "sweetness": "very sweet"},
                        {"name": "Carrot cake", "sweetness": "balanced"}]}),
        Case("{ cakes { name ... @include(if: false) { verdict judgeNotes } ... on Cake @skip(if: false) { sweetness } }"
             " secretCake @skip(if: true) { name } }",
             {"cakes": [{"name": "Sachertorte", "sweetness": "very sweet"},
                        {"name": "Carrot cake", "sweetness": "balanced"}]}),
        Case("query ($yes: Boolean = true) { cakes { sweetness @include(if: $yes) name @skip(if: $yes) "
             "judgeNotes @skip(if: $yes) @include(if: $yes) } }",
             {"cakes": [{"sweetness": "very sweet"}, {"sweetness": "balanced"}]}),
        Case("query ($no: Boolean = false) { cakes { ...Tasting @include(if: $no) id } }"
             " fragment Tasting on Cake { verdict sweetness }",
             {"cakes": [{"id": "c1"}, {"id": "c2"}]}),
    ],
)


# --- simple-inaccessible: hidden fields, types, arguments and enum values ----------------------------------

PASSES = [
    {"id": "p1", "holder": "Ana", "kind": "SEASON", "internalNote": "VIP"},
    {"id": "p2", "holder": "Ben", "kind": "DAY", "internalNote": "none"},
    {"id": "p3", "holder": "Ida", "kind": "STAFF", "internalNote": "instructor"},
]
PRICES = {"p1": 1200, "p2": 75, "p3": 0}

SIMPLE_INACCESSIBLE = Scenario(
    name="simple-inaccessible",
    subgraphs={
        "passes": Subgraph(
            sdl=FED2 + """
              type Query { passes(includeRetired: Boolean @inaccessible): [Pass!]! }
              type Pass @key(fields: "id") {
                id: ID!
                holder: String!
                kind: PassKind
                internalNote: String @inaccessible
              }
              enum PassKind { DAY SEASON STAFF @inaccessible }
            """,
            root={"passes": lambda args: PASSES},
            entities={"Pass": lambda rep: next(p for p in PASSES if p["id"] == rep["id"])},
        ),
        "pricing": Subgraph(
            sdl=FED2 + """
              type Pass @key(fields: "id") { id: ID! priceCents: Int! ledger: LedgerEntry @inaccessible }
              type LedgerEntry @inaccessible { account: String! }
            """,
            entities={"Pass": lambda rep: {"id": rep["id"], "priceCents": PRICES[rep["id"]],
                                           "ledger": {"account": "4000"}}},
        ),
    },
    cases=[
        Case("{ passes { id holder priceCents } }", {"passes": [
            {"id": "p1", "holder": "Ana", "priceCents": 1200},
            {"id": "p2", "holder": "Ben", "priceCents": 75},
            {"id": "p3", "holder": "Ida", "priceCents": 0},
        ]}),
        Case("{ passes { holder internalNote } }", None, errors=True),
        Case("{ passes { id ledger { account } } }", None, errors=True),
        Case("{ passes(includeRetired: true) { id } }", None, errors=True),
        # a STAFF pass's kind is not an API value: null, with an error
        Case("{ passes { holder kind } }", {"passes": [
            {"holder": "Ana", "kind": "SEASON"}, {"holder": "Ben", "kind": "DAY"}, {"holder": "Ida", "kind": None},
        ]}, errors=True),
        Case('{ kinds: __type(name: "PassKind") { enumValues { name } } ledger: __type(name: "LedgerEntry") { name }'
             ' pass: __type(name: "Pass") { fields { name } } }', {
                 "kinds": {"enumValues": [{"name": "DAY"}, {"name": "SEASON"}]},
                 "ledger": None,
                 "pass": {"fields": [{"name": "id"}, {"name": "holder"}, {"name": "kind"}, {"name": "priceCents"}]},
             }),
    ],
)


# --- enum-intersection: output enums merge as a union, input enums as an intersection ------------------------
# Band (output only): catalog has VISIBLE, INFRARED; radio has VISIBLE, RADIO -> all three.
# Instrument (input only): catalog has EYE, BINOCULARS, TELESCOPE; radio has EYE, TELESCOPE, DISH
#   -> EYE, TELESCOPE.
# Status (output only): catalog's CLASSIFIED is @inaccessible.

OBJECTS = [
    {"id": "o1", "name": "Andromeda", "band": "VISIBLE", "status": "CONFIRMED",
     "tools": ["EYE", "BINOCULARS", "TELESCOPE"]},
    {"id": "o2", "name": "Crab Nebula", "band": "INFRARED", "status": "CONFIRMED", "tools": ["TELESCOPE"]},
    {"id": "o3", "name": "Object X", "band": "VISIBLE", "status": "CLASSIFIED", "tools": ["TELESCOPE"]},
]
RADIO_BANDS = {"o1": "RADIO", "o2": "VISIBLE", "o3": "RADIO"}

ENUM_INTERSECTION = Scenario(
    name="enum-intersection",
    subgraphs={
        "catalog": Subgraph(
            sdl=FED2 + """
              type Query { objects: [SkyObject!]! visibleWith(instrument: Instrument!): [SkyObject!]! }
              type SkyObject @key(fields: "id") { id: ID! name: String! band: Band! status: Status }
              enum Band { VISIBLE INFRARED }
              enum Instrument { EYE BINOCULARS TELESCOPE }
              enum Status { CONFIRMED CANDIDATE CLASSIFIED @inaccessible }
            """,
            root={"objects": lambda args: OBJECTS,
                  "visibleWith": lambda args: [o for o in OBJECTS if args["instrument"] in o["tools"]]},
            entities={"SkyObject": lambda rep: next(o for o in OBJECTS if o["id"] == rep["id"])},
        ),
        "radio": Subgraph(
            sdl=FED2 + """
              type Query { dishCount(instrument: Instrument!): Int! }
              type SkyObject @key(fields: "id") { id: ID! radioBand: Band! }
              enum Band { VISIBLE RADIO }
              enum Instrument { EYE TELESCOPE DISH }
            """,
            root={"dishCount": lambda args: {"EYE": 0, "TELESCOPE": 2, "DISH": 7}[args["instrument"]]},
            entities={"SkyObject": lambda rep: {"id": rep["id"], "radioBand": RADIO_BANDS[rep["id"]]}},
        ),
    },
    cases=[
        # the union: RADIO (only radio defines it) and INFRARED (only catalog) are both valid outputs
        Case('{ objects { name band radioBand } }', {"objects": [
            {"name": "Andromeda", "band": "VISIBLE", "radioBand": "RADIO"},
            {"name": "Crab Nebula", "band": "INFRARED", "radioBand": "VISIBLE"},
            {"name": "Object X", "band": "VISIBLE", "radioBand": "RADIO"},
        ]}),
        # the intersection: BINOCULARS (catalog only) and DISH (radio only) are not API values
        Case("{ visibleWith(instrument: TELESCOPE) { name } }",
             {"visibleWith": [{"name": "Andromeda"}, {"name": "Crab Nebula"}, {"name": "Object X"}]}),
        Case("{ visibleWith(instrument: BINOCULARS) { name } }", None, errors=True),
        Case("{ dishCount(instrument: DISH) }", None, errors=True),
        Case("{ eye: dishCount(instrument: EYE) telescope: dishCount(instrument: TELESCOPE) }",
             {"eye": 0, "telescope": 2}),
        # an inaccessible value returned by a subgraph: null, with an error
        Case("{ objects { name status } }", {"objects": [
            {"name": "Andromeda", "status": "CONFIRMED"}, {"name": "Crab Nebula", "status": "CONFIRMED"},
            {"name": "Object X", "status": None},
        ]}, errors=True),
        Case('{ __type(name: "Instrument") { enumValues { name } } band: __type(name: "Band") { enumValues { name } } }',
             {"__type": {"enumValues": [{"name": "EYE"}, {"name": "TELESCOPE"}]},
              "band": {"enumValues": [{"name": "VISIBLE"}, {"name": "INFRARED"}, {"name": "RADIO"}]}}),
    ],
)


# --- input-object-intersection: an input type's fields are those every subgraph defines ---------------------

PASTRIES = [
    {"name": "Lemon tart", "flavor": "lemon", "priceCents": 450, "glutenFree": False, "vegan": False},
    {"name": "Lemon macaron", "flavor": "lemon", "priceCents": 250, "glutenFree": True, "vegan": False},
    {"name": "Plum cake", "flavor": "plum", "priceCents": 380, "glutenFree": False, "vegan": True},
]


def _matching(filter_: dict[str, Any] | None) -> list[dict[str, Any]]:
    filter_ = filter_ or {}
    return [p for p in PASTRIES
            if ("flavor" not in filter_ or p["flavor"] == filter_["flavor"])
            and ("maxPriceCents" not in filter_ or p["priceCents"] <= filter_["maxPriceCents"])
            and ("glutenFree" not in filter_ or p["glutenFree"] == filter_["glutenFree"])
            and ("vegan" not in filter_ or p["vegan"] == filter_["vegan"])]


INPUT_OBJECT_INTERSECTION = Scenario(
    name="input-object-intersection",
    subgraphs={
        "counter": Subgraph(
            sdl=FED2 + """
              type Query { pastries(filter: PastryFilter): [Pastry!]! }
              type Pastry { name: String! priceCents: Int! }
              input PastryFilter { flavor: String maxPriceCents: Int glutenFree: Boolean batch: String @inaccessible }
            """,
            root={"pastries": lambda args: _matching(args.get("filter"))},
        ),
        "stock": Subgraph(
            sdl=FED2 + """
              type Query { pastryCount(filter: PastryFilter): Int! }
              input PastryFilter { flavor: String maxPriceCents: Int vegan: Boolean batch: String }
            """,
            root={"pastryCount": lambda args: len(_matching(args.get("filter")))},
        ),
    },
    cases=[
        Case('{ pastries(filter: { flavor: "lemon", maxPriceCents: 300 }) { name } }',
             {"pastries": [{"name": "Lemon macaron"}]}),
        Case('{ pastryCount(filter: { flavor: "lemon" }) all: pastryCount }', {"pastryCount": 2, "all": 3}),
        # glutenFree is only in counter's, vegan only in stock's: neither is in the API
        Case("{ pastries(filter: { glutenFree: true }) { name } }", None, errors=True),
        Case("{ pastryCount(filter: { vegan: true }) }", None, errors=True),
        Case('{ pastries(filter: { batch: "B7" }) { name } }', None, errors=True),
        Case('{ __type(name: "PastryFilter") { inputFields { name } } }',
             {"__type": {"inputFields": [{"name": "flavor"}, {"name": "maxPriceCents"}]}}),
    ],
)


# An enum used both as an input and an output must have the same values in every subgraph,
# except values marked @inaccessible, which composition accepts wherever they are (and keeps
# out of the API).
REGISTRY = [
    {"id": "r1", "name": "Vega", "status": "CONFIRMED"},
    {"id": "r2", "name": "Kepler-22b", "status": "CANDIDATE"},
    {"id": "r3", "name": "Object Y", "status": "CLASSIFIED"},
]

ENUM_INTERSECTION_INACCESSIBLE_VALUE = Scenario(
    name="enum-intersection-inaccessible-value",
    subgraphs={
        "registry": Subgraph(
            sdl=FED2 + """
              type Query { entries: [Entry!]! }
              type Entry @key(fields: "id") { id: ID! name: String! status: Status }
              enum Status { CONFIRMED CANDIDATE CLASSIFIED @inaccessible }
            """,
            root={"entries": lambda args: REGISTRY},
            entities={"Entry": lambda rep: next(e for e in REGISTRY if e["id"] == rep["id"])},
        ),
        "stats": Subgraph(
            sdl=FED2 + """
              type Query { countByStatus(status: Status!): Int! }
              enum Status { CONFIRMED CANDIDATE }
            """,
            root={"countByStatus": lambda args: sum(e["status"] == args["status"] for e in REGISTRY)},
        ),
    },
    cases=[
        Case("{ countByStatus(status: CANDIDATE) }", {"countByStatus": 1}),
        Case("{ countByStatus(status: CLASSIFIED) }", None, errors=True),
        Case("{ entries { name status } }", {"entries": [
            {"name": "Vega", "status": "CONFIRMED"}, {"name": "Kepler-22b", "status": "CANDIDATE"},
            {"name": "Object Y", "status": None},
        ]}, errors=True),
    ],
    notes="an @inaccessible enum value missing in some subgraph must not make an input-and-output enum fail "
          "composition (a composer gap once)",
)


SCENARIOS = [INCLUDE_SKIP, SIMPLE_INACCESSIBLE, ENUM_INTERSECTION, INPUT_OBJECT_INTERSECTION,
             ENUM_INTERSECTION_INACCESSIBLE_VALUE]
