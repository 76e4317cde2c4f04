"""@override: a field moved from one subgraph to another.

The subgraph a field was taken from still has a resolver, which answers a stale
marker value: a gateway that still reads the field there returns the marker.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph

STALE = "STALE"


def needs(rep: dict[str, Any], *fields: str) -> Callable[[Callable[[], Any]], Callable[[dict[str, Any]], Any]]:
    def wrap(compute: Callable[[], Any]) -> Callable[[dict[str, Any]], Any]:
        def resolve(_args: dict[str, Any]) -> Any:
            missing = [f for f in fields if f not in rep]
            if missing:
                raise ValueError(f"representation lacks required {missing}: {rep}")
            if any(rep[f] in (STALE, -1) for f in fields):
                raise ValueError(f"representation carries an overridden field's stale value: {rep}")
            return compute()

        return resolve

    return wrap


# --- simple-override: fields (one of them a key field in the old owner) moved to survey ----------------

PEAKS = {
    "k1": {"id": "k1", "code": "MB-4808", "name": "Mont Blanc", "elevation": 4806, "surveyedIn": 2023},
    "k2": {"id": "k2", "code": "MR-4478", "name": "Matterhorn", "elevation": 4478, "surveyedIn": 2019},
}


def _atlas_peak(peak: dict[str, Any] | None) -> dict[str, Any] | None:
    if peak is None:
        return None
    return {"id": peak["id"], "code": STALE, "name": peak["name"], "elevation": -1}


def _atlas_lookup(rep: dict[str, Any]) -> dict[str, Any] | None:
    if "id" in rep:
        return _atlas_peak(PEAKS.get(rep["id"]))
    return _atlas_peak(next((p for p in PEAKS.values() if p["code"] == rep["code"]), None))


def _survey_peak(peak: dict[str, Any] | None) -> dict[str, Any] | None:
    if peak is None:
        return None
    return {k: peak[k] for k in ("id", "code", "elevation", "surveyedIn")}


SIMPLE_OVERRIDE = Scenario(
    name="simple-override",
    subgraphs={
        "atlas": Subgraph(
            sdl=FED2 + """
              type Query { peaks: [Peak!]! }
              type Peak @key(fields: "id") @key(fields: "code") {
                id: ID!
                code: String!
                name: String!
                elevation: Int!
              }
            """,
            root={"peaks": lambda args: [_atlas_peak(p) for p in PEAKS.values()]},
            entities={"Peak": _atlas_lookup},
        ),
        "survey": Subgraph(
            sdl=FED2 + """
              type Query { peakByCode(code: String!): Peak }
              type Peak @key(fields: "id") {
                id: ID!
                code: String! @override(from: "atlas")
                elevation: Int! @override(from: "atlas")
                surveyedIn: Int!
              }
            """,
            root={"peakByCode": lambda args: _survey_peak(
                next((p for p in PEAKS.values() if p["code"] == args["code"]), None))},
            entities={"Peak": lambda rep: _survey_peak(PEAKS.get(rep["id"]))},
        ),
    },
    cases=[
        Case("{ peaks { name elevation } }", {"peaks": [
            {"name": "Mont Blanc", "elevation": 4806}, {"name": "Matterhorn", "elevation": 4478},
        ]}),
        # `code` is still a key field in atlas (used, so only external there): read it from survey
        Case("{ peaks { code name } }", {"peaks": [
            {"code": "MB-4808", "name": "Mont Blanc"}, {"code": "MR-4478", "name": "Matterhorn"},
        ]}),
        Case('{ peakByCode(code: "MR-4478") { name code elevation surveyedIn } }', {"peakByCode": {
            "name": "Matterhorn", "code": "MR-4478", "elevation": 4478, "surveyedIn": 2019,
        }}),
    ],
)


# --- unavailable-override: @override from a subgraph that is not in the supergraph -------------------

TRAILS = {
    "t1": {"id": "t1", "name": "Panorama Loop", "lengthKm": 12, "difficulty": "blue"},
    "t2": {"id": "t2", "name": "Glacier Path", "lengthKm": 7, "difficulty": "black"},
}

UNAVAILABLE_OVERRIDE = Scenario(
    name="unavailable-override",
    subgraphs={
        "maps": Subgraph(
            sdl=FED2 + """
              type Query { trails: [Trail!]! }
              type Trail @key(fields: "id") { id: ID! name: String! @shareable lengthKm: Int! }
            """,
            root={"trails": lambda args: [{k: t[k] for k in ("id", "name", "lengthKm")} for t in TRAILS.values()]},
            entities={"Trail": lambda rep: {k: TRAILS[rep["id"]][k] for k in ("id", "name", "lengthKm")}},
        ),
        "rangers": Subgraph(
            sdl=FED2 + """
              type Query { trail(id: ID!): Trail }
              type Trail @key(fields: "id") {
                id: ID!
                name: String! @shareable @override(from: "legacy-maps")
                difficulty: String! @override(from: "legacy-maps")
              }
            """,
            root={"trail": lambda args: {k: TRAILS[args["id"]][k] for k in ("id", "name", "difficulty")}
                  if args["id"] in TRAILS else None},
            entities={"Trail": lambda rep: {k: TRAILS[rep["id"]][k] for k in ("id", "name", "difficulty")}},
        ),
    },
    cases=[
        Case("{ trails { name lengthKm } }", {"trails": [
            {"name": "Panorama Loop", "lengthKm": 12}, {"name": "Glacier Path", "lengthKm": 7},
        ]}),
        Case("{ trails { name difficulty } }", {"trails": [
            {"name": "Panorama Loop", "difficulty": "blue"}, {"name": "Glacier Path", "difficulty": "black"},
        ]}),
        Case('{ trail(id: "t2") { name difficulty lengthKm } }',
             {"trail": {"name": "Glacier Path", "difficulty": "black", "lengthKm": 7}}),
    ],
)


# --- override-with-requires: kitchen took `name` from menu; orders and reviews require it ---------------

DISHES = {
    "d1": {"id": "d1", "name": "Rosti", "calories": 540},
    "d2": {"id": "d2", "name": "Fondue", "calories": 890},
}


def _menu_dish(dish_id: str) -> dict[str, Any] | None:
    dish = DISHES.get(dish_id)
    return None if dish is None else {"id": dish_id, "name": STALE, "calories": dish["calories"]}


def _orders_dish(rep: dict[str, Any]) -> dict[str, Any]:
    return {"id": rep["id"], "ticket": needs(rep, "name")(lambda: f"1x {rep['name']}")}


def _reviews_dish(rep: dict[str, Any]) -> dict[str, Any]:
    return {"id": rep["id"],
            "blurb": needs(rep, "name", "calories")(lambda: f"{rep['name']}, {rep['calories']} kcal of joy")}


OVERRIDE_WITH_REQUIRES = Scenario(
    name="override-with-requires",
    subgraphs={
        "menu": Subgraph(
            sdl=FED2 + """
              type Query { dishes: [Dish!]! }
              type Dish @key(fields: "id") { id: ID! name: String! calories: Int! }
            """,
            root={"dishes": lambda args: [_menu_dish(i) for i in DISHES]},
            entities={"Dish": lambda rep: _menu_dish(rep["id"])},
        ),
        "kitchen": Subgraph(
            sdl=FED2 + """
              type Dish @key(fields: "id") { id: ID! name: String! @override(from: "menu") }
            """,
            entities={"Dish": lambda rep: {"id": rep["id"], "name": DISHES[rep["id"]]["name"]}},
        ),
        "orders": Subgraph(
            sdl=FED2 + """
              type Query { order(dishId: ID!): Dish }
              type Dish @key(fields: "id") {
                id: ID!
                name: String! @external
                ticket: String! @requires(fields: "name")
              }
            """,
            root={"order": lambda args: {"id": args["dishId"], "ticket": needs({}, "name")(lambda: None)}},
            entities={"Dish": _orders_dish},
        ),
        "reviews": Subgraph(
            sdl=FED2 + """
              type Dish @key(fields: "id") {
                id: ID!
                name: String! @external
                calories: Int! @external
                blurb: String! @requires(fields: "name calories")
              }
            """,
            entities={"Dish": _reviews_dish},
        ),
    },
    cases=[
        Case("{ dishes { name } }", {"dishes": [{"name": "Rosti"}, {"name": "Fondue"}]}),
        Case("{ dishes { ticket } }", {"dishes": [{"ticket": "1x Rosti"}, {"ticket": "1x Fondue"}]}),
        Case("{ dishes { name calories blurb ticket } }", {"dishes": [
            {"name": "Rosti", "calories": 540, "blurb": "Rosti, 540 kcal of joy", "ticket": "1x Rosti"},
            {"name": "Fondue", "calories": 890, "blurb": "Fondue, 890 kcal of joy", "ticket": "1x Fondue"},
        ]}),
        Case('{ order(dishId: "d2") { blurb ticket name } }',
             {"order": {"blurb": "Fondue, 890 kcal of joy", "ticket": "1x Fondue", "name": "Fondue"}}),
    ],
)


# --- override-type-interface: one implementation's interface field moved to another subgraph -----------

NOTICES = [
    {"__typename": "TextNotice", "id": "n1", "postedAt": "09:00", "body": "Croissants are out of the oven"},
    {"__typename": "PhotoNotice", "id": "n2", "postedAt": "10:30", "url": "https://img.example/eclair.jpg"},
    {"__typename": "TextNotice", "id": "n3", "postedAt": "12:15", "body": "Closed on Monday"},
]


def _board_notice(notice: dict[str, Any]) -> dict[str, Any]:
    return {**notice, "postedAt": STALE} if notice["__typename"] == "PhotoNotice" else notice


OVERRIDE_TYPE_INTERFACE = Scenario(
    name="override-type-interface",
    subgraphs={
        "board": Subgraph(
            sdl=FED2 + """
              type Query { notices: [Notice!]! }
              interface Notice { id: ID! postedAt: String! }
              type TextNotice implements Notice @key(fields: "id") { id: ID! postedAt: String! body: String! }
              type PhotoNotice implements Notice @key(fields: "id") { id: ID! postedAt: String! url: String! }
            """,
            root={"notices": lambda args: [_board_notice(n) for n in NOTICES]},
            entities={
                "TextNotice": lambda rep: next(_board_notice(n) for n in NOTICES if n["id"] == rep["id"]),
                "PhotoNotice": lambda rep: next(_board_notice(n) for n in NOTICES if n["id"] == rep["id"]),
            },
        ),
        "archive": Subgraph(
            sdl=FED2 + """
              type PhotoNotice @key(fields: "id") { id: ID! postedAt: String! @override(from: "board") }
            """,
            entities={"PhotoNotice": lambda rep: next(
                {"id": n["id"], "postedAt": n["postedAt"]} for n in NOTICES if n["id"] == rep["id"])},
        ),
    },
    cases=[
        Case("{ notices { id postedAt } }", {"notices": [
            {"id": "n1", "postedAt": "09:00"}, {"id": "n2", "postedAt": "10:30"}, {"id": "n3", "postedAt": "12:15"},
        ]}),
        # a text notice matches no fragment: an empty object
        Case("{ notices { ... on PhotoNotice { postedAt url } } }", {"notices": [
            {}, {"postedAt": "10:30", "url": "https://img.example/eclair.jpg"}, {},
        ]}),
        Case("{ notices { ... on Notice { postedAt } ... on TextNotice { body } } }", {"notices": [
            {"postedAt": "09:00", "body": "Croissants are out of the oven"},
            {"postedAt": "10:30"},
            {"postedAt": "12:15", "body": "Closed on Monday"},
        ]}),
        Case("{ notices { __typename postedAt } }", {"notices": [
            {"__typename": "TextNotice", "postedAt": "09:00"},
            {"__typename": "PhotoNotice", "postedAt": "10:30"},
            {"__typename": "TextNotice", "postedAt": "12:15"},
        ]}),
    ],
)


SCENARIOS = [SIMPLE_OVERRIDE, UNAVAILABLE_OVERRIDE, OVERRIDE_WITH_REQUIRES, OVERRIDE_TYPE_INTERFACE]
