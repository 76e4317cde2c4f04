"""@requires: fields computed from other subgraphs' fields, carried in the representation.

Every requiring resolver raises when its input is missing from the representation
(or is wrong in shape), so a gateway that forgets a requirement, merges fetches that
must stay apart, or lets one requirement clobber another gets an error and a `null`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..scenario import FED2, Case, Scenario
from ..subgraph import Subgraph


def needs(rep: dict[str, Any], *fields: str) -> Callable[[Callable[[], Any]], Callable[[dict[str, Any]], Any]]:
    """Wrap a resolver so it raises unless every `fields` key came in the representation."""

    def wrap(compute: Callable[[], Any]) -> Callable[[dict[str, Any]], Any]:
        def resolve(_args: dict[str, Any]) -> Any:
            missing = [f for f in fields if f not in rep]
            if missing:
                raise ValueError(f"representation lacks required {missing}: {rep}")
            return compute()

        return resolve

    return wrap


def never(what: str) -> Callable[..., Any]:
    def resolve(*_args: Any) -> Any:
        raise ValueError(f"{what} must not be resolved here")

    return resolve


# --- requires-circular: a -> b -> a -> b -> a at one path ----------------------------------
# catalog.code -> charts.catalogue(code) -> catalog.designation(catalogue)
#   -> charts.summary(designation) -> catalog.headline(summary)

STARS = {
    "s1": {"id": "s1", "name": "Vega", "code": "HR7001", "magnitude": 0.03},
    "s2": {"id": "s2", "name": "Sirius", "code": "HR2491", "magnitude": -1.46},
    "s3": {"id": "s3", "name": "Polaris", "code": "HR424", "magnitude": 1.98},
}


def _catalog_star(star_id: str, rep: dict[str, Any] | None = None) -> dict[str, Any] | None:
    star = STARS.get(star_id)
    if star is None:
        return None
    rep = rep or {}
    return {
        "id": star["id"], "name": star["name"], "code": star["code"],
        "designation": needs(rep, "catalogue")(lambda: f"{star['name']} ({rep['catalogue']})"),
        "headline": needs(rep, "summary")(lambda: f"{star['name']} -- {rep['summary']}"),
    }


def _charts_star(rep: dict[str, Any]) -> dict[str, Any] | None:
    star = STARS.get(rep["id"])
    if star is None:
        return None
    return {
        "id": star["id"], "magnitude": star["magnitude"],
        "catalogue": needs(rep, "code")(lambda: f"BSC/{rep['code']}"),
        "summary": needs(rep, "designation")(lambda: f"{rep['designation']} at mag {star['magnitude']}"),
    }


REQUIRES_CIRCULAR = Scenario(
    name="requires-circular",
    subgraphs={
        "catalog": Subgraph(
            sdl=FED2 + """
              type Query { stars: [Star!]! star(id: ID!): Star }
              type Star @key(fields: "id") {
                id: ID!
                name: String!
                code: String!
                catalogue: String @external
                designation: String @requires(fields: "catalogue")
                summary: String @external
                headline: String @requires(fields: "summary")
              }
            """,
            root={"stars": lambda args: [_catalog_star(i) for i in STARS],
                  "star": lambda args: _catalog_star(args["id"])},
            entities={"Star": lambda rep: _catalog_star(rep["id"], rep)},
        ),
        "charts": Subgraph(
            sdl=FED2 + """
              type Query { brightest: Star }
              type Star @key(fields: "id") {
                id: ID!
                magnitude: Float!
                code: String! @external
                catalogue: String @requires(fields: "code")
                designation: String @external
                summary: String @requires(fields: "designation")
              }
            """,
            root={"brightest": lambda args: {
                "id": "s2", "magnitude": -1.46,
                "catalogue": never("catalogue without code"), "summary": never("summary without designation"),
            }},
            entities={"Star": _charts_star},
        ),
    },
    cases=[
        Case("{ stars { headline } }", {"stars": [
            {"headline": "Vega -- Vega (BSC/HR7001) at mag 0.03"},
            {"headline": "Sirius -- Sirius (BSC/HR2491) at mag -1.46"},
            {"headline": "Polaris -- Polaris (BSC/HR424) at mag 1.98"},
        ]}),
        Case("{ stars { name catalogue designation summary } }", {"stars": [
            {"name": "Vega", "catalogue": "BSC/HR7001", "designation": "Vega (BSC/HR7001)",
             "summary": "Vega (BSC/HR7001) at mag 0.03"},
            {"name": "Sirius", "catalogue": "BSC/HR2491", "designation": "Sirius (BSC/HR2491)",
             "summary": "Sirius (BSC/HR2491) at mag -1.46"},
            {"name": "Polaris", "catalogue": "BSC/HR424", "designation": "Polaris (BSC/HR424)",
             "summary": "Polaris (BSC/HR424) at mag 1.98"},
        ]}),
        # starts in charts: charts -> catalog -> charts -> catalog -> charts -> catalog
        Case("{ brightest { magnitude headline } }",
             {"brightest": {"magnitude": -1.46, "headline": "Sirius -- Sirius (BSC/HR2491) at mag -1.46"}}),
        Case('{ star(id: "s3") { designation code } }',
             {"star": {"designation": "Polaris (BSC/HR424)", "code": "HR424"}}),
    ],
)


# --- requires-interface: requirements through an interface, with type conditions ----------------

SKIERS = {
    "k1": {"id": "k1", "name": "Ana",
           "pass": {"__typename": "SeasonPass", "id": "p1", "holder": "Ana M.", "region": "Valais"},
           "history": [
               {"__typename": "SeasonPass", "id": "h1", "holder": "Ana M.", "region": "Grisons"},
               {"__typename": "DayPass", "id": "h2", "holder": "Ana M.", "validOn": "2023-01-14"},
               {"__typename": "SeasonPass", "id": "h3", "holder": "Ana M.", "region": "Valais"},
           ]},
    "k2": {"id": "k2", "name": "Ben",
           "pass": {"__typename": "DayPass", "id": "p2", "holder": "Ben K.", "validOn": "2024-02-03"},
           "history": [{"__typename": "DayPass", "id": "h4", "holder": "Ben K.", "validOn": "2023-12-30"}]},
    "k3": {"id": "k3", "name": "Cleo", "pass": None, "history": []},
}


def _lift_skier(rep: dict[str, Any]) -> dict[str, Any]:
    def pass_of() -> dict[str, Any] | None:
        ticket = rep["pass"]
        if ticket is None:
            return None
        kind = ticket.get("__typename")
        wanted = {"SeasonPass": ("holder", "region"), "DayPass": ("holder", "validOn")}.get(kind)
        if wanted is None or any(f not in ticket for f in wanted):
            raise ValueError(f"pass representation does not follow its type conditions: {ticket}")
        if kind == "DayPass" and "region" in ticket:
            raise ValueError(f"a day pass has no region: {ticket}")
        return ticket

    def access() -> str:
        ticket = pass_of()
        if ticket is None:
            return "no lifts"
        if ticket["__typename"] == "SeasonPass":
            return f"{ticket['holder']}: every lift in {ticket['region']}"
        return f"{ticket['holder']}: valid on {ticket['validOn']}"

    def region() -> str | None:
        ticket = pass_of()
        return ticket["region"] if ticket and ticket["__typename"] == "SeasonPass" else None

    def regions() -> str:
        seen = []
        for ticket in rep["history"]:
            kind = ticket.get("__typename")
            if kind not in ("SeasonPass", "DayPass") or (kind == "SeasonPass") != ("region" in ticket):
                raise ValueError(f"history representation does not follow its type conditions: {ticket}")
            if kind == "SeasonPass":
                seen.append(ticket["region"])
        return ", ".join(seen) or "none"

    return {"id": rep["id"], "liftAccess": needs(rep, "pass")(access), "passRegion": needs(rep, "pass")(region),
            "seasonRegions": needs(rep, "history")(regions)}


REQUIRES_INTERFACE = Scenario(
    name="requires-interface",
    subgraphs={
        "accounts": Subgraph(
            sdl=FED2 + """
              type Query { skiers: [Skier!]! skier(id: ID!): Skier }
              type Skier @key(fields: "id") { id: ID! name: String! pass: Pass history: [Pass!]! }
              interface Pass { id: ID! holder: String! }
              type SeasonPass implements Pass { id: ID! holder: String! region: String! }
              type DayPass implements Pass { id: ID! holder: String! validOn: String! }
            """,
            root={"skiers": lambda args: list(SKIERS.values()), "skier": lambda args: SKIERS.get(args["id"])},
            entities={"Skier": lambda rep: SKIERS.get(rep["id"])},
        ),
        "lifts": Subgraph(
            sdl=FED2 + """
              type Skier @key(fields: "id") {
                id: ID!
                pass: Pass @external
                liftAccess: String!
                  @requires(fields: "pass { __typename holder ... on SeasonPass { region } ... on DayPass { validOn } }")
                passRegion: String
                  @requires(fields: "pass { __typename ... on SeasonPass { holder region } ... on DayPass { holder validOn } }")
                history: [Pass!]! @external
                seasonRegions: String! @requires(fields: "history { __typename ... on SeasonPass { region } }")
              }
              interface Pass { id: ID! holder: String! }
              type SeasonPass implements Pass { id: ID! @external holder: String! @external region: String! @external }
              type DayPass implements Pass { id: ID! @external holder: String! @external validOn: String! @external }
            """,
            entities={"Skier": _lift_skier},
        ),
    },
    cases=[
        Case("{ skiers { name liftAccess } }", {"skiers": [
            {"name": "Ana", "liftAccess": "Ana M.: every lift in Valais"},
            {"name": "Ben", "liftAccess": "Ben K.: valid on 2024-02-03"},
            {"name": "Cleo", "liftAccess": "no lifts"},
        ]}),
        # the region exists only on a season pass: the day pass's region is null
        Case("{ skiers { passRegion } }",
             {"skiers": [{"passRegion": "Valais"}, {"passRegion": None}, {"passRegion": None}]}),
        Case("{ skiers { pass { holder ... on DayPass { validOn } } liftAccess } }", {"skiers": [
            {"pass": {"holder": "Ana M."}, "liftAccess": "Ana M.: every lift in Valais"},
            {"pass": {"holder": "Ben K.", "validOn": "2024-02-03"}, "liftAccess": "Ben K.: valid on 2024-02-03"},
            {"pass": None, "liftAccess": "no lifts"},
        ]}),
        Case('{ skier(id: "k2") { pass { __typename id } passRegion liftAccess } }', {"skier": {
            "pass": {"__typename": "DayPass", "id": "p2"}, "passRegion": None,
            "liftAccess": "Ben K.: valid on 2024-02-03",
        }}),
        # a list of interface values: the region is sent for the season passes only
        Case("{ skiers { name seasonRegions } }", {"skiers": [
            {"name": "Ana", "seasonRegions": "Grisons, Valais"},
            {"name": "Ben", "seasonRegions": "none"},
            {"name": "Cleo", "seasonRegions": "none"},
        ]}),
        Case("{ skiers { history { id } seasonRegions liftAccess } }", {"skiers": [
            {"history": [{"id": "h1"}, {"id": "h2"}, {"id": "h3"}], "seasonRegions": "Grisons, Valais",
             "liftAccess": "Ana M.: every lift in Valais"},
            {"history": [{"id": "h4"}], "seasonRegions": "none", "liftAccess": "Ben K.: valid on 2024-02-03"},
            {"history": [], "seasonRegions": "none", "liftAccess": "no lifts"},
        ]}),
    ],
)


# --- requires-requires: a chain of requirements, starting at an inaccessible field ----------------
# pantry.costCents (inaccessible) -> pricing.priceCents -> labels.priceTag

LOAVES = {
    "l1": {"id": "l1", "name": "Sourdough", "costCents": 180},
    "l2": {"id": "l2", "name": "Rye", "costCents": 150},
    "l3": {"id": "l3", "name": "Brioche", "costCents": 260},
}


def _pricing_loaf(rep: dict[str, Any]) -> dict[str, Any]:
    return {"id": rep["id"], "priceCents": needs(rep, "costCents")(lambda: rep["costCents"] * 2 + 20)}


def _labels_loaf(rep: dict[str, Any]) -> dict[str, Any]:
    def tag() -> str:
        return f"{rep['priceCents'] // 100}.{rep['priceCents'] % 100:02d} CHF"

    return {
        "id": rep["id"],
        "priceTag": needs(rep, "priceCents")(tag),
        "summary": needs(rep, "name", "priceCents")(lambda: f"{rep['name']} for {tag()}"),
    }


REQUIRES_REQUIRES = Scenario(
    name="requires-requires",
    subgraphs={
        "pantry": Subgraph(
            sdl=FED2 + """
              type Query { loaves: [Loaf!]! }
              type Loaf @key(fields: "id") { id: ID! name: String! costCents: Int! @inaccessible }
            """,
            root={"loaves": lambda args: list(LOAVES.values())},
            entities={"Loaf": lambda rep: LOAVES.get(rep["id"])},
        ),
        "pricing": Subgraph(
            sdl=FED2 + """
              type Loaf @key(fields: "id") {
                id: ID!
                costCents: Int! @external
                priceCents: Int! @requires(fields: "costCents")
              }
            """,
            entities={"Loaf": _pricing_loaf},
        ),
        "labels": Subgraph(
            sdl=FED2 + """
              type Query { loaf(id: ID!): Loaf }
              type Loaf @key(fields: "id") {
                id: ID!
                name: String! @external
                priceCents: Int! @external
                priceTag: String! @requires(fields: "priceCents")
                summary: String! @requires(fields: "name priceCents")
              }
            """,
            root={"loaf": lambda args: {"id": args["id"], "priceTag": never("priceTag without priceCents"),
                                        "summary": never("summary without its requirements")}
                  if args["id"] in LOAVES else None},
            entities={"Loaf": _labels_loaf},
        ),
    },
    cases=[
        Case("{ loaves { name priceTag } }", {"loaves": [
            {"name": "Sourdough", "priceTag": "3.80 CHF"},
            {"name": "Rye", "priceTag": "3.20 CHF"},
            {"name": "Brioche", "priceTag": "5.40 CHF"},
        ]}),
        Case("{ loaves { priceCents summary priceTag } }", {"loaves": [
            {"priceCents": 380, "summary": "Sourdough for 3.80 CHF", "priceTag": "3.80 CHF"},
            {"priceCents": 320, "summary": "Rye for 3.20 CHF", "priceTag": "3.20 CHF"},
            {"priceCents": 540, "summary": "Brioche for 5.40 CHF", "priceTag": "5.40 CHF"},
        ]}),
        # starts in labels, goes to pantry (name, costCents), pricing, and back to labels
        Case('{ loaf(id: "l3") { summary } }', {"loaf": {"summary": "Brioche for 5.40 CHF"}}),
        Case("{ loaves { name costCents } }", None, errors=True),
    ],
)


# --- requires-with-argument: a requirement with arguments beside the client's own --------------------

TELESCOPES = {
    "t1": {"id": "t1", "name": "Hale", "log": [("M31", 5), ("Vega", 4), ("Saturn", 3), ("Jupiter", 2), ("Mars", 1)]},
    "t2": {"id": "t2", "name": "Keck", "log": [("Orion Nebula", 9), ("Sirius", 8), ("Betelgeuse", 7), ("Rigel", 6)]},
}


def _archive_telescope(telescope_id: str) -> dict[str, Any] | None:
    scope = TELESCOPES.get(telescope_id)
    if scope is None:
        return None
    return {
        "id": scope["id"], "name": scope["name"],
        "observations": lambda args: [{"target": t, "night": n} for t, n in scope["log"][: args["last"]]],
    }


def _digest_telescope(rep: dict[str, Any]) -> dict[str, Any]:
    def digest() -> str:
        seen = rep["observations"]
        if len(seen) != 3 or any(set(o) != {"target"} for o in seen):
            raise ValueError(f"expected the last 3 observations' targets, got {seen}")
        return "This week: " + ", ".join(o["target"] for o in seen)

    return {"id": rep["id"], "weeklyDigest": needs(rep, "observations")(digest)}


REQUIRES_WITH_ARGUMENT = Scenario(
    name="requires-with-argument",
    subgraphs={
        "archive": Subgraph(
            sdl=FED2 + """
              type Query { telescopes: [Telescope!]! telescope(id: ID!): Telescope }
              type Telescope @key(fields: "id") {
                id: ID!
                name: String!
                observations(last: Int! = 2): [Observation!]!
              }
              type Observation { target: String! night: Int! }
            """,
            root={"telescopes": lambda args: [_archive_telescope(i) for i in TELESCOPES],
                  "telescope": lambda args: _archive_telescope(args["id"])},
            entities={"Telescope": lambda rep: _archive_telescope(rep["id"])},
        ),
        "digest": Subgraph(
            sdl=FED2 + """
              type Telescope @key(fields: "id") {
                id: ID!
                observations(last: Int! = 2): [Observation!]! @external
                weeklyDigest: String! @requires(fields: "observations(last: 3) { target }")
              }
              type Observation { target: String! @external }
            """,
            entities={"Telescope": _digest_telescope},
        ),
    },
    cases=[
        Case("{ telescopes { name weeklyDigest } }", {"telescopes": [
            {"name": "Hale", "weeklyDigest": "This week: M31, Vega, Saturn"},
            {"name": "Keck", "weeklyDigest": "This week: Orion Nebula, Sirius, Betelgeuse"},
        ]}),
        # the client's observations(last: 1) and the requirement's observations(last: 3)
        Case("{ telescopes { observations(last: 1) { target } weeklyDigest } }", {"telescopes": [
            {"observations": [{"target": "M31"}], "weeklyDigest": "This week: M31, Vega, Saturn"},
            {"observations": [{"target": "Orion Nebula"}],
             "weeklyDigest": "This week: Orion Nebula, Sirius, Betelgeuse"},
        ]}),
        # the default argument (2) against the requirement's 3
        Case("{ telescopes { weeklyDigest observations { target } } }", {"telescopes": [
            {"weeklyDigest": "This week: M31, Vega, Saturn",
             "observations": [{"target": "M31"}, {"target": "Vega"}]},
            {"weeklyDigest": "This week: Orion Nebula, Sirius, Betelgeuse",
             "observations": [{"target": "Orion Nebula"}, {"target": "Sirius"}]},
        ]}),
        # same arguments, different sub-selections: the client sees only `night`
        Case("{ telescopes { observations(last: 3) { night } weeklyDigest } }", {"telescopes": [
            {"observations": [{"night": 5}, {"night": 4}, {"night": 3}],
             "weeklyDigest": "This week: M31, Vega, Saturn"},
            {"observations": [{"night": 9}, {"night": 8}, {"night": 7}],
             "weeklyDigest": "This week: Orion Nebula, Sirius, Betelgeuse"},
        ]}),
        Case('{ telescope(id: "t2") { weeklyDigest recent: observations(last: 1) { target night }'
             ' observations(last: 4) { target } } }', {"telescope": {
                 "weeklyDigest": "This week: Orion Nebula, Sirius, Betelgeuse",
                 "recent": [{"target": "Orion Nebula", "night": 9}],
                 "observations": [{"target": "Orion Nebula"}, {"target": "Sirius"}, {"target": "Betelgeuse"},
                                  {"target": "Rigel"}],
             }}),
        # the client's argument comes from a variable's default
        Case("query ($n: Int! = 1) { telescopes { observations(last: $n) { target } weeklyDigest } }",
             {"telescopes": [
                 {"observations": [{"target": "M31"}], "weeklyDigest": "This week: M31, Vega, Saturn"},
                 {"observations": [{"target": "Orion Nebula"}],
                  "weeklyDigest": "This week: Orion Nebula, Sirius, Betelgeuse"},
             ]}),
    ],
)


# --- requires-with-argument-conflict: one field required with two argument values --------------------

RENTAL_FEES = {  # cents per currency
    "r1": {"item": "Skis", "CHF": 3000, "EUR": 3150},
    "r2": {"item": "Helmet", "CHF": 800, "EUR": 840},
}


def _shop_rental(rental_id: str) -> dict[str, Any] | None:
    fees = RENTAL_FEES.get(rental_id)
    if fees is None:
        return None
    return {"id": rental_id, "item": fees["item"], "feeCents": lambda args: fees[args["currency"]]}


def _receipt(currency: str, rep: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    return needs(rep, "feeCents")(lambda: f"{currency} {rep['feeCents'] // 100}.{rep['feeCents'] % 100:02d}")


REQUIRES_WITH_ARGUMENT_CONFLICT = Scenario(
    name="requires-with-argument-conflict",
    subgraphs={
        "shop": Subgraph(
            sdl=FED2 + """
              type Query { rentals: [Rental!]! rental(id: ID!): Rental }
              type Rental @key(fields: "id") { id: ID! item: String! feeCents(currency: String!): Int! }
            """,
            root={"rentals": lambda args: [_shop_rental(i) for i in RENTAL_FEES],
                  "rental": lambda args: _shop_rental(args["id"])},
            entities={"Rental": lambda rep: _shop_rental(rep["id"])},
        ),
        "receipts": Subgraph(
            sdl=FED2 + """
              type Rental @key(fields: "id") {
                id: ID!
                feeCents(currency: String!): Int! @external
                receiptChf: String! @requires(fields: "feeCents(currency: \\"CHF\\")")
                receiptEur: String! @requires(fields: "feeCents(currency: \\"EUR\\")")
              }
            """,
            entities={"Rental": lambda rep: {"id": rep["id"], "receiptChf": _receipt("CHF", rep),
                                             "receiptEur": _receipt("EUR", rep)}},
        ),
    },
    cases=[
        Case("{ rentals { item receiptChf receiptEur } }", {"rentals": [
            {"item": "Skis", "receiptChf": "CHF 30.00", "receiptEur": "EUR 31.50"},
            {"item": "Helmet", "receiptChf": "CHF 8.00", "receiptEur": "EUR 8.40"},
        ]}),
        Case('{ rentals { feeCents(currency: "EUR") receiptChf } }', {"rentals": [
            {"feeCents": 3150, "receiptChf": "CHF 30.00"},
            {"feeCents": 840, "receiptChf": "CHF 8.00"},
        ]}),
        Case('{ rental(id: "r2") { receiptEur chf: feeCents(currency: "CHF") receiptChf } }',
             {"rental": {"receiptEur": "EUR 8.40", "chf": 800, "receiptChf": "CHF 8.00"}}),
    ],
)


# --- requires-with-fragments: type conditions in requirements, an inaccessible member ----------------

PLANETS = {
    "p1": {"id": "p1", "name": "Jupiter", "satellites": [
        {"__typename": "Moon", "name": "Io", "radiusKm": 1821},
        {"__typename": "Moon", "name": "Europa", "radiusKm": 1560},
    ]},
    "p2": {"id": "p2", "name": "Mars", "satellites": [
        {"__typename": "CapturedAsteroid", "name": "Phobos", "lengthKm": 27},
        {"__typename": "CapturedAsteroid", "name": "Deimos", "lengthKm": 15},
    ]},
    "p3": {"id": "p3", "name": "Earth", "satellites": [{"__typename": "Moon", "name": "Luna", "radiusKm": 1737}]},
}


def _lab_planet(rep: dict[str, Any]) -> dict[str, Any]:
    def describe(body: dict[str, Any]) -> str:
        kind = body.get("__typename")
        if kind == "Moon" and {"name", "radiusKm"} <= set(body):
            return f"{body['name']} r={body['radiusKm']}km"
        if kind == "CapturedAsteroid" and {"name", "lengthKm"} <= set(body):
            return f"{body['name']} l={body['lengthKm']}km"
        raise ValueError(f"satellite representation does not follow its type conditions: {body}")

    def moons() -> int:
        found = [b for b in rep["satellites"] if b.get("__typename") == "Moon"]
        if any("name" not in b for b in found) or any("__typename" not in b for b in rep["satellites"]):
            raise ValueError(f"satellite representation without its fields: {rep['satellites']}")
        return len(found)

    return {
        "id": rep["id"],
        "orbitReport": needs(rep, "satellites")(lambda: "; ".join(describe(b) for b in rep["satellites"])),
        "moonCount": needs(rep, "satellites")(moons),
    }


REQUIRES_WITH_FRAGMENTS = Scenario(
    name="requires-with-fragments",
    subgraphs={
        "sky": Subgraph(
            sdl=FED2 + """
              type Query { planets: [Planet!]! planet(id: ID!): Planet }
              type Planet @key(fields: "id") { id: ID! name: String! satellites: [Satellite] }
              interface Satellite { name: String! }
              type Moon implements Satellite { name: String! radiusKm: Int! }
              type CapturedAsteroid implements Satellite @inaccessible { name: String! lengthKm: Int! }
            """,
            root={"planets": lambda args: list(PLANETS.values()), "planet": lambda args: PLANETS.get(args["id"])},
            entities={"Planet": lambda rep: PLANETS.get(rep["id"])},
        ),
        "lab": Subgraph(
            sdl=FED2 + """
              type Planet @key(fields: "id") {
                id: ID!
                satellites: [Satellite] @external
                orbitReport: String!
                  @requires(fields: "satellites { __typename name ... on Moon { radiusKm } ... on CapturedAsteroid { lengthKm } }")
                moonCount: Int! @requires(fields: "satellites { __typename ... on Moon { name } }")
              }
              interface Satellite { name: String! }
              type Moon implements Satellite { name: String! @external radiusKm: Int! @external }
              type CapturedAsteroid implements Satellite @inaccessible {
                name: String! @external
                lengthKm: Int! @external
              }
            """,
            entities={"Planet": _lab_planet},
        ),
    },
    cases=[
        Case("{ planets { name orbitReport } }", {"planets": [
            {"name": "Jupiter", "orbitReport": "Io r=1821km; Europa r=1560km"},
            {"name": "Mars", "orbitReport": "Phobos l=27km; Deimos l=15km"},
            {"name": "Earth", "orbitReport": "Luna r=1737km"},
        ]}),
        Case("{ planets { name moonCount } }", {"planets": [
            {"name": "Jupiter", "moonCount": 2}, {"name": "Mars", "moonCount": 0}, {"name": "Earth", "moonCount": 1},
        ]}),
        Case("{ planets { moonCount orbitReport } }", {"planets": [
            {"moonCount": 2, "orbitReport": "Io r=1821km; Europa r=1560km"},
            {"moonCount": 0, "orbitReport": "Phobos l=27km; Deimos l=15km"},
            {"moonCount": 1, "orbitReport": "Luna r=1737km"},
        ]}),
        Case('{ planet(id: "p1") { satellites { ... on Moon { radiusKm } } orbitReport moonCount } }', {"planet": {
            "satellites": [{"radiusKm": 1821}, {"radiusKm": 1560}],
            "orbitReport": "Io r=1821km; Europa r=1560km", "moonCount": 2,
        }}),
        # an inaccessible type reaching the client: the object is null, with an error
        Case('{ planet(id: "p2") { name satellites { name } } }',
             {"planet": {"name": "Mars", "satellites": [None, None]}}, errors=True),
        Case("{ planets { satellites { name } } }", {"planets": [
            {"satellites": [{"name": "Io"}, {"name": "Europa"}]},
            {"satellites": [None, None]},
            {"satellites": [{"name": "Luna"}]},
        ]}, errors=True),
    ],
)


SCENARIOS = [
    REQUIRES_CIRCULAR,
    REQUIRES_INTERFACE,
    REQUIRES_REQUIRES,
    REQUIRES_WITH_ARGUMENT,
    REQUIRES_WITH_ARGUMENT_CONFLICT,
    REQUIRES_WITH_FRAGMENTS,
]
