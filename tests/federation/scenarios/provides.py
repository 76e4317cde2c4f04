"""@provides (nested, on interfaces, on unions) and @requires: provided externals are
local beneath the providing field only, so no entity call may be made for them; a
shareable root field goes to the subgraph that covers the selection."""
from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph
from ._extension_serving import refuse

NEVER = "never: external field read without @provides"
NEEDLESS = "needless entity call despite @provides"

# --- nested-provides: a bookshop's genres --------------------------------------------------
# `store` provides `genres { name parent { name } }` under `newArrivals` only (Genre.id is
# store's own key field, readable anywhere).
# `taxonomy` owns Book.genres and Genre; its entity answers carry NEEDLESS where store's
# provided values make a call pointless (Genre.name of the entity itself, and a book's
# genres for new arrivals).

GENRES = {
    "g-books": {"id": "g-books", "name": "Books", "blurb": "Everything printed", "parent": None},
    "g-fiction": {"id": "g-fiction", "name": "Fiction", "blurb": "Made-up stories", "parent": "g-books"},
    "g-scifi": {"id": "g-scifi", "name": "Science fiction", "blurb": "Spaceships", "parent": "g-fiction"},
    "g-poetry": {"id": "g-poetry", "name": "Poetry", "blurb": "Verse", "parent": "g-books"},
}


def _genre(gid: str | None, depth: int = 3) -> dict | None:
    if gid is None or depth == 0:
        return None
    g = GENRES[gid]
    return {"id": gid, "name": g["name"], "blurb": g["blurb"], "parent": _genre(g["parent"], depth - 1)}


def _provided_genre(gid: str | None, depth: int) -> dict | None:
    """What store knows: id and name, `depth` levels up; other fields answer NEVER."""
    if gid is None:
        return None
    g = GENRES[gid]
    parent = _provided_genre(g["parent"], depth - 1) if depth > 1 else {"id": g["parent"], "name": NEVER}
    return {"id": gid, "name": g["name"], "parent": parent if g["parent"] else None}


NEW_ARRIVALS = {"n1": ["g-scifi"], "n2": ["g-poetry", "g-scifi"]}
PROVIDED_LEAVES = {"g-scifi", "g-poetry"}  # the genres of new arrivals; their parents are disjoint
BESTSELLERS = {"b1": ["g-fiction"], "b2": ["g-scifi"]}
TITLES = {"n1": "Dune Messiah", "n2": "Odes", "b1": "Emma", "b2": "Foundation"}


def _taxonomy_book(rep: dict) -> dict | None:
    if rep["id"] in BESTSELLERS:
        return {"id": rep["id"], "genres": [_genre(g) for g in BESTSELLERS[rep["id"]]]}
    if rep["id"] in NEW_ARRIVALS:
        return {"id": rep["id"], "genres": [{"id": "g-books", "name": NEEDLESS, "blurb": NEEDLESS, "parent": None}]}
    return None


def _taxonomy_genre(rep: dict) -> dict | None:
    if rep["id"] not in GENRES:
        return None
    genre = _genre(rep["id"])
    if rep["id"] in PROVIDED_LEAVES and genre["parent"]:
        genre["parent"] = {**genre["parent"], "name": NEEDLESS}  # provided two levels deep under newArrivals
    return {**genre, "name": NEEDLESS}


nested_provides = Scenario(
    name="nested-provides",
    subgraphs={
        "store": Subgraph(
            sdl=FED2 + """
              type Query {
                newArrivals: [Book!]! @provides(fields: "genres { name parent { name } }")
                bestsellers: [Book!]!
              }
              type Book @key(fields: "id") { id: ID! title: String! genres: [Genre!]! @external }
              type Genre @key(fields: "id") { id: ID! name: String @external parent: Genre @external }
            """,
            root={
                "newArrivals": lambda args: [
                    {"id": b, "title": TITLES[b], "genres": [_provided_genre(g, 2) for g in gs]}
                    for b, gs in NEW_ARRIVALS.items()],
                "bestsellers": lambda args: [
                    {"id": b, "title": TITLES[b], "genres": [{"id": "g-books", "name": NEVER}]}
                    for b in BESTSELLERS],
            },
            entities={"Book": lambda rep: ({"id": rep["id"], "title": TITLES[rep["id"]]}
                                           if rep["id"] in TITLES else None)},
        ),
        "taxonomy": Subgraph(
            sdl=FED2 + """
              type Book @key(fields: "id") { id: ID! genres: [Genre!]! }
              type Genre @key(fields: "id") { id: ID! name: String parent: Genre blurb: String }
            """,
            entities={"Book": _taxonomy_book, "Genre": _taxonomy_genre},
        ),
    },
    cases=[
        # Everything is provided, two levels deep: no entity call at all.
        Case("{ newArrivals { title genres { name parent { id name } } } }",
             {"newArrivals": [
                 {"title": "Dune Messiah",
                  "genres": [{"name": "Science fiction", "parent": {"id": "g-fiction", "name": "Fiction"}}]},
                 {"title": "Odes", "genres": [
                     {"name": "Poetry", "parent": {"id": "g-books", "name": "Books"}},
                     {"name": "Science fiction", "parent": {"id": "g-fiction", "name": "Fiction"}},
                 ]},
             ]}),
        # `blurb` is not provided: a Genre call keyed by the provided id; names stay provided.
        Case("{ newArrivals { genres { name blurb parent { name blurb } } } }",
             {"newArrivals": [
                 {"genres": [{"name": "Science fiction", "blurb": "Spaceships",
                              "parent": {"name": "Fiction", "blurb": "Made-up stories"}}]},
                 {"genres": [
                     {"name": "Poetry", "blurb": "Verse", "parent": {"name": "Books", "blurb": "Everything printed"}},
                     {"name": "Science fiction", "blurb": "Spaceships",
                      "parent": {"name": "Fiction", "blurb": "Made-up stories"}},
                 ]},
             ]}),
        # Beyond the provided depth, the grandparent's name comes from taxonomy (through the parent).
        Case("{ newArrivals { genres { parent { name parent { name } } } } }",
             {"newArrivals": [
                 {"genres": [{"parent": {"name": "Fiction", "parent": {"name": "Books"}}}]},
                 {"genres": [{"parent": {"name": "Books", "parent": None}},
                             {"parent": {"name": "Fiction", "parent": {"name": "Books"}}}]},
             ]}),
        # No @provides on bestsellers: genres come from taxonomy.
        Case("{ bestsellers { title genres { name parent { name } } } }",
             {"bestsellers": [
                 {"title": "Emma", "genres": [{"name": "Fiction", "parent": {"name": "Books"}}]},
                 {"title": "Foundation", "genres": [{"name": "Science fiction", "parent": {"name": "Fiction"}}]},
             ]}),
    ],
)

# --- provides-on-interface: an animal shelter ------------------------------------------------
# Query.shelter is shareable: `intake` only knows the shelter's id and fails whenever it is
# asked (a poor plan); `listing` provides `pets { id name }` on the Pet interface. Pets are
# owned by `kennel` (its answers carry NEEDLESS), Cat.age by `care`, entered with the
# provided Cat.id.

SHELTER_PETS = [
    {"__typename": "Dog", "id": "d1", "name": "Rex"},
    {"__typename": "Cat", "id": "c1", "name": "Tom"},
    {"__typename": "Cat", "id": "c2", "name": "Mia"},
]
CAT_AGES = {"c1": 4, "c2": 11}

provides_on_interface = Scenario(
    name="provides-on-interface",
    subgraphs={
        "intake": Subgraph(
            sdl=FED2 + """
              type Query { shelter: Shelter @shareable }
              type Shelter @key(fields: "id") { id: ID! }
            """,
            root={"shelter": refuse("intake cannot give pets: a plan that starts here is a poor plan")},
            entities={"Shelter": lambda rep: {"id": rep["id"]} if rep["id"] == "s1" else None},
        ),
        "listing": Subgraph(
            sdl=FED2 + """
              type Query { shelter: Shelter @shareable @provides(fields: "pets { id name }") }
              type Shelter @key(fields: "id") { id: ID! pets: [Pet!]! @external }
              interface Pet { id: ID! name: String! }
              type Dog implements Pet @key(fields: "id") { id: ID! @external name: String! @external }
              type Cat implements Pet @key(fields: "id") { id: ID! @external name: String! @external }
            """,
            root={"shelter": lambda args: {"id": "s1", "pets": SHELTER_PETS}},
            entities={"Shelter": lambda rep: {"id": rep["id"]} if rep["id"] == "s1" else None},
        ),
        "kennel": Subgraph(
            sdl=FED2 + """
              type Shelter @key(fields: "id") { id: ID! pets: [Pet!]! }
              interface Pet { id: ID! name: String! }
              type Dog implements Pet @key(fields: "id") { id: ID! name: String! }
              type Cat implements Pet @key(fields: "id") { id: ID! name: String! }
            """,
            entities={
                "Shelter": lambda rep: {"id": rep["id"], "pets": [
                    {"__typename": "Dog", "id": "d9", "name": NEEDLESS}]},
                "Dog": lambda rep: {"id": rep["id"], "name": NEEDLESS},
                "Cat": lambda rep: {"id": rep["id"], "name": NEEDLESS},
            },
        ),
        "care": Subgraph(
            sdl=FED2 + """
              type Cat @key(fields: "id") { id: ID! age: Int! }
            """,
            entities={"Cat": lambda rep: {"id": rep["id"], "age": CAT_AGES[rep["id"]]}
                      if rep["id"] in CAT_AGES else None},
        ),
    },
    cases=[
        Case("{ shelter { id pets { id name } } }",
             {"shelter": {"id": "s1", "pets": [{"id": "d1", "name": "Rex"}, {"id": "c1", "name": "Tom"},
                                               {"id": "c2", "name": "Mia"}]}}),
        Case("{ shelter { pets { name ... on Cat { age } } } }",
             {"shelter": {"pets": [{"name": "Rex"}, {"name": "Tom", "age": 4}, {"name": "Mia", "age": 11}]}}),
    ],
)

# --- provides-on-union: a news site ------------------------------------------------------------
# `hub` lists stories (a union) and provides `... on Article { headline }` under frontPage and
# `... on Clip { caption }` under highlights; everywhere else those externals answer NEVER.
# `press` owns headlines and `studio` captions; where the hub provides, they answer NEEDLESS.

HEADLINES = {"a1": NEEDLESS, "a2": NEEDLESS, "a3": "Bridge reopens"}
CAPTIONS = {"c1": "Goal of the week", "c2": NEEDLESS, "c3": NEEDLESS}

provides_on_union = Scenario(
    name="provides-on-union",
    subgraphs={
        "hub": Subgraph(
            sdl=FED2 + """
              type Query {
                frontPage: [Story!]! @provides(fields: "... on Article { headline }")
                highlights: [Story!]! @provides(fields: "... on Clip { caption }")
              }
              union Story = Article | Clip
              type Article @key(fields: "id") { id: ID! headline: String! @external }
              type Clip @key(fields: "id") { id: ID! caption: String! @external }
            """,
            root={
                "frontPage": lambda args: [
                    {"__typename": "Article", "id": "a1", "headline": "Rain all week"},
                    {"__typename": "Clip", "id": "c1", "caption": NEVER},
                    {"__typename": "Article", "id": "a2", "headline": "Library opens late"},
                ],
                "highlights": lambda args: [
                    {"__typename": "Clip", "id": "c2", "caption": "Sunset timelapse"},
                    {"__typename": "Article", "id": "a3", "headline": NEVER},
                    {"__typename": "Clip", "id": "c3", "caption": "Marathon finish"},
                ],
            },
        ),
        "press": Subgraph(
            sdl=FED2 + """
              type Article @key(fields: "id") { id: ID! headline: String! }
            """,
            entities={"Article": lambda rep: ({"id": rep["id"], "headline": HEADLINES[rep["id"]]}
                                              if rep["id"] in HEADLINES else None)},
        ),
        "studio": Subgraph(
            sdl=FED2 + """
              type Clip @key(fields: "id") { id: ID! caption: String! }
            """,
            entities={"Clip": lambda rep: ({"id": rep["id"], "caption": CAPTIONS[rep["id"]]}
                                           if rep["id"] in CAPTIONS else None)},
        ),
    },
    cases=[
        Case("{ frontPage { ... on Article { id headline } ... on Clip { id caption } } }",
             {"frontPage": [{"id": "a1", "headline": "Rain all week"}, {"id": "c1", "caption": "Goal of the week"},
                            {"id": "a2", "headline": "Library opens late"}]}),
        Case("{ highlights { __typename ... on Article { headline } ... on Clip { caption } } }",
             {"highlights": [{"__typename": "Clip", "caption": "Sunset timelapse"},
                             {"__typename": "Article", "headline": "Bridge reopens"},
                             {"__typename": "Clip", "caption": "Marathon finish"}]}),
        Case("{ frontPage { ... on Clip { caption } } highlights { ... on Article { id } ... on Clip { id } } }",
             {"frontPage": [{}, {"caption": "Goal of the week"}, {}],
              "highlights": [{"id": "c2"}, {"id": "a3"}, {"id": "c3"}]}),
    ],
)

# --- simple-requires-provides: a garden shop ----------------------------------------------------
# `plants` owns plants; `shipping` computes shippingCost from the required weight and potSize
# (and fails without them); `reviews` provides the author's handle under Review.author;
# `accounts` owns gardeners, and its entity answers carry NEEDLESS for the handle.

PLANTS = {
    "fern": {"sku": "fern", "name": "Boston fern", "weight": 1.5, "potSize": 14},
    "cactus": {"sku": "cactus", "name": "Barrel cactus", "weight": 0.8, "potSize": 9},
    "olive": {"sku": "olive", "name": "Olive tree", "weight": 12.0, "potSize": 40},
}
STOCK = {"fern": True, "cactus": False, "olive": True}
GARDENERS = {
    "u1": {"id": "u1", "handle": "greenthumb", "name": "Ada Moss"},
    "u2": {"id": "u2", "handle": "rootsy", "name": "Ben Birch"},
}
REVIEWS = [
    {"id": "r1", "body": "Thrives in shade", "author": "u1", "plant": "fern"},
    {"id": "r2", "body": "Arrived dry", "author": "u2", "plant": "olive"},
    {"id": "r3", "body": "Spiky but sweet", "author": "u1", "plant": "cactus"},
]


def _review(r: dict) -> dict:
    return {"id": r["id"], "body": r["body"], "plant": _reviewed_plant(r["plant"]),
            "author": {"id": r["author"], "handle": GARDENERS[r["author"]]["handle"],
                       "reviews": lambda args: _reviews_by(r["author"])}}


def _reviewed_plant(sku: str) -> dict:
    return {"sku": sku, "reviews": lambda args: [_review(r) for r in REVIEWS if r["plant"] == sku]}


def _reviews_by(gardener: str) -> list[dict]:
    return [_review(r) for r in REVIEWS if r["author"] == gardener]


def _shipping_plant(rep: dict) -> dict | None:
    if rep["sku"] not in STOCK:
        return None

    def cost(args: dict) -> float:
        if "weight" not in rep or "potSize" not in rep:
            raise RuntimeError("shippingCost requires weight and potSize")
        return round(2.0 + rep["weight"] * 1.5 + rep["potSize"] * 0.1, 2)

    return {"sku": rep["sku"], "inStock": STOCK[rep["sku"]], "shippingCost": cost}


simple_requires_provides = Scenario(
    name="simple-requires-provides",
    subgraphs={
        "plants": Subgraph(
            sdl=FED2 + """
              type Query { plants: [Plant!]! plant(sku: ID!): Plant }
              type Plant @key(fields: "sku") { sku: ID! name: String! weight: Float! potSize: Int! }
            """,
            root={"plants": lambda args: list(PLANTS.values()), "plant": lambda args: PLANTS.get(args["sku"])},
            entities={"Plant": lambda rep: PLANTS.get(rep["sku"])},
        ),
        "shipping": Subgraph(
            sdl=FED2 + """
              type Plant @key(fields: "sku") {
                sku: ID!
                weight: Float! @external
                potSize: Int! @external
                shippingCost: Float! @requires(fields: "weight potSize")
                inStock: Boolean!
              }
            """,
            entities={"Plant": _shipping_plant},
        ),
        "reviews": Subgraph(
            sdl=FED2 + """
              type Query { latestReviews: [Review!]! }
              type Review @key(fields: "id") {
                id: ID!
                body: String!
                author: Gardener! @provides(fields: "handle")
                plant: Plant!
              }
              type Gardener @key(fields: "id") { id: ID! handle: String! @external reviews: [Review!]! }
              type Plant @key(fields: "sku") { sku: ID! reviews: [Review!]! }
            """,
            root={"latestReviews": lambda args: [_review(r) for r in REVIEWS]},
            entities={
                "Review": lambda rep: next((_review(r) for r in REVIEWS if r["id"] == rep["id"]), None),
                "Gardener": lambda rep: {"id": rep["id"], "handle": NEVER, "reviews": _reviews_by(rep["id"])},
                "Plant": lambda rep: _reviewed_plant(rep["sku"]),
            },
        ),
        "accounts": Subgraph(
            sdl=FED2 + """
              type Query { me: Gardener }
              type Gardener @key(fields: "id") { id: ID! handle: String! name: String! }
            """,
            root={"me": lambda args: GARDENERS["u1"]},
            entities={"Gardener": lambda rep: ({**GARDENERS[rep["id"]], "handle": NEEDLESS}
                                               if rep["id"] in GARDENERS else None)},
        ),
    },
    cases=[
        Case("{ plants { name shippingCost } }",
             {"plants": [{"name": "Boston fern", "shippingCost": 5.65},
                         {"name": "Barrel cactus", "shippingCost": 4.1},
                         {"name": "Olive tree", "shippingCost": 24.0}]}),
        Case('{ plant(sku: "cactus") { inStock shippingCost weight } }',
             {"plant": {"inStock": False, "shippingCost": 4.1, "weight": 0.8}}),
        Case("{ me { handle name reviews { body author { handle } } } }",
             {"me": {"handle": "greenthumb", "name": "Ada Moss", "reviews": [
                 {"body": "Thrives in shade", "author": {"handle": "greenthumb"}},
                 {"body": "Spiky but sweet", "author": {"handle": "greenthumb"}},
             ]}}),
        Case("{ latestReviews { body author { handle } plant { name shippingCost } } }",
             {"latestReviews": [
                 {"body": "Thrives in shade", "author": {"handle": "greenthumb"},
                  "plant": {"name": "Boston fern", "shippingCost": 5.65}},
                 {"body": "Arrived dry", "author": {"handle": "rootsy"},
                  "plant": {"name": "Olive tree", "shippingCost": 24.0}},
                 {"body": "Spiky but sweet", "author": {"handle": "greenthumb"},
                  "plant": {"name": "Barrel cactus", "shippingCost": 4.1}},
             ]}),
        Case("{ latestReviews { author { name } plant { inStock reviews { id } } } }",
             {"latestReviews": [
                 {"author": {"name": "Ada Moss"}, "plant": {"inStock": True, "reviews": [{"id": "r1"}]}},
                 {"author": {"name": "Ben Birch"}, "plant": {"inStock": True, "reviews": [{"id": "r2"}]}},
                 {"author": {"name": "Ada Moss"}, "plant": {"inStock": False, "reviews": [{"id": "r3"}]}},
             ]}),
        Case('{ plant(sku: "olive") { reviews { author { handle reviews { plant { shippingCost } } } } } }',
             {"plant": {"reviews": [{"author": {"handle": "rootsy", "reviews": [
                 {"plant": {"shippingCost": 24.0}}]}}]}}),
    ],
)

SCENARIOS = [nested_provides, provides_on_interface, provides_on_union, simple_requires_provides]
