"""Keys: plain entity jumps, choosing a key by resolvability in the target, nested list
keys assembled from several subgraphs, and representations skipped when a key is missing."""
from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph

# --- simple-entity-call: a transit network ------------------------------------------------
# `lines` owns stations and routes; `facilities` knows each station's equipment by its code.

STATIONS = {
    "KGX": {"code": "KGX", "name": "King's Cross"},
    "PAD": {"code": "PAD", "name": "Paddington"},
    "EUS": {"code": "EUS", "name": "Euston"},
}
ROUTES = {"R1": {"id": "R1", "stops": [STATIONS["PAD"], STATIONS["KGX"], STATIONS["EUS"]]}}
EQUIPMENT = {
    "KGX": {"elevators": 4, "stepFree": True},
    "PAD": {"elevators": 2, "stepFree": True},
    "EUS": {"elevators": 0, "stepFree": False},
}

simple_entity_call = Scenario(
    name="simple-entity-call",
    subgraphs={
        "lines": Subgraph(
            sdl=FED2 + """
              type Query { station(code: ID!): Station  route(id: ID!): Route }
              type Route { id: ID! stops: [Station!]! }
              type Station @key(fields: "code") { code: ID! name: String! }
            """,
            root={"station": lambda args: STATIONS.get(args["code"]), "route": lambda args: ROUTES.get(args["id"])},
            entities={"Station": lambda rep: STATIONS.get(rep["code"])},
        ),
        "facilities": Subgraph(
            sdl=FED2 + """
              type Station @key(fields: "code") { code: ID! elevators: Int! stepFree: Boolean! }
            """,
            entities={"Station": lambda rep: (
                {"code": rep["code"], **EQUIPMENT[rep["code"]]} if rep.get("code") in EQUIPMENT else None)},
        ),
    },
    cases=[
        Case('{ station(code: "KGX") { name elevators } }',
             {"station": {"name": "King's Cross", "elevators": 4}}),
        Case('{ route(id: "R1") { id stops { code stepFree elevators } } }',
             {"route": {"id": "R1", "stops": [
                 {"code": "PAD", "stepFree": True, "elevators": 2},
                 {"code": "KGX", "stepFree": True, "elevators": 4},
                 {"code": "EUS", "stepFree": False, "elevators": 0},
             ]}}),
    ],
)

# --- keys-mashup: a parcel courier -----------------------------------------------------------
# `courier` lists delivery rounds; its Parcel key `id` is not resolvable there, its only
# resolvable key is `id tag { zone slot }`, and `tag` is external in courier: it comes from
# `depot`. `route` requires `label` (also from depot). Re-entering courier with the first
# declared key (`id` alone) finds no parcel, and the non-null `route` nulls the whole answer.

PARCELS = {
    "p1": {"id": "p1", "label": "Fragile lamp", "tag": {"zone": "N", "slot": 7}},
    "p2": {"id": "p2", "label": "Books", "tag": {"zone": "S", "slot": 2}},
    "p3": {"id": "p3", "label": "Bicycle", "tag": {"zone": "N", "slot": 11}},
}
ROUNDS = [
    {"id": "r1", "driver": "Ana", "parcels": [{"id": "p1"}, {"id": "p2"}]},
    {"id": "r2", "driver": "Bo", "parcels": [{"id": "p3"}]},
]


def _courier_parcel(rep: dict) -> dict | None:
    tag = rep.get("tag")
    if not isinstance(tag, dict) or "zone" not in tag or "slot" not in tag:
        return None  # courier only resolves parcels by `id tag { zone slot }`
    parcel = PARCELS.get(rep["id"])
    if parcel is None or parcel["tag"] != {"zone": tag["zone"], "slot": tag["slot"]}:
        return None
    label = rep.get("label")
    return {"id": rep["id"], "route": (lambda args: _route(tag, label))}


def _route(tag: dict, label: str | None) -> str:
    if label is None:
        raise RuntimeError("route needs the parcel's label")
    return f"{tag['zone']}{tag['slot']}: {label}"


keys_mashup = Scenario(
    name="keys-mashup",
    subgraphs={
        "depot": Subgraph(
            sdl=FED2 + """
              type Parcel @key(fields: "id") @key(fields: "id tag { zone slot }") {
                id: ID!
                tag: Tag!
                label: String!
              }
              type Tag @shareable { zone: String! slot: Int! }
            """,
            entities={"Parcel": lambda rep: PARCELS.get(rep["id"])},
        ),
        "courier": Subgraph(
            sdl=FED2 + """
              type Query { rounds: [Round!]! }
              type Round { id: ID! driver: String! parcels: [Parcel!]! }
              type Parcel @key(fields: "id", resolvable: false) @key(fields: "id tag { zone slot }") {
                id: ID!
                tag: Tag! @external
                label: String! @external
                route: String! @requires(fields: "label")
              }
              type Tag @shareable { zone: String! slot: Int! }
            """,
            root={"rounds": lambda args: ROUNDS},
            entities={"Parcel": _courier_parcel},
        ),
    },
    cases=[
        Case("{ rounds { driver parcels { id route } } }",
             {"rounds": [
                 {"driver": "Ana", "parcels": [{"id": "p1", "route": "N7: Fragile lamp"},
                                               {"id": "p2", "route": "S2: Books"}]},
                 {"driver": "Bo", "parcels": [{"id": "p3", "route": "N11: Bicycle"}]},
             ]}),
        Case("{ rounds { parcels { route label tag { slot } } } }",
             {"rounds": [
                 {"parcels": [{"route": "N7: Fragile lamp", "label": "Fragile lamp", "tag": {"slot": 7}},
                              {"route": "S2: Books", "label": "Books", "tag": {"slot": 2}}]},
                 {"parcels": [{"route": "N11: Bicycle", "label": "Bicycle", "tag": {"slot": 11}}]},
             ]}),
    ],
)

# --- complex-entity-call: a bookshop's bundles ---------------------------------------------
# `offers` resolves a Collection only by `books { isbn edition }` and a Book only by
# `isbn edition`. `catalog` knows the collection's books by isbn; each edition comes from
# `editions`. The key for offers is a nested list assembled from two other subgraphs.

BOOK_TITLES = {"111": "Odyssey", "222": "Iliad", "333": "Aeneid"}
BOOK_EDITIONS = {"111": 3, "222": 1, "333": 2}
PRICES = {("111", 3): 12.0, ("222", 1): 9.5, ("333", 2): 15.0, ("111", 1): 99.0}
COLLECTION = {"id": "c1", "name": "Epics",
              "books": [{"isbn": isbn, "title": title} for isbn, title in BOOK_TITLES.items()]}


def _offers_collection(rep: dict) -> dict | None:
    books = rep.get("books")
    if not isinstance(books, list):
        return None
    keys = []
    for book in books:
        if not isinstance(book, dict) or "edition" not in book or (book.get("isbn"), book["edition"]) not in PRICES:
            return None
        keys.append((book["isbn"], book["edition"]))
    cheapest = min(keys, key=lambda k: PRICES[k])
    return {
        "books": [{"isbn": i, "edition": e} for i, e in keys],
        "bundlePrice": round(sum(PRICES[k] for k in keys) * 0.8, 2),
        "cheapest": {"isbn": cheapest[0], "edition": cheapest[1], "price": PRICES[cheapest]},
    }


def _offers_book(rep: dict) -> dict | None:
    key = (rep.get("isbn"), rep.get("edition"))
    return {"isbn": key[0], "edition": key[1], "price": PRICES[key]} if key in PRICES else None


complex_entity_call = Scenario(
    name="complex-entity-call",
    subgraphs={
        "catalog": Subgraph(
            sdl=FED2 + """
              type Query { featured: Collection }
              type Collection @key(fields: "id") { id: ID! name: String! books: [Book!]! @shareable }
              type Book @key(fields: "isbn") { isbn: ID! title: String! }
            """,
            root={"featured": lambda args: COLLECTION},
            entities={
                "Collection": lambda rep: COLLECTION if rep["id"] == COLLECTION["id"] else None,
                "Book": lambda rep: ({"isbn": rep["isbn"], "title": BOOK_TITLES[rep["isbn"]]}
                                     if rep["isbn"] in BOOK_TITLES else None),
            },
        ),
        "editions": Subgraph(
            sdl=FED2 + """
              type Book @key(fields: "isbn") { isbn: ID! edition: Int! @shareable }
            """,
            entities={"Book": lambda rep: ({"isbn": rep["isbn"], "edition": BOOK_EDITIONS[rep["isbn"]]}
                                           if rep["isbn"] in BOOK_EDITIONS else None)},
        ),
        "offers": Subgraph(
            sdl=FED2 + """
              type Collection @key(fields: "books { isbn edition }") {
                books: [Book!]!
                bundlePrice: Float!
                cheapest: Book!
              }
              type Book @key(fields: "isbn edition") { isbn: ID! edition: Int! price: Float! }
            """,
            entities={"Collection": _offers_collection, "Book": _offers_book},
        ),
    },
    cases=[
        Case("{ featured { name bundlePrice cheapest { isbn title price } books { title price } } }",
             {"featured": {
                 "name": "Epics",
                 "bundlePrice": 29.2,
                 "cheapest": {"isbn": "222", "title": "Iliad", "price": 9.5},
                 "books": [{"title": "Odyssey", "price": 12.0}, {"title": "Iliad", "price": 9.5},
                           {"title": "Aeneid", "price": 15.0}],
             }}),
        Case("{ featured { books { isbn edition } cheapest { title edition } } }",
             {"featured": {
                 "books": [{"isbn": "111", "edition": 3}, {"isbn": "222", "edition": 1},
                           {"isbn": "333", "edition": 2}],
                 "cheapest": {"title": "Iliad", "edition": 1},
             }}),
    ],
)

# --- null-keys: a lending library -----------------------------------------------------------
# `shelves` knows loaned books by upc; `registry` maps a upc to the catalogue `id` (unknown
# upc: no entity; one record has no id); `authors` knows a book's author by `id`. A
# representation for `authors` can only be built when registry supplied the id; a
# representation sent without one gets a "ghost" author that must never show.

LOANS = [
    {"id": "L1", "book": {"upc": "u1"}},
    {"id": "L2", "book": {"upc": "u-lost"}},
    {"id": "L3", "book": None},
    {"id": "L4", "book": {"upc": "u3"}},
    {"id": "L5", "book": {"upc": "u2"}},
]
REGISTRY = {"u1": {"upc": "u1", "id": "a1"}, "u2": {"upc": "u2", "id": "a2"}, "u3": {"upc": "u3", "id": None}}
AUTHORS = {"a1": {"name": "Tolstoy"}, "a2": {"name": "Austen"}}


def _authors_book(rep: dict) -> dict | None:
    if "id" not in rep:
        return {"id": None, "author": {"name": "ghost: representation without id"}}
    author = AUTHORS.get(rep["id"])
    return {"id": rep["id"], "author": author} if author else None


null_keys = Scenario(
    name="null-keys",
    subgraphs={
        "shelves": Subgraph(
            sdl=FED2 + """
              type Query { loans: [Loan!]! }
              type Loan { id: ID! book: Book }
              type Book @key(fields: "upc") { upc: ID! }
            """,
            root={"loans": lambda args: LOANS},
            entities={"Book": lambda rep: {"upc": rep["upc"]}},
        ),
        "registry": Subgraph(
            sdl=FED2 + """
              type Book @key(fields: "upc") { upc: ID! id: ID @shareable }
            """,
            entities={"Book": lambda rep: REGISTRY.get(rep["upc"])},
        ),
        "authors": Subgraph(
            sdl=FED2 + """
              type Book @key(fields: "id") { id: ID author: Author }
              type Author { name: String! }
            """,
            entities={"Book": _authors_book},
        ),
    },
    cases=[
        Case("{ loans { id book { upc author { name } } } }",
             {"loans": [
                 {"id": "L1", "book": {"upc": "u1", "author": {"name": "Tolstoy"}}},
                 {"id": "L2", "book": {"upc": "u-lost", "author": None}},
                 {"id": "L3", "book": None},
                 {"id": "L4", "book": {"upc": "u3", "author": None}},
                 {"id": "L5", "book": {"upc": "u2", "author": {"name": "Austen"}}},
             ]}),
        Case("{ loans { book { id author { name } } } }",
             {"loans": [
                 {"book": {"id": "a1", "author": {"name": "Tolstoy"}}},
                 {"book": {"id": None, "author": None}},
                 {"book": None},
                 {"book": {"id": None, "author": None}},
                 {"book": {"id": "a2", "author": {"name": "Austen"}}},
             ]}),
    ],
)

SCENARIOS = [simple_entity_call, keys_mashup, complex_entity_call, null_keys]
