"""@external: key fields of extensions (`extend type`, `@extends`) are readable in the
extending subgraph ("fake" externals), real externals are not (unless provided), in
Federation 1 and 2 subgraphs alike."""
from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph
from ._extension_serving import ExtensionSubgraph

NEVER = "never: external field read from the extending subgraph"
NEEDLESS = "needless entity call despite @provides"

# --- fed1/fed2 × external-extends/external-extension: a university timetable ---------------
# `registrar` owns courses; `timetable` extends Course with rooms. Course.code is an external
# key of the extension (readable in timetable); Course.title is a real external (timetable
# answers NEVER for it), except under `providedCourse`'s @provides, for which the registrar
# answers NEEDLESS.

COURSES = {
    "CS101": {"code": "CS101", "title": "Intro to Programming", "credits": 6},
    "MA201": {"code": "MA201", "title": "Linear Algebra", "credits": 5},
    "HI300": {"code": "HI300", "title": NEEDLESS, "credits": 3},
}
NEXT_COURSE = {"code": "CS101", "title": NEVER, "room": "A1"}
PROVIDED_COURSE = {"code": "HI300", "title": "Medieval History", "room": "B2"}
ALL_COURSES = [
    {"code": "MA201", "title": NEVER, "room": "C3"},
    {"code": "XX999", "title": NEVER, "room": "D4"},  # unknown to the registrar
    {"code": "CS101", "title": NEVER, "room": "A1"},
]


def _timetable_course(rep: dict) -> dict | None:
    rooms = {c["code"]: c["room"] for c in [NEXT_COURSE, PROVIDED_COURSE, *ALL_COURSES]}
    return {"code": rep["code"], "title": NEVER, "room": rooms[rep["code"]]} if rep["code"] in rooms else None


def external_suite(name: str, *, fed2: bool, extends: bool) -> Scenario:
    header = FED2 if fed2 else ""
    fields = """
        code: ID! @external
        title: String @external
        room: String!
    """
    if extends:
        course = 'type Course @key(fields: "code") @extends {' + fields + "}"
        query = "type Query"
    else:
        course = 'extend type Course @key(fields: "code") {' + fields + "}"
        query = "extend type Query"
    timetable_sdl = header + f"""
      {query} {{
        nextCourse: Course
        providedCourse: Course @provides(fields: "title")
        courses: [Course!]!
      }}
      {course}
    """
    return Scenario(
        name=name,
        subgraphs={
            "registrar": Subgraph(
                sdl=header + """
                  type Course @key(fields: "code") { code: ID! title: String credits: Int! }
                """,
                entities={"Course": lambda rep: COURSES.get(rep["code"])},
            ),
            "timetable": ExtensionSubgraph(
                sdl=timetable_sdl,
                root={
                    "nextCourse": lambda args: NEXT_COURSE,
                    "providedCourse": lambda args: PROVIDED_COURSE,
                    "courses": lambda args: ALL_COURSES,
                },
                entities={"Course": _timetable_course},
            ),
        },
        cases=[
            # The extension's key is local: no other subgraph can even be entered without it.
            Case("{ nextCourse { code room } }", {"nextCourse": {"code": "CS101", "room": "A1"}}),
            # A real external comes from its owner, through the local key.
            Case("{ nextCourse { code title credits } }",
                 {"nextCourse": {"code": "CS101", "title": "Intro to Programming", "credits": 6}}),
            # ... unless @provides makes it local.
            Case("{ providedCourse { code title room } }",
                 {"providedCourse": {"code": "HI300", "title": "Medieval History", "room": "B2"}}),
            Case("{ courses { ref: code title room } }",
                 {"courses": [
                     {"ref": "MA201", "title": "Linear Algebra", "room": "C3"},
                     {"ref": "XX999", "title": None, "room": "D4"},
                     {"ref": "CS101", "title": "Intro to Programming", "room": "A1"},
                 ]}),
        ],
        notes=("Federation " + ("2" if fed2 else "1") + " subgraphs; the extension uses "
               + ("the @extends directive." if extends else "`extend type` syntax.")),
    )


# --- fed1-external-extends-resolvable: membership cards --------------------------------------
# `cards` (the owner) resolves Card by `serial` (declared first) or by `id name`. `perks`
# extends Card with the key `id name`; it has no serial, so the jump must use `id name`.

CARDS = [
    {"serial": "S-100", "id": "m1", "name": "Ada", "tier": "gold"},
    {"serial": "S-200", "id": "m2", "name": "Grace", "tier": "silver"},
]


def _cards_card(rep: dict) -> dict | None:
    for card in CARDS:
        if "serial" in rep and rep["serial"] == card["serial"]:
            return card
        if "serial" not in rep and (rep.get("id"), rep.get("name")) == (card["id"], card["name"]):
            return card
    return None


fed1_external_extends_resolvable = Scenario(
    name="fed1-external-extends-resolvable",
    subgraphs={
        "cards": Subgraph(
            sdl="""
              type Card @key(fields: "serial") @key(fields: "id name") {
                serial: ID!
                id: ID!
                name: String!
                tier: String!
              }
            """,
            entities={"Card": _cards_card},
        ),
        "perks": Subgraph(
            sdl="""
              type Query { card: Card  cards: [Card!]! }
              type Card @key(fields: "id name") @extends {
                id: ID! @external
                name: String! @external
                perks: [String!]!
              }
            """,
            root={
                "card": lambda args: {"id": "m1", "name": "Ada", "perks": ["lounge", "late checkout"]},
                "cards": lambda args: [{"id": "m2", "name": "Grace", "perks": []},
                                       {"id": "m1", "name": "Ada", "perks": ["lounge", "late checkout"]}],
            },
            entities={"Card": lambda rep: None},
        ),
    },
    cases=[
        Case("{ card { id name tier perks } }",
             {"card": {"id": "m1", "name": "Ada", "tier": "gold", "perks": ["lounge", "late checkout"]}}),
        Case("{ cards { serial tier } }",
             {"cards": [{"serial": "S-200", "tier": "silver"}, {"serial": "S-100", "tier": "gold"}]}),
    ],
    notes="Federation 1 subgraphs; the owner's first key (serial) is not available in perks.",
)

# --- mysterious-external: a museum audio guide ----------------------------------------------
# `audioguide` (Federation 2) extends Artwork with `extend type` and an external key `id`; the
# artworks are reached through a value type (Tour.stops). `title` is external there (used by
# the @provides of `highlight` only) and answers NEVER elsewhere.

ARTWORKS = {
    "w1": {"id": "w1", "title": "Water Lilies", "artist": "Monet"},
    "w2": {"id": "w2", "title": "The Night Watch", "artist": "Rembrandt"},
    "w3": {"id": "w3", "title": NEEDLESS, "artist": "Vermeer"},
}
TOUR = {"name": "Highlights", "stops": [{"id": "w2", "title": NEVER, "track": 12},
                                        {"id": "w1", "title": NEVER, "track": 3}]}

mysterious_external = Scenario(
    name="mysterious-external",
    subgraphs={
        "exhibits": Subgraph(
            sdl=FED2 + """
              type Artwork @key(fields: "id") { id: ID! title: String! artist: String! }
            """,
            entities={"Artwork": lambda rep: ARTWORKS.get(rep["id"])},
        ),
        "audioguide": ExtensionSubgraph(
            sdl=FED2 + """
              type Query { tour: Tour  highlight: Artwork @provides(fields: "title") }
              type Tour { name: String! stops: [Artwork!]! }
              extend type Artwork @key(fields: "id") {
                id: ID! @external
                title: String! @external
                track: Int!
              }
            """,
            root={
                "tour": lambda args: TOUR,
                "highlight": lambda args: {"id": "w3", "title": "Girl with a Pearl Earring", "track": 1},
            },
            entities={"Artwork": lambda rep: None},
        ),
    },
    cases=[
        Case("{ tour { name stops { id track } } }",
             {"tour": {"name": "Highlights", "stops": [{"id": "w2", "track": 12}, {"id": "w1", "track": 3}]}}),
        Case("{ tour { stops { title artist } } highlight { id title track } }",
             {"tour": {"stops": [{"title": "The Night Watch", "artist": "Rembrandt"},
                                 {"title": "Water Lilies", "artist": "Monet"}]},
              "highlight": {"id": "w3", "title": "Girl with a Pearl Earring", "track": 1}}),
    ],
)

SCENARIOS = [
    external_suite("fed1-external-extends", fed2=False, extends=True),
    external_suite("fed1-external-extension", fed2=False, extends=False),
    external_suite("fed2-external-extends", fed2=True, extends=True),
    external_suite("fed2-external-extension", fed2=True, extends=False),
    fed1_external_extends_resolvable,
    mysterious_external,
]
