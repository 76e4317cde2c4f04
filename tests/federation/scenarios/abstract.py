"""Interfaces and their implementations across subgraphs: fields split by concrete type,
provides inside fragments, conflicting field types in one subgraph operation, external
keys that make a request unplannable, `node`-style roots and `__typename` everywhere."""
from dataclasses import replace

from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph
from .handwritten import MarkedSubgraph, supergraph_sdl

# --- abstract-types: a record label ----------------------------------------------------------
# catalog's Release interface has `title`, shop's has `price`; Bundle exists only in shop;
# pressing computes `vinylSides` from catalog's `trackCount` (@requires).

RELEASES = {
    "a1": {"__typename": "Album", "id": "a1", "title": "Night Drive", "trackCount": 11},
    "s1": {"__typename": "Single", "id": "s1", "title": "Neon", "bSide": "Neon (Dub)"},
    "a2": {"__typename": "Album", "id": "a2", "title": "Low Tide", "trackCount": 4},
}
PRICES = {"a1": 25, "s1": 3, "a2": 20}
BUNDLE = {"__typename": "Bundle", "id": "x1", "title": "Starter Pack", "price": 40}


def _priced(rep: dict) -> dict | None:
    return {"id": rep["id"], "price": PRICES[rep["id"]]} if rep["id"] in PRICES else None


def _sides(rep: dict) -> dict:
    return {"id": rep["id"], "vinylSides": (rep["trackCount"] + 5) // 6}  # KeyError without the requirement


ABSTRACT_TYPES = Scenario(
    name="abstract-types",
    subgraphs={
        "catalog": Subgraph(
            sdl=FED2 + """
              type Query { releases: [Release!]! release(id: ID!): Release }
              interface Release { id: ID! title: String! }
              type Album implements Release @key(fields: "id") { id: ID! title: String! trackCount: Int! }
              type Single implements Release @key(fields: "id") { id: ID! title: String! bSide: String! }
            """,
            root={"releases": lambda args: [RELEASES[k] for k in ("a1", "s1", "a2")],
                  "release": lambda args: RELEASES.get(args["id"])},
            entities={"Album": lambda rep: RELEASES.get(rep["id"]), "Single": lambda rep: RELEASES.get(rep["id"])},
        ),
        "shop": Subgraph(
            sdl=FED2 + """
              type Query { bestsellers: [Release!]! }
              interface Release { id: ID! price: Int! }
              type Album implements Release @key(fields: "id") { id: ID! price: Int! }
              type Single implements Release @key(fields: "id") { id: ID! price: Int! }
              type Bundle implements Release @key(fields: "id") { id: ID! title: String! price: Int! }
            """,
            root={"bestsellers": lambda args: [{"__typename": "Album", "id": "a2", "price": 20}, BUNDLE,
                                               {"__typename": "Single", "id": "s1", "price": 3}]},
            entities={"Album": _priced, "Single": _priced, "Bundle": lambda rep: BUNDLE},
        ),
        "pressing": Subgraph(
            sdl=FED2 + """
              type Album @key(fields: "id") {
                id: ID!
                trackCount: Int! @external
                vinylSides: Int! @requires(fields: "trackCount")
              }
            """,
            entities={"Album": _sides},
        ),
    },
    cases=[
        Case("{ releases { id title } }",
             {"releases": [{"id": "a1", "title": "Night Drive"}, {"id": "s1", "title": "Neon"},
                           {"id": "a2", "title": "Low Tide"}]}),
        # `price` is on the supergraph interface but not on catalog's: split by concrete type.
        Case("{ releases { title price } }",
             {"releases": [{"title": "Night Drive", "price": 25}, {"title": "Neon", "price": 3},
                           {"title": "Low Tide", "price": 20}]}),
        Case("{ releases { ... on Album { title vinylSides } ... on Single { bSide } } }",
             {"releases": [{"title": "Night Drive", "vinylSides": 2}, {"bSide": "Neon (Dub)"},
                           {"title": "Low Tide", "vinylSides": 1}]}),
        # From shop: `title` is local only for Bundle; Album/Single jump to catalog, then to pressing.
        Case("{ bestsellers { title price ... on Album { vinylSides } } }",
             {"bestsellers": [{"title": "Low Tide", "price": 20, "vinylSides": 1},
                              {"title": "Starter Pack", "price": 40}, {"title": "Neon", "price": 3}]}),
        Case("{ bestsellers { __typename id ... on Single { bSide } ... on Bundle { title } } }",
             {"bestsellers": [{"__typename": "Album", "id": "a2"},
                              {"__typename": "Bundle", "id": "x1", "title": "Starter Pack"},
                              {"__typename": "Single", "id": "s1", "bSide": "Neon (Dub)"}]}),
        Case("query ($withPrice: Boolean = true) { releases { title price @include(if: $withPrice) } }",
             {"releases": [{"title": "Night Drive", "price": 25}, {"title": "Neon", "price": 3},
                           {"title": "Low Tide", "price": 20}]}),
        Case("query ($hide: Boolean = true) { releases { id ... on Album @skip(if: $hide) { vinylSides } } }",
             {"releases": [{"id": "a1"}, {"id": "s1"}, {"id": "a2"}]}),
        Case("query ($yes: Boolean = false) { releases { ... on Album @skip(if: $yes) { trackCount } "
             "... on Single @include(if: $yes) { bSide } ... on Release @include(if: $yes) { price } } }",
             {"releases": [{"trackCount": 11}, {}, {"trackCount": 4}]}),
        Case('{ release(id: "s1") { __typename title ... on Album { trackCount } } }',
             {"release": {"__typename": "Single", "title": "Neon"}}),
        Case('{ release(id: "a1") { ... on Release { price } ... on Album { price vinylSides } } }',
             {"release": {"price": 25, "vinylSides": 2}}),
        Case('{ release(id: "zz") { title price } }', {"release": None}),
    ],
)

# --- child-type-mismatch: moorings and boat owners ---------------------------------------------
# Person.id is ID in moorings (so ID in the supergraph) but ID! in owners, while Company.id is ID:
# the client's query is valid, yet one `owners` operation selecting both under one response key
# is not unless the gateway aliases (and renames back).

OWNERS = {
    "h1": {"__typename": "Person", "id": "p1", "name": "Ada"},
    "h2": {"__typename": "Company", "id": None, "name": "Harbour Trust"},
    "h3": {"__typename": "Company", "id": "c7", "name": "Tide Co"},
}

CHILD_TYPE_MISMATCH = Scenario(
    name="child-type-mismatch",
    subgraphs={
        "moorings": Subgraph(
            sdl=FED2 + """
              type Query { mooring: Mooring }
              type Mooring { bay: String! harbourMaster: Person boats: [Boat!]! }
              type Person @shareable { id: ID name: String! }
              type Boat @key(fields: "hull") { hull: ID! }
            """,
            root={"mooring": lambda args: {"bay": "North", "harbourMaster": {"id": None, "name": "Cy"},
                                           "boats": [{"hull": h} for h in ("h1", "h2", "h3")]}},
        ),
        "owners": Subgraph(
            sdl=FED2 + """
              type Boat @key(fields: "hull") { hull: ID! owner: Owner }
              interface Owner { id: ID name: String! }
              type Person implements Owner @shareable { id: ID! name: String! }
              type Company implements Owner { id: ID name: String! }
            """,
            entities={"Boat": lambda rep: {"hull": rep["hull"], "owner": OWNERS.get(rep["hull"])}},
        ),
    },
    cases=[
        Case("{ mooring { boats { hull owner { ... on Person { id name } ... on Company { id name } } } } }",
             {"mooring": {"boats": [{"hull": "h1", "owner": {"id": "p1", "name": "Ada"}},
                                    {"hull": "h2", "owner": {"id": None, "name": "Harbour Trust"}},
                                    {"hull": "h3", "owner": {"id": "c7", "name": "Tide Co"}}]}}),
        Case("{ mooring { boats { owner { ... on Company { ref: id } ... on Person { ref: id } } } } }",
             {"mooring": {"boats": [{"owner": {"ref": "p1"}}, {"owner": {"ref": None}},
                                    {"owner": {"ref": "c7"}}]}}),
        # Owner.id (ID) beside Person.id (ID! in owners) under one key.
        Case("{ mooring { bay boats { owner { id ... on Person { id name } } } } }",
             {"mooring": {"bay": "North", "boats": [{"owner": {"id": "p1", "name": "Ada"}},
                                                    {"owner": {"id": None}}, {"owner": {"id": "c7"}}]}}),
        Case("{ mooring { harbourMaster { id name } boats { owner { id ... on Company { name } } } } }",
             {"mooring": {"harbourMaster": {"id": None, "name": "Cy"},
                          "boats": [{"owner": {"id": "p1"}}, {"owner": {"id": None, "name": "Harbour Trust"}},
                                    {"owner": {"id": "c7", "name": "Tide Co"}}]}}),
    ],
)

# --- circular-reference-interface: tracks of the same length ------------------------------------
# library's Song.duration is external, provided only under `sameLength` (typed provides);
# library answers -1 wherever it was not provided, and meta does not know t2 at all.

CIRCULAR_REFERENCE_INTERFACE = Scenario(
    name="circular-reference-interface",
    subgraphs={
        "library": Subgraph(
            sdl=FED2 + """
              type Query { track(id: ID!): Track }
              interface Track { id: ID! duration: Int sameLength: Track }
              type Song implements Track @key(fields: "id") {
                id: ID!
                duration: Int @external
                sameLength: Track @provides(fields: "... on Song { duration }")
              }
              type Jingle implements Track @key(fields: "id") { id: ID! duration: Int sameLength: Track }
            """,
            root={"track": lambda args: {
                "t1": {"__typename": "Song", "id": "t1", "duration": -1,
                       "sameLength": {"__typename": "Song", "id": "t2", "duration": 180}},
                "j1": {"__typename": "Jingle", "id": "j1", "duration": 15,
                       "sameLength": {"__typename": "Song", "id": "t3", "duration": -1}},
            }.get(args["id"])},
        ),
        "meta": Subgraph(
            sdl=FED2 + 'type Song @key(fields: "id") { id: ID! duration: Int }',
            entities={"Song": lambda rep: {"t1": {"id": "t1", "duration": 180},
                                           "t3": {"id": "t3", "duration": 15}}.get(rep["id"])},
        ),
    },
    cases=[
        Case('{ track(id: "t1") { id duration ... on Song { sameLength { id ... on Song { duration } } } } }',
             {"track": {"id": "t1", "duration": 180, "sameLength": {"id": "t2", "duration": 180}}}),
        Case('{ track(id: "t1") { ... on Song { duration sameLength { duration } } } }',
             {"track": {"duration": 180, "sameLength": {"duration": 180}}}),
        Case('{ track(id: "j1") { duration sameLength { id duration } } }',
             {"track": {"duration": 15, "sameLength": {"id": "t3", "duration": 15}}}),
    ],
)

# --- corrupted-supergraph-node-id: ferries and barges --------------------------------------------
# Hand-written (our composer would not write it): Node.id is external on Barge in north and
# on Ferry in south, so `node { id }` cannot be planned from either root.

_NODE_TYPES = """
type Query @join__type(graph: NORTH) @join__type(graph: SOUTH) {
  node(id: ID!): Node
}

interface Node @join__type(graph: NORTH) @join__type(graph: SOUTH) {
  id: ID!
}

type Ferry implements Node
  @join__implements(graph: NORTH, interface: "Node")
  @join__implements(graph: SOUTH, interface: "Node")
  @join__type(graph: NORTH, key: "id")
  @join__type(graph: SOUTH, key: "id")
{
  id: ID! @join__field(graph: NORTH) @join__field(graph: SOUTH, external: true)
  name: String @join__field(graph: NORTH)
  escort: Barge @join__field(graph: NORTH)
}

type Barge implements Node
  @join__implements(graph: NORTH, interface: "Node")
  @join__implements(graph: SOUTH, interface: "Node")
  @join__type(graph: NORTH, key: "id")
  @join__type(graph: SOUTH, key: "id")
{
  id: ID! @join__field(graph: NORTH, external: true) @join__field(graph: SOUTH)
  cargo: String @join__field(graph: SOUTH)
}
"""

NORTH_NODES = {"f1": {"__typename": "Ferry", "id": "f1", "name": "Island Hopper",
                      "escort": {"__typename": "Barge", "id": "never"}},
               "b1": {"__typename": "Barge", "id": "never"}}
SOUTH_NODES = {"b1": {"__typename": "Barge", "id": "b1", "cargo": "gravel"},
               "f1": {"__typename": "Ferry", "id": "never"}}

CORRUPTED_SUPERGRAPH_NODE_ID = Scenario(
    name="corrupted-supergraph-node-id",
    subgraphs={
        "north": Subgraph(
            sdl=FED2 + """
              type Query { node(id: ID!): Node @shareable }
              interface Node { id: ID! }
              type Ferry implements Node @key(fields: "id") { id: ID! name: String escort: Barge }
              type Barge implements Node @key(fields: "id") { id: ID! @external }
            """,
            root={"node": lambda args: NORTH_NODES.get(args["id"])},
            entities={"Ferry": lambda rep: NORTH_NODES.get(rep["id"])},
        ),
        "south": Subgraph(
            sdl=FED2 + """
              type Query { node(id: ID!): Node @shareable }
              interface Node { id: ID! }
              type Ferry implements Node @key(fields: "id") { id: ID! @external }
              type Barge implements Node @key(fields: "id") { id: ID! cargo: String }
            """,
            root={"node": lambda args: SOUTH_NODES.get(args["id"])},
            entities={"Barge": lambda rep: SOUTH_NODES.get(rep["id"]) if rep["id"] != "never" else None},
        ),
    },
    supergraph=supergraph_sdl(["north", "south"], _NODE_TYPES),
    notes="hand-written supergraph: the external Node.id implementations are the point of the suite",
    cases=[
        Case('{ node(id: "f1") { id } }', None, errors=True),
        Case('{ node(id: "f1") { __typename } }', {"node": {"__typename": "Ferry"}}),
        Case('{ node(id: "f1") { ... on Ferry { id name } } }', {"node": {"id": "f1", "name": "Island Hopper"}}),
        Case('{ node(id: "b1") { ... on Barge { id cargo } } }', {"node": {"id": "b1", "cargo": "gravel"}}),
        Case('{ node(id: "b1") { ... on Barge { cargo } } }', {"node": {"cargo": "gravel"}}),
        Case('{ f: node(id: "f1") { ... on Ferry { id } } b: node(id: "b1") { ... on Barge { id } } }',
             {"f": {"id": "f1"}, "b": {"id": "b1"}}),
        Case('{ node(id: "b1") { ... on Ferry { id } ... on Barge { id } } }', None, errors=True),
        Case('{ node(id: "b1") { __typename ... on Ferry { name } } }', {"node": {"__typename": "Barge"}}),
        # The escort's key is external in north: its cargo cannot be reached.
        Case('{ node(id: "f1") { ... on Ferry { escort { cargo } } } }', None, errors=True),
        Case('{ node(id: "f1") { ... on Ferry { name escort { __typename } } } }',
             {"node": {"name": "Island Hopper", "escort": {"__typename": "Barge"}}}),
    ],
)

# --- node: lighthouses and buoys behind one `node` root ------------------------------------------

BEACONS = {"l1": {"__typename": "Lighthouse", "id": "l1"}, "b7": {"__typename": "Buoy", "id": "b7"},
           "l2": {"__typename": "Lighthouse", "id": "l2"}}

NODE = Scenario(
    name="node",
    subgraphs={
        "index": Subgraph(
            sdl=FED2 + """
              type Query { node(id: ID!): Node nodes(ids: [ID!]!): [Node]! }
              interface Node { id: ID! }
              type Lighthouse implements Node @key(fields: "id") { id: ID! }
              type Buoy implements Node @key(fields: "id") { id: ID! }
            """,
            root={"node": lambda args: BEACONS.get(args["id"]),
                  "nodes": lambda args: [BEACONS.get(i) for i in args["ids"]]},
        ),
        "lights": Subgraph(
            sdl=FED2 + """
              interface Node { id: ID! }
              type Lighthouse implements Node @key(fields: "id") { id: ID! height: Int! }
            """,
            entities={"Lighthouse": lambda rep: {"id": rep["id"], "height": {"l1": 31, "l2": 12}[rep["id"]]}},
        ),
        "buoys": Subgraph(
            sdl=FED2 + 'type Buoy @key(fields: "id") { id: ID! color: String! }',
            entities={"Buoy": lambda rep: {"id": rep["id"], "color": "red"}},
        ),
    },
    cases=[
        Case('{ nodes(ids: ["l1", "b7", "x", "l2"]) { id ... on Lighthouse { height } ... on Buoy { color } } }',
             {"nodes": [{"id": "l1", "height": 31}, {"id": "b7", "color": "red"}, None,
                        {"id": "l2", "height": 12}]}),
        Case('{ node(id: "b7") { __typename ... on Buoy { color } ... on Lighthouse { height } } }',
             {"node": {"__typename": "Buoy", "color": "red"}}),
        Case('{ node(id: "l2") { ... on Node { id } ... on Lighthouse { height } } }',
             {"node": {"id": "l2", "height": 12}}),
    ],
)

# --- typename: kayaks, canoes and gear -----------------------------------------------------------
# rentals sees Boat as an @interfaceObject and says "Nope" for its __typename.

_TYPENAME_TYPES = """
type Query @join__type(graph: SHOP) @join__type(graph: RENTALS) {
  kayak: Kayak @join__field(graph: SHOP)
  gear: [Gear!]! @join__field(graph: SHOP)
  boats: [Boat!]! @join__field(graph: SHOP)
  available: [Boat!]! @join__field(graph: RENTALS)
}

interface Boat
  @join__type(graph: SHOP, key: "id")
  @join__type(graph: RENTALS, key: "id", isInterfaceObject: true)
{
  id: ID!
  hourlyRate: Int! @join__field(graph: RENTALS)
}

type Kayak implements Boat
  @join__implements(graph: SHOP, interface: "Boat")
  @join__type(graph: SHOP, key: "id")
{
  id: ID!
  seats: Int!
  hourlyRate: Int! @join__field
}

type Canoe implements Boat
  @join__implements(graph: SHOP, interface: "Boat")
  @join__type(graph: SHOP, key: "id")
{
  id: ID!
  material: String!
  hourlyRate: Int! @join__field
}

union Gear @join__type(graph: SHOP) @join__unionMember(graph: SHOP, member: "Paddle")
  @join__unionMember(graph: SHOP, member: "Helmet") = Paddle | Helmet

type Paddle @join__type(graph: SHOP) {
  length: Int!
}

type Helmet @join__type(graph: SHOP) {
  size: String!
}
"""

HULLS = {"k1": {"__typename": "Kayak", "id": "k1", "seats": 2},
         "c1": {"__typename": "Canoe", "id": "c1", "material": "cedar"}}

TYPENAME = Scenario(
    name="typename",
    subgraphs={
        "shop": Subgraph(
            sdl=FED2 + """
              type Query { kayak: Kayak gear: [Gear!]! boats: [Boat!]! }
              interface Boat @key(fields: "id") { id: ID! }
              type Kayak implements Boat @key(fields: "id") { id: ID! seats: Int! }
              type Canoe implements Boat @key(fields: "id") { id: ID! material: String! }
              union Gear = Paddle | Helmet
              type Paddle { length: Int! }
              type Helmet { size: String! }
            """,
            root={"kayak": lambda args: HULLS["k1"],
                  "gear": lambda args: [{"__typename": "Helmet", "size": "M"}, {"__typename": "Paddle", "length": 220}],
                  "boats": lambda args: [HULLS["c1"], HULLS["k1"]]},
            entities={"Boat": lambda rep: HULLS.get(rep["id"]), "Kayak": lambda rep: HULLS.get(rep["id"]),
                      "Canoe": lambda rep: HULLS.get(rep["id"])},
        ),
        "rentals": MarkedSubgraph(
            sdl=FED2 + """
              type Query { available: [Boat!]! }
              type Boat @key(fields: "id") @interfaceObject { id: ID! hourlyRate: Int! }
            """,
            root={"available": lambda args: [{"id": "k1", "hourlyRate": 12}, {"id": "c1", "hourlyRate": 9}]},
            entities={"Boat": lambda rep: {"id": rep["id"], "hourlyRate": {"k1": 12, "c1": 9}[rep["id"]]}},
            interface_objects=("Boat",),
        ),
    },
    supergraph=supergraph_sdl(["shop", "rentals"], _TYPENAME_TYPES),
    notes="hand-written supergraph, as @apollo/composition writes it (TYPENAME_COMPOSED: ours)",
    cases=[
        Case("{ __typename }", {"__typename": "Query"}),
        Case("{ a: __typename b: __typename }", {"a": "Query", "b": "Query"}),
        Case("{ kayak { __typename t: __typename id } }",
             {"kayak": {"__typename": "Kayak", "t": "Kayak", "id": "k1"}}),
        Case("{ gear { __typename kind: __typename ... on Paddle { length } } }",
             {"gear": [{"__typename": "Helmet", "kind": "Helmet"},
                       {"__typename": "Paddle", "kind": "Paddle", "length": 220}]}),
        Case("{ boats { t: __typename ... on Kayak { __typename seats } } }",
             {"boats": [{"t": "Canoe"}, {"t": "Kayak", "__typename": "Kayak", "seats": 2}]}),
        # Interface-object position: the concrete names come from shop, never rentals' marker.
        Case("{ available { __typename hourlyRate } }",
             {"available": [{"__typename": "Kayak", "hourlyRate": 12}, {"__typename": "Canoe", "hourlyRate": 9}]}),
        Case("{ available { kind: __typename again: __typename } }",
             {"available": [{"kind": "Kayak", "again": "Kayak"}, {"kind": "Canoe", "again": "Canoe"}]}),
        Case("{ available { ... on Boat { __typename } ... on Canoe { material } } }",
             {"available": [{"__typename": "Kayak"}, {"__typename": "Canoe", "material": "cedar"}]}),
        Case("{ boats { __typename hourlyRate } }",
             {"boats": [{"__typename": "Canoe", "hourlyRate": 9}, {"__typename": "Kayak", "hourlyRate": 12}]}),
    ],
)

TYPENAME_COMPOSED = replace(TYPENAME, name="typename-composed", supergraph=None, notes="composed by our composer")

SCENARIOS = [ABSTRACT_TYPES, CHILD_TYPE_MISMATCH, CIRCULAR_REFERENCE_INTERFACE, CORRUPTED_SUPERGRAPH_NODE_ID,
             NODE, TYPENAME, TYPENAME_COMPOSED]
