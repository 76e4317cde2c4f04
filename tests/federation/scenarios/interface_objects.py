"""@interfaceObject: subgraphs that see an interface as an object type, add fields to every
implementation, know no concrete type (their `__typename` is never trusted: they answer
"Nope" here) and may only be entered through keys they mark resolvable.

Each scenario runs twice: on a hand-written join v0.3 supergraph, written as
@apollo/composition writes it (the interface has a @join__type per subgraph,
isInterfaceObject: true where it is an object, and an implementation inherits an
interface object's field with a bare @join__field), and on our composer's output."""
from dataclasses import replace

from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph
from .handwritten import MarkedSubgraph, supergraph_sdl

NOTES = "hand-written supergraph, as @apollo/composition writes it"

# --- simple-interface-object: a fleet register ---------------------------------------------------
# registry owns the Vessel interface (Ferry, Yacht); crew adds `captain` and the roots; status
# adds `inService` (false for every vessel), while a Ferry's own `inService` in registry is true.

VESSELS = {
    "f1": {"__typename": "Ferry", "id": "f1", "name": "Skerry Queen", "cars": 40, "inService": True},
    "y1": {"__typename": "Yacht", "id": "y1", "name": "Blue Heron", "owner": "M. Lind"},
}
CAPTAINS = {"f1": "Ines", "y1": "Olaf"}

REGISTRY = Subgraph(
    sdl=FED2 + """
      type Query { flagship: Vessel }
      interface Vessel @key(fields: "id") { id: ID! name: String! }
      type Ferry implements Vessel @key(fields: "id") {
        id: ID! name: String! cars: Int! inService: Boolean! @shareable
      }
      type Yacht implements Vessel @key(fields: "id") { id: ID! name: String! owner: String! }
    """,
    root={"flagship": lambda args: VESSELS["f1"]},
    entities={t: (lambda rep: VESSELS.get(rep["id"])) for t in ("Vessel", "Ferry", "Yacht")},
)
CREW = MarkedSubgraph(
    sdl=FED2 + """
      type Query { vessels: [Vessel!]! vessel(id: ID!): Vessel }
      type Vessel @key(fields: "id") @interfaceObject { id: ID! captain: String! }
    """,
    root={"vessels": lambda args: [{"id": i, "captain": CAPTAINS[i]} for i in ("f1", "y1")],
          "vessel": lambda args: {"id": args["id"], "captain": CAPTAINS[args["id"]]} if args["id"] in CAPTAINS
          else None},
    entities={"Vessel": lambda rep: {"id": rep["id"], "captain": CAPTAINS[rep["id"]]}},
    interface_objects=("Vessel",),
)
STATUS = MarkedSubgraph(
    sdl=FED2 + 'type Vessel @key(fields: "id") @interfaceObject { id: ID! inService: Boolean! @shareable }',
    entities={"Vessel": lambda rep: {"id": rep["id"], "inService": False}},
    interface_objects=("Vessel",),
)

_FLEET_TYPES = """
type Query @join__type(graph: REGISTRY) @join__type(graph: CREW) @join__type(graph: STATUS) {
  flagship: Vessel @join__field(graph: REGISTRY)
  vessels: [Vessel!]! @join__field(graph: CREW)
  vessel(id: ID!): Vessel @join__field(graph: CREW)
}

interface Vessel
  @join__type(graph: REGISTRY, key: "id")
  @join__type(graph: CREW, key: "id", isInterfaceObject: true)
  @join__type(graph: STATUS, key: "id", isInterfaceObject: true)
{
  id: ID!
  name: String! @join__field(graph: REGISTRY)
  captain: String! @join__field(graph: CREW)
  inService: Boolean! @join__field(graph: STATUS)
}

type Ferry implements Vessel
  @join__implements(graph: REGISTRY, interface: "Vessel")
  @join__type(graph: REGISTRY, key: "id")
{
  id: ID!
  name: String!
  cars: Int!
  inService: Boolean!
  captain: String! @join__field
}

type Yacht implements Vessel
  @join__implements(graph: REGISTRY, interface: "Vessel")
  @join__type(graph: REGISTRY, key: "id")
{
  id: ID!
  name: String!
  owner: String!
  captain: String! @join__field
  inService: Boolean! @join__field
}
"""

SIMPLE_INTERFACE_OBJECT = Scenario(
    name="simple-interface-object",
    subgraphs={"registry": REGISTRY, "crew": CREW, "status": STATUS},
    supergraph=supergraph_sdl(["registry", "crew", "status"], _FLEET_TYPES),
    notes=NOTES,
    cases=[
        Case("{ vessels { id captain } }",
             {"vessels": [{"id": "f1", "captain": "Ines"}, {"id": "y1", "captain": "Olaf"}]}),
        Case("{ vessels { __typename id } }",
             {"vessels": [{"__typename": "Ferry", "id": "f1"}, {"__typename": "Yacht", "id": "y1"}]}),
        Case("{ vessels { name } }", {"vessels": [{"name": "Skerry Queen"}, {"name": "Blue Heron"}]}),
        Case("{ vessels { ... on Ferry { cars } } }", {"vessels": [{"cars": 40}, {}]}),
        Case("{ vessels { ... on Yacht { owner name } ... on Ferry { name } } }",
             {"vessels": [{"name": "Skerry Queen"}, {"owner": "M. Lind", "name": "Blue Heron"}]}),
        # The interface object's field vs the Ferry's own: the values tell who answered.
        Case("{ vessels { inService } }", {"vessels": [{"inService": False}, {"inService": False}]}),
        Case("{ vessels { ... on Ferry { inService } } }", {"vessels": [{"inService": True}, {}]}),
        Case('{ vessel(id: "y1") { captain ... on Yacht { owner } ... on Ferry { cars } } }',
             {"vessel": {"captain": "Olaf", "owner": "M. Lind"}}),
        Case('{ vessel(id: "zz") { id name } }', {"vessel": None}),
        Case("{ flagship { __typename captain ... on Ferry { inService } } }",
             {"flagship": {"__typename": "Ferry", "captain": "Ines", "inService": True}}),
        Case("{ vessels { ... on Vessel { captain } t: __typename } }",
             {"vessels": [{"captain": "Ines", "t": "Ferry"}, {"captain": "Olaf", "t": "Yacht"}]}),
        Case("{ vessels { id inService ... on Ferry { cars } ... on Yacht { captain } } }",
             {"vessels": [{"id": "f1", "inService": False, "cars": 40},
                          {"id": "y1", "inService": False, "captain": "Olaf"}]}),
    ],
)

# --- interface-object-with-requires: a music shop -----------------------------------------------
# labels adds `tag`, computed from the real interface's `brand` (external in labels, which
# answers "NEVER" for it and for a `tag` it was not asked for through _entities).

INSTRUMENTS = {
    "g1": {"__typename": "Guitar", "id": "g1", "brand": "Fender", "strings": 6},
    "d1": {"__typename": "Drum", "id": "d1", "brand": "Ludwig", "diameter": 14},
    "g2": {"__typename": "Guitar", "id": "g2", "brand": "Gibson", "strings": 12},
}


def _tag(rep: dict) -> dict:
    return {"id": rep["id"], "tag": f"{rep['brand'].upper()}#{rep['id']}"}  # KeyError without `brand`


_SHOP_TYPES = """
type Query @join__type(graph: CATALOG) @join__type(graph: LABELS) {
  instruments: [Instrument!]! @join__field(graph: CATALOG)
  popular: [Instrument!]! @join__field(graph: LABELS)
}

interface Instrument
  @join__type(graph: CATALOG, key: "id")
  @join__type(graph: LABELS, key: "id", isInterfaceObject: true)
{
  id: ID!
  brand: String! @join__field(graph: CATALOG) @join__field(graph: LABELS, external: true)
  tag: String! @join__field(graph: LABELS, requires: "brand")
}

type Guitar implements Instrument
  @join__implements(graph: CATALOG, interface: "Instrument")
  @join__type(graph: CATALOG, key: "id")
{
  id: ID!
  brand: String!
  strings: Int!
  tag: String! @join__field
}

type Drum implements Instrument
  @join__implements(graph: CATALOG, interface: "Instrument")
  @join__type(graph: CATALOG, key: "id")
{
  id: ID!
  brand: String!
  diameter: Int!
  tag: String! @join__field
}
"""

SHOP_SUBGRAPHS = {
    "catalog": Subgraph(
        sdl=FED2 + """
          type Query { instruments: [Instrument!]! }
          interface Instrument @key(fields: "id") { id: ID! brand: String! }
          type Guitar implements Instrument @key(fields: "id") { id: ID! brand: String! strings: Int! }
          type Drum implements Instrument @key(fields: "id") { id: ID! brand: String! diameter: Int! }
        """,
        root={"instruments": lambda args: [INSTRUMENTS[i] for i in ("g1", "d1", "g2")]},
        entities={t: (lambda rep: INSTRUMENTS.get(rep["id"])) for t in ("Instrument", "Guitar", "Drum")},
    ),
    "labels": MarkedSubgraph(
        sdl=FED2 + """
          type Query { popular: [Instrument!]! }
          type Instrument @key(fields: "id") @interfaceObject {
            id: ID!
            brand: String! @external
            tag: String! @requires(fields: "brand")
          }
        """,
        root={"popular": lambda args: [{"id": i, "brand": "NEVER", "tag": "NEVER"} for i in ("d1", "g1")]},
        entities={"Instrument": _tag},
        interface_objects=("Instrument",),
    ),
}

INTERFACE_OBJECT_WITH_REQUIRES = Scenario(
    name="interface-object-with-requires",
    subgraphs=SHOP_SUBGRAPHS,
    supergraph=supergraph_sdl(["catalog", "labels"], _SHOP_TYPES),
    notes=NOTES,
    cases=[
        Case("{ instruments { tag } }",
             {"instruments": [{"tag": "FENDER#g1"}, {"tag": "LUDWIG#d1"}, {"tag": "GIBSON#g2"}]}),
        Case("{ instruments { __typename brand tag } }",
             {"instruments": [{"__typename": "Guitar", "brand": "Fender", "tag": "FENDER#g1"},
                              {"__typename": "Drum", "brand": "Ludwig", "tag": "LUDWIG#d1"},
                              {"__typename": "Guitar", "brand": "Gibson", "tag": "GIBSON#g2"}]}),
        Case("{ popular { id tag } }", {"popular": [{"id": "d1", "tag": "LUDWIG#d1"}, {"id": "g1", "tag": "FENDER#g1"}]}),
        Case("{ popular { ... on Guitar { strings tag } } }",
             {"popular": [{}, {"strings": 6, "tag": "FENDER#g1"}]}),
        Case("{ instruments { ... on Drum { diameter tag } } }",
             {"instruments": [{}, {"diameter": 14, "tag": "LUDWIG#d1"}, {}]}),
        Case("{ popular { brand } }", {"popular": [{"brand": "Ludwig"}, {"brand": "Fender"}]}),
        Case("{ popular { b: brand ... on Drum { c: tag } } }",
             {"popular": [{"b": "Ludwig", "c": "LUDWIG#d1"}, {"b": "Fender"}]}),
    ],
)

# --- interface-object-indirect-extension: gadgets ------------------------------------------------
# feed's roots return Gadget as an interface object; reviews extends Phone and Watch (and knows
# no Gadget), so `... on Phone { stars }` needs hub's concrete type first, then reviews.

GADGETS = {"p1": {"__typename": "Phone", "id": "p1", "model": "Pebble 3"},
           "w1": {"__typename": "Watch", "id": "w1", "model": "Tide"}}
HYPE = {"p1": 97, "w1": 64}

_GADGET_TYPES = """
type Query @join__type(graph: HUB) @join__type(graph: FEED) @join__type(graph: REVIEWS) {
  trending: [Gadget!]! @join__field(graph: FEED)
  gadget(id: ID!): Gadget @join__field(graph: FEED)
}

interface Gadget
  @join__type(graph: HUB, key: "id")
  @join__type(graph: FEED, key: "id", isInterfaceObject: true)
{
  id: ID!
  model: String! @join__field(graph: HUB)
  hype: Int! @join__field(graph: FEED)
}

type Phone implements Gadget
  @join__implements(graph: HUB, interface: "Gadget")
  @join__type(graph: HUB, key: "id")
  @join__type(graph: REVIEWS, key: "id")
{
  id: ID!
  model: String! @join__field(graph: HUB)
  stars: Int! @join__field(graph: REVIEWS)
  hype: Int! @join__field
}

type Watch implements Gadget
  @join__implements(graph: HUB, interface: "Gadget")
  @join__type(graph: HUB, key: "id")
  @join__type(graph: REVIEWS, key: "id")
{
  id: ID!
  model: String! @join__field(graph: HUB)
  strap: String! @join__field(graph: REVIEWS)
  hype: Int! @join__field
}
"""

INTERFACE_OBJECT_INDIRECT_EXTENSION = Scenario(
    name="interface-object-indirect-extension",
    subgraphs={
        "hub": Subgraph(
            sdl=FED2 + """
              interface Gadget @key(fields: "id") { id: ID! model: String! }
              type Phone implements Gadget @key(fields: "id") { id: ID! model: String! }
              type Watch implements Gadget @key(fields: "id") { id: ID! model: String! }
            """,
            entities={t: (lambda rep: GADGETS.get(rep["id"])) for t in ("Gadget", "Phone", "Watch")},
        ),
        "feed": MarkedSubgraph(
            sdl=FED2 + """
              type Query { trending: [Gadget!]! gadget(id: ID!): Gadget }
              type Gadget @key(fields: "id") @interfaceObject { id: ID! hype: Int! }
            """,
            root={"trending": lambda args: [{"id": i, "hype": HYPE[i]} for i in ("w1", "p1")],
                  "gadget": lambda args: {"id": args["id"], "hype": HYPE[args["id"]]} if args["id"] in HYPE
                  else None},
            entities={"Gadget": lambda rep: {"id": rep["id"], "hype": HYPE[rep["id"]]}},
            interface_objects=("Gadget",),
        ),
        "reviews": Subgraph(
            sdl=FED2 + """
              type Phone @key(fields: "id") { id: ID! stars: Int! }
              type Watch @key(fields: "id") { id: ID! strap: String! }
            """,
            entities={"Phone": lambda rep: {"id": rep["id"], "stars": 4},
                      "Watch": lambda rep: {"id": rep["id"], "strap": "rubber"}},
        ),
    },
    supergraph=supergraph_sdl(["hub", "feed", "reviews"], _GADGET_TYPES),
    notes=NOTES,
    cases=[
        Case("{ trending { id ... on Phone { stars } } }", {"trending": [{"id": "w1"}, {"id": "p1", "stars": 4}]}),
        Case("{ trending { hype ... on Phone { model stars } ... on Watch { strap } } }",
             {"trending": [{"hype": 64, "strap": "rubber"}, {"hype": 97, "model": "Pebble 3", "stars": 4}]}),
        Case('{ gadget(id: "p1") { __typename hype ... on Phone { stars } ... on Watch { strap } } }',
             {"gadget": {"__typename": "Phone", "hype": 97, "stars": 4}}),
    ],
)

# --- non-resolvable-interface-object: a kitchen --------------------------------------------------
# kitchen's interface objects have `resolvable: false` keys: it can start a request, never be
# entered. Dish (an interface without implementations) has `spice` only in menu, behind another
# non-resolvable key: unreachable, so asking for it is a planning error; `id` still works.

PANTRY_ITEMS = {"b1": {"__typename": "Bread", "id": "b1", "crust": "sourdough"},
                "j1": {"__typename": "Jam", "id": "j1", "fruit": "plum"}}
CALORIES = {"b1": 250, "j1": 180}


def _boom(args: dict) -> None:
    raise RuntimeError("the kitchen is closed")


_KITCHEN_TYPES = """
type Query @join__type(graph: PANTRY) @join__type(graph: KITCHEN) @join__type(graph: MENU) {
  shelf: [Item!]! @join__field(graph: PANTRY)
  special: Item @join__field(graph: KITCHEN)
  dishOfTheDay: Dish @join__field(graph: KITCHEN)
  mystery: Dish @join__field(graph: KITCHEN)
}

interface Item
  @join__type(graph: PANTRY, key: "id")
  @join__type(graph: KITCHEN, key: "id", resolvable: false, isInterfaceObject: true)
  @join__type(graph: MENU, key: "id", isInterfaceObject: true)
{
  id: ID!
  calories: Int! @join__field(graph: MENU)
}

interface Dish
  @join__type(graph: PANTRY, key: "id")
  @join__type(graph: KITCHEN, key: "id", resolvable: false, isInterfaceObject: true)
  @join__type(graph: MENU, key: "id", resolvable: false, isInterfaceObject: true)
{
  id: ID!
  spice: Int @join__field(graph: MENU)
}

type Bread implements Item
  @join__implements(graph: PANTRY, interface: "Item")
  @join__type(graph: PANTRY, key: "id")
{
  id: ID!
  crust: String!
  calories: Int! @join__field
}

type Jam implements Item
  @join__implements(graph: PANTRY, interface: "Item")
  @join__type(graph: PANTRY, key: "id")
{
  id: ID!
  fruit: String!
  calories: Int! @join__field
}
"""

NON_RESOLVABLE_INTERFACE_OBJECT = Scenario(
    name="non-resolvable-interface-object",
    subgraphs={
        "pantry": Subgraph(
            sdl=FED2 + """
              type Query { shelf: [Item!]! }
              interface Item @key(fields: "id") { id: ID! }
              type Bread implements Item @key(fields: "id") { id: ID! crust: String! }
              type Jam implements Item @key(fields: "id") { id: ID! fruit: String! }
              interface Dish @key(fields: "id") { id: ID! }
            """,
            root={"shelf": lambda args: [PANTRY_ITEMS["j1"], PANTRY_ITEMS["b1"]]},
            entities={t: (lambda rep: PANTRY_ITEMS.get(rep["id"])) for t in ("Item", "Bread", "Jam")},
        ),
        "kitchen": MarkedSubgraph(
            sdl=FED2 + """
              type Query { special: Item dishOfTheDay: Dish mystery: Dish }
              type Item @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
              type Dish @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
            """,
            root={"special": lambda args: {"id": "b1"}, "dishOfTheDay": lambda args: {"id": "d1"}, "mystery": _boom},
            interface_objects=("Item", "Dish"),
        ),
        "menu": MarkedSubgraph(
            sdl=FED2 + """
              type Item @key(fields: "id") @interfaceObject { id: ID! calories: Int! }
              type Dish @key(fields: "id", resolvable: false) @interfaceObject { id: ID! spice: Int }
            """,
            entities={"Item": lambda rep: {"id": rep["id"], "calories": CALORIES[rep["id"]]},
                      "Dish": lambda rep: {"id": rep["id"], "spice": 3}},
            interface_objects=("Item", "Dish"),
        ),
    },
    supergraph=supergraph_sdl(["pantry", "kitchen", "menu"], _KITCHEN_TYPES),
    notes=NOTES,
    cases=[
        Case("{ dishOfTheDay { id } }", {"dishOfTheDay": {"id": "d1"}}),
        Case("{ dishOfTheDay { id spice } }", None, errors=True),
        Case("{ special { id } dishOfTheDay { spice } }", None, errors=True),
        Case("{ mystery { id } }", {"mystery": None}, errors=True),
        Case("{ special { id calories } }", {"special": {"id": "b1", "calories": 250}}),
        Case("{ special { __typename ... on Bread { crust } ... on Jam { fruit } } }",
             {"special": {"__typename": "Bread", "crust": "sourdough"}}),
        Case("{ shelf { id calories ... on Jam { fruit } } }",
             {"shelf": [{"id": "j1", "calories": 180, "fruit": "plum"}, {"id": "b1", "calories": 250}]}),
        Case("{ special { crust } }", None, errors=True),
        Case("{ dishOfTheDay { ... on Dish { id } } special { ... on Item { id } } }",
             {"dishOfTheDay": {"id": "d1"}, "special": {"id": "b1"}}),
    ],
)

# An @interfaceObject field with @requires, asked where an earlier fetch has already merged the
# concrete __typename (Drum, Guitar) into the objects: the labels fetch must still enter them as
# Instrument (a gateway bug once: nothing was sent and `tag` came back null).
INTERFACE_OBJECT_WITH_REQUIRES_TYPENAME = Scenario(
    name="interface-object-with-requires-typename",
    subgraphs=SHOP_SUBGRAPHS,
    supergraph=supergraph_sdl(["catalog", "labels"], _SHOP_TYPES),
    notes=NOTES,
    cases=[
        Case("{ popular { __typename id tag } }",
             {"popular": [{"__typename": "Drum", "id": "d1", "tag": "LUDWIG#d1"},
                          {"__typename": "Guitar", "id": "g1", "tag": "FENDER#g1"}]}),
        Case("{ popular { tag ... on Drum { diameter } } }",
             {"popular": [{"tag": "LUDWIG#d1", "diameter": 14}, {"tag": "FENDER#g1"}]}),
        Case("{ popular { a: tag b: brand ... on Drum { c: tag } } }",
             {"popular": [{"a": "LUDWIG#d1", "b": "Ludwig", "c": "LUDWIG#d1"},
                          {"a": "FENDER#g1", "b": "Fender"}]}),
    ],
)

SCENARIOS = [SIMPLE_INTERFACE_OBJECT, INTERFACE_OBJECT_WITH_REQUIRES, INTERFACE_OBJECT_WITH_REQUIRES_TYPENAME,
             INTERFACE_OBJECT_INDIRECT_EXTENSION, NON_RESOLVABLE_INTERFACE_OBJECT]

# The same scenarios with the supergraph written by our composer: both must answer alike.
SCENARIOS += [replace(s, name=f"{s.name}-composed", supergraph=None, notes="composed by our composer")
              for s in list(SCENARIOS)]
