"""Entity jumps: a field owned by another subgraph, entered through `_entities` by key."""
from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph

BOOKS = {"b1": {"isbn": "b1", "title": "Dune"}, "b2": {"isbn": "b2", "title": "Emma"}}
STOCK = {"b1": 3, "b2": 0}

SCENARIOS = [
    Scenario(
        name="simple-entity-jump",
        subgraphs={
            "catalog": Subgraph(
                sdl=FED2 + """
                  type Query { books: [Book!]! }
                  type Book @key(fields: "isbn") { isbn: ID! title: String! }
                """,
                root={"books": lambda args: list(BOOKS.values())},
                entities={"Book": lambda rep: BOOKS.get(rep["isbn"])},
            ),
            "warehouse": Subgraph(
                sdl=FED2 + """
                  type Book @key(fields: "isbn") { isbn: ID! inStock: Int! }
                """,
                entities={"Book": lambda rep: {"isbn": rep["isbn"], "inStock": STOCK[rep["isbn"]]}},
            ),
        },
        cases=[
            Case("{ books { title inStock } }",
                 {"books": [{"title": "Dune", "inStock": 3}, {"title": "Emma", "inStock": 0}]}),
            Case("{ books { isbn } }", {"books": [{"isbn": "b1"}, {"isbn": "b2"}]}),
        ],
    ),
]
