"""Anchor re-entry: a field of a value type (no key) owned by another subgraph is reached by
re-entering that subgraph at the nearest ancestor entity and replaying the path, possibly
while a sibling group supplies the key of a further jump."""
from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph

# --- parent-entity-call: parcel deliveries ---------------------------------------------------
# Order.delivery is a shareable value type. `orders` knows the delivery window and the
# address's city; `dispatch` knows the carrier and the address's depot.

ORDERS = {
    "o1": {"id": "o1", "delivery": {"window": "9-12", "address": {"city": "Leeds"}}},
    "o2": {"id": "o2", "delivery": {"window": "14-18", "address": {"city": "York"}}},
}
DISPATCH = {
    "o1": {"carrier": "Swift Vans", "address": {"city": "Leeds", "depot": "LDS-2"}},
    "o2": {"carrier": "Cargo Bikes", "address": {"city": "York", "depot": "YRK-1"}},
}

parent_entity_call = Scenario(
    name="parent-entity-call",
    subgraphs={
        "orders": Subgraph(
            sdl=FED2 + """
              type Query { order(id: ID!): Order  orders: [Order!]! }
              type Order @key(fields: "id") { id: ID! delivery: Delivery! @shareable }
              type Delivery @shareable { window: String! address: Address! }
              type Address @shareable { city: String! }
            """,
            root={"order": lambda args: ORDERS.get(args["id"]), "orders": lambda args: list(ORDERS.values())},
            entities={"Order": lambda rep: ORDERS.get(rep["id"])},
        ),
        "dispatch": Subgraph(
            sdl=FED2 + """
              type Order @key(fields: "id") { id: ID! delivery: Delivery! @shareable }
              type Delivery @shareable { carrier: String! address: Address! }
              type Address @shareable { city: String! depot: String! }
            """,
            entities={"Order": lambda rep: ({"id": rep["id"], "delivery": DISPATCH[rep["id"]]}
                                            if rep["id"] in DISPATCH else None)},
        ),
    },
    cases=[
        Case('{ order(id: "o1") { delivery { window carrier } } }',
             {"order": {"delivery": {"window": "9-12", "carrier": "Swift Vans"}}}),
        Case("{ orders { id delivery { address { city depot } } } }",
             {"orders": [{"id": "o1", "delivery": {"address": {"city": "Leeds", "depot": "LDS-2"}}},
                         {"id": "o2", "delivery": {"address": {"city": "York", "depot": "YRK-1"}}}]}),
    ],
)

# --- parent-entity-call-complex: a film listing ------------------------------------------------
# `front` knows listings by id only. Listing.info is a shareable value type: `notes` gives its
# summary, `tags` its genre (an entity known there by id only), and `genres` the genre's
# label. The label's key comes from the tags group, a sibling of the notes group.

LISTINGS = {"l1": "A heist in Lisbon", "l2": "Two robots fall in love"}
LISTING_GENRES = {"l1": "gen-crime", "l2": "gen-scifi"}
GENRE_LABELS = {"gen-crime": "Crime", "gen-scifi": "Science fiction"}

parent_entity_call_complex = Scenario(
    name="parent-entity-call-complex",
    subgraphs={
        "front": Subgraph(
            sdl=FED2 + """
              type Query { listing(id: ID!): Listing }
              type Listing @key(fields: "id") { id: ID! }
            """,
            root={"listing": lambda args: {"id": args["id"]} if args["id"] in LISTINGS else None},
        ),
        "notes": Subgraph(
            sdl=FED2 + """
              type Listing @key(fields: "id") { id: ID! info: Info! @shareable }
              type Info @shareable { summary: String! }
            """,
            entities={"Listing": lambda rep: ({"id": rep["id"], "info": {"summary": LISTINGS[rep["id"]]}}
                                              if rep["id"] in LISTINGS else None)},
        ),
        "tags": Subgraph(
            sdl=FED2 + """
              type Listing @key(fields: "id") { id: ID! info: Info! @shareable }
              type Info @shareable { genre: Genre! }
              type Genre @key(fields: "id") { id: ID! }
            """,
            entities={
                "Listing": lambda rep: ({"id": rep["id"], "info": {"genre": {"id": LISTING_GENRES[rep["id"]]}}}
                                        if rep["id"] in LISTING_GENRES else None),
                "Genre": lambda rep: {"id": rep["id"]} if rep["id"] in GENRE_LABELS else None,
            },
        ),
        "genres": Subgraph(
            sdl=FED2 + """
              type Genre @key(fields: "id") { id: ID! label: String! }
            """,
            entities={"Genre": lambda rep: ({"id": rep["id"], "label": GENRE_LABELS[rep["id"]]}
                                            if rep["id"] in GENRE_LABELS else None)},
        ),
    },
    cases=[
        Case('{ listing(id: "l1") { id info { summary genre { label } } } }',
             {"listing": {"id": "l1", "info": {"summary": "A heist in Lisbon", "genre": {"label": "Crime"}}}}),
        Case('{ listing(id: "l2") { info { genre { id label } summary } } }',
             {"listing": {"info": {"genre": {"id": "gen-scifi", "label": "Science fiction"},
                                   "summary": "Two robots fall in love"}}}),
    ],
)

SCENARIOS = [parent_entity_call, parent_entity_call_complex]
