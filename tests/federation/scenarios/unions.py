"""Unions (and interfaces met through them) whose members differ per subgraph: what a
fragment means in the subgraph it is sent to, `@join__field(type:)`, shareable roots
split between subgraphs, and members narrowed to those every candidate subgraph knows."""
from dataclasses import replace

from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph
from .handwritten import supergraph_sdl

# --- union-interface-distributed: a toy store ---------------------------------------------------
# In store, Kite implements Tagged but Sled does not; in tags, both do (and Board exists only
# there). `... on Tagged` sent to store as is would miss the sled.

TOYS = {
    "k1": {"__typename": "Kite", "id": "k1", "label": "Red Kite", "span": 120},
    "s1": {"__typename": "Sled", "id": "s1", "label": "Snow Racer", "runners": 2},
}
TAGS = {"k1": ["wind", "summer"], "s1": ["snow"], "w1": ["water"]}
BOARD = {"__typename": "Board", "id": "w1", "label": "Wave Rider", "fins": 3}

UNION_INTERFACE_DISTRIBUTED = Scenario(
    name="union-interface-distributed",
    subgraphs={
        "store": Subgraph(
            sdl=FED2 + """
              type Query { items: [Item!]! featured: Tagged }
              union Item = Kite | Sled
              interface Tagged { id: ID! label: String! }
              type Kite implements Tagged @key(fields: "id") { id: ID! label: String! span: Int! }
              type Sled @key(fields: "id") { id: ID! label: String! runners: Int! }
            """,
            root={"items": lambda args: [TOYS["k1"], TOYS["s1"]], "featured": lambda args: TOYS["k1"]},
            entities={"Kite": lambda rep: TOYS.get(rep["id"]), "Sled": lambda rep: TOYS.get(rep["id"])},
        ),
        "tags": Subgraph(
            sdl=FED2 + """
              type Query { tagged: [Tagged!]! }
              interface Tagged { id: ID! tags: [String!]! }
              type Kite implements Tagged @key(fields: "id") { id: ID! tags: [String!]! }
              type Sled implements Tagged @key(fields: "id") { id: ID! tags: [String!]! }
              type Board implements Tagged @key(fields: "id") { id: ID! label: String! fins: Int! tags: [String!]! }
            """,
            root={"tagged": lambda args: [{"__typename": "Sled", "id": "s1", "tags": TAGS["s1"]},
                                          {**BOARD, "tags": TAGS["w1"]},
                                          {"__typename": "Kite", "id": "k1", "tags": TAGS["k1"]}]},
            entities={t: (lambda rep: {"id": rep["id"], "tags": TAGS[rep["id"]]}) for t in ("Kite", "Sled")},
        ),
    },
    cases=[
        Case("{ items { ... on Tagged { id } } }", {"items": [{"id": "k1"}, {"id": "s1"}]}),
        Case("{ items { ... on Tagged { id label } } }",
             {"items": [{"id": "k1", "label": "Red Kite"}, {"id": "s1", "label": "Snow Racer"}]}),
        Case("{ items { ... on Tagged { tags } } }", {"items": [{"tags": ["wind", "summer"]}, {"tags": ["snow"]}]}),
        Case("{ items { ... on Kite { span } ... on Tagged { id } } }",
             {"items": [{"span": 120, "id": "k1"}, {"id": "s1"}]}),
        Case("{ items { __typename ... on Sled { runners ... on Tagged { label } } } }",
             {"items": [{"__typename": "Kite"}, {"__typename": "Sled", "runners": 2, "label": "Snow Racer"}]}),
        Case("{ featured { id label tags } }",
             {"featured": {"id": "k1", "label": "Red Kite", "tags": ["wind", "summer"]}}),
        Case("{ tagged { id label } }",
             {"tagged": [{"id": "s1", "label": "Snow Racer"}, {"id": "w1", "label": "Wave Rider"},
                         {"id": "k1", "label": "Red Kite"}]}),
        Case("{ tagged { tags ... on Sled { runners } ... on Board { fins } ... on Kite { span } } }",
             {"tagged": [{"tags": ["snow"], "runners": 2}, {"tags": ["water"], "fins": 3},
                         {"tags": ["wind", "summer"], "span": 120}]}),
        Case("{ items { ... on Tagged { ... on Kite { id } ... on Sled { label } } } }",
             {"items": [{"id": "k1"}, {"label": "Snow Racer"}]}),
    ],
)

# --- union-intersection: a zoo visit -------------------------------------------------------------
# north's Resident = Lion | Parrot, south's = Lion | Parrot | Snake. `visit` is a shareable value
# root; Visit.highlight is a Lion in north but a Resident in south (@join__field(type:)).

ZOO_NORTH = FED2 + """
  type Query { star: Resident @shareable visit: Visit! @shareable }
  union Resident = Lion | Parrot
  type Lion @shareable { name: String! }
  type Parrot @shareable { name: String! }
  type Visit @shareable { highlight: Lion mane: Lion }
"""
ZOO_SOUTH = FED2 + """
  type Query { star: Resident @shareable visit: Visit! @shareable }
  union Resident = Lion | Parrot | Snake
  type Lion @shareable { name: String! }
  type Parrot @shareable { name: String! }
  type Snake { name: String! length: Int! }
  type Visit @shareable { highlight: Resident reptile: Snake }
"""
POLLY = {"__typename": "Parrot", "name": "Polly"}
LEO = {"__typename": "Lion", "name": "Leo"}

_ZOO_TYPES = """
type Query @join__type(graph: NORTH) @join__type(graph: SOUTH) {
  star: Resident
  visit: Visit!
}

union Resident
  @join__type(graph: NORTH)
  @join__type(graph: SOUTH)
  @join__unionMember(graph: NORTH, member: "Lion")
  @join__unionMember(graph: SOUTH, member: "Lion")
  @join__unionMember(graph: NORTH, member: "Parrot")
  @join__unionMember(graph: SOUTH, member: "Parrot")
  @join__unionMember(graph: SOUTH, member: "Snake")
 = Lion | Parrot | Snake

type Lion @join__type(graph: NORTH) @join__type(graph: SOUTH) {
  name: String!
}

type Parrot @join__type(graph: NORTH) @join__type(graph: SOUTH) {
  name: String!
}

type Snake @join__type(graph: SOUTH) {
  name: String!
  length: Int!
}

type Visit @join__type(graph: NORTH) @join__type(graph: SOUTH) {
  highlight: Resident @join__field(graph: NORTH, type: "Lion") @join__field(graph: SOUTH, type: "Resident")
  mane: Lion @join__field(graph: NORTH)
  reptile: Snake @join__field(graph: SOUTH)
}
"""

UNION_INTERSECTION = Scenario(
    name="union-intersection",
    subgraphs={
        "north": Subgraph(
            sdl=ZOO_NORTH,
            root={"star": lambda args: POLLY,
                  "visit": lambda args: {"highlight": LEO, "mane": {"__typename": "Lion", "name": "Nala"}}},
        ),
        "south": Subgraph(
            sdl=ZOO_SOUTH,
            root={"star": lambda args: POLLY,
                  "visit": lambda args: {"highlight": LEO,
                                         "reptile": {"__typename": "Snake", "name": "Kaa", "length": 6}}},
        ),
    },
    supergraph=supergraph_sdl(["north", "south"], _ZOO_TYPES),
    notes="hand-written supergraph, as @apollo/composition writes it (UNION_INTERSECTION_COMPOSED: ours)",
    cases=[
        Case("{ star { ... on Parrot { name } } }", {"star": {"name": "Polly"}}),
        Case("{ star { __typename ... on Lion { name } } }", {"star": {"__typename": "Parrot"}}),
        Case("{ star { ... on Snake { length } } }", {"star": {}}),
        Case("{ star { ... on Lion { name } ... on Parrot { name } ... on Snake { name } } }",
             {"star": {"name": "Polly"}}),
        Case("{ visit { highlight { ... on Lion { name } } } }", {"visit": {"highlight": {"name": "Leo"}}}),
        # `mane` pins north, where highlight is a Lion: the Parrot fragment cannot be sent there.
        Case("{ visit { mane { name } highlight { ... on Parrot { name } } } }",
             {"visit": {"mane": {"name": "Nala"}, "highlight": {}}}),
        Case("{ visit { mane { name } highlight { __typename ... on Lion { name } ... on Snake { length } } } }",
             {"visit": {"mane": {"name": "Nala"}, "highlight": {"__typename": "Lion", "name": "Leo"}}}),
        # Nobody has both: `visit` is fetched from both subgraphs and merged.
        Case("{ visit { mane { name } reptile { name length } } }",
             {"visit": {"mane": {"name": "Nala"}, "reptile": {"name": "Kaa", "length": 6}}}),
        Case("{ visit { reptile { name } highlight { __typename ... on Snake { name } } } }",
             {"visit": {"reptile": {"name": "Kaa"}, "highlight": {"__typename": "Lion"}}}),
        Case("{ visit { mane { name } reptile { length } highlight { ... on Lion { name } } } star { __typename } }",
             {"visit": {"mane": {"name": "Nala"}, "reptile": {"length": 6}, "highlight": {"name": "Leo"}},
              "star": {"__typename": "Parrot"}}),
    ],
)

# --- partial-union: a festival -------------------------------------------------------------------
# stages' Act = Band | Dj, tents' Act = Dj | Comedian: each root field keeps its own members.

PARTIAL_UNION = Scenario(
    name="partial-union",
    subgraphs={
        "stages": Subgraph(
            sdl=FED2 + """
              type Query { headliners: [Act!]! }
              union Act = Band | Dj
              type Band { name: String! members: Int! }
              type Dj @shareable { name: String! }
            """,
            root={"headliners": lambda args: [{"__typename": "Band", "name": "The Tides", "members": 4},
                                              {"__typename": "Dj", "name": "DJ Kelp"}]},
        ),
        "tents": Subgraph(
            sdl=FED2 + """
              type Query { sideshows: [Act!]! }
              union Act = Dj | Comedian
              type Dj @shareable { name: String! }
              type Comedian { name: String! }
            """,
            root={"sideshows": lambda args: [{"__typename": "Dj", "name": "DJ Moss"},
                                             {"__typename": "Comedian", "name": "Ann Wit"}]},
        ),
    },
    cases=[
        Case("{ headliners { ... on Band { name members } ... on Dj { name } ... on Comedian { name } } }",
             {"headliners": [{"name": "The Tides", "members": 4}, {"name": "DJ Kelp"}]}),
        Case("{ sideshows { __typename ... on Band { name } ... on Comedian { name } } }",
             {"sideshows": [{"__typename": "Dj"}, {"__typename": "Comedian", "name": "Ann Wit"}]}),
        Case("{ headliners { __typename } sideshows { ... on Dj { name } } }",
             {"headliners": [{"__typename": "Band"}, {"__typename": "Dj"}], "sideshows": [{"name": "DJ Moss"}, {}]}),
    ],
)

# --- partial-union-complex: weather stations -----------------------------------------------------
# Station is an entity of alpha and beta; Station.reading (a shareable value) is local to both,
# so its Measure union narrows to the members both know (Temperature). alphaReading/betaReading
# have one candidate each and keep that subgraph's members. beta does not know s1's reading.

ALPHA_READINGS = {
    "s1": {"reading": {"measure": {"__typename": "Humidity", "percent": 55}},
           "alphaReading": {"measure": {"__typename": "Humidity", "percent": 55}}},
    "s2": {"reading": {"measure": {"__typename": "Temperature", "celsius": 21.5}},
           "alphaReading": {"measure": {"__typename": "Temperature", "celsius": 21.5}}},
}
BETA_READINGS = {
    "s2": {"reading": {"measure": {"__typename": "Temperature", "celsius": 21.5}},
           "betaReading": {"measure": {"__typename": "Wind", "knots": 12}}},
    "s1": {"reading": None, "betaReading": {"measure": {"__typename": "Wind", "knots": 30}}},
}

PARTIAL_UNION_COMPLEX = Scenario(
    name="partial-union-complex",
    subgraphs={
        "alpha": Subgraph(
            sdl=FED2 + """
              type Query { station(id: ID!): Station stations: [Station!]! }
              type Station @key(fields: "id") { id: ID! reading: Reading @shareable alphaReading: Reading }
              type Reading @shareable { measure: Measure }
              union Measure = Temperature | Humidity
              type Temperature @shareable { celsius: Float! }
              type Humidity { percent: Int }
            """,
            root={"station": lambda args: {"id": args["id"], **ALPHA_READINGS[args["id"]]},
                  "stations": lambda args: [{"id": i, **ALPHA_READINGS[i]} for i in ("s1", "s2")]},
            entities={"Station": lambda rep: {"id": rep["id"], **ALPHA_READINGS[rep["id"]]}},
        ),
        "beta": Subgraph(
            sdl=FED2 + """
              type Station @key(fields: "id") { id: ID! reading: Reading @shareable betaReading: Reading }
              type Reading @shareable { measure: Measure }
              union Measure = Temperature | Wind
              type Temperature @shareable { celsius: Float! }
              type Wind { knots: Int! }
            """,
            entities={"Station": lambda rep: {"id": rep["id"], **BETA_READINGS[rep["id"]]}},
        ),
    },
    cases=[
        # Two candidates for `reading`: Humidity is not a member both know, so its fields are not
        # asked for; the object is still a Humidity, so the fragment yields null.
        Case('{ station(id: "s1") { reading { measure { ... on Humidity { percent } } } } }',
             {"station": {"reading": {"measure": {"percent": None}}}}),
        Case('{ station(id: "s2") { reading { measure { ... on Temperature { celsius } ... on Humidity { percent } } } } }',
             {"station": {"reading": {"measure": {"celsius": 21.5}}}}),
        # One candidate: alpha's members.
        Case('{ station(id: "s1") { alphaReading { measure { ... on Humidity { percent } ... on Wind { knots } } } } }',
             {"station": {"alphaReading": {"measure": {"percent": 55}}}}),
        # One candidate, reached by a jump: beta's members.
        Case('{ station(id: "s2") { betaReading { measure { __typename ... on Wind { knots } ... on Humidity { percent } } } } }',
             {"station": {"betaReading": {"measure": {"__typename": "Wind", "knots": 12}}}}),
        Case("{ stations { id reading { measure { __typename ... on Humidity { percent } ... on Temperature { celsius } } } "
             "betaReading { measure { ... on Wind { knots } } } } }",
             {"stations": [
                 {"id": "s1", "reading": {"measure": {"__typename": "Humidity", "percent": None}},
                  "betaReading": {"measure": {"knots": 30}}},
                 {"id": "s2", "reading": {"measure": {"__typename": "Temperature", "celsius": 21.5}},
                  "betaReading": {"measure": {"knots": 12}}}]}),
    ],
)

SCENARIOS = [UNION_INTERFACE_DISTRIBUTED, UNION_INTERSECTION, PARTIAL_UNION, PARTIAL_UNION_COMPLEX]

# The same subgraphs composed by our composer: Visit.highlight is Lion in north and the union
# Resident in south, so the supergraph says Resident and records north's Lion in @join__field.
UNION_INTERSECTION_COMPOSED = replace(UNION_INTERSECTION, name="union-intersection-composed", supergraph=None,
                                      notes="composed by our composer")
SCENARIOS.append(UNION_INTERSECTION_COMPOSED)
