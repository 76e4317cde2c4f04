"""The till's state: a staff member signed in at a store, the member at the counter,
the basket with the engine's preview, the sale, returns, reservations to hand over
and (supervisors) point adjustments. Everything goes through the gateway with the
staff token `staffSignIn` issued; nothing here decides a price, a point or a rule."""
from __future__ import annotations

import logging
from typing import Any

import reflex as rx

from core.settings import get_settings

from . import gateway, till_scan, words
from . import till_api as api

log = logging.getLogger(__name__)

SESSION_ENDED = "Your session has ended: sign in again."
DEMO_HINT = ("Demo staff (dev only): ana.portland, PIN 480215 (cashier) · maya.supervisor, PIN 265830 "
             "(supervisor)")
ADJUST_REASONS = ["Service recovery", "Missing purchase points", "Goodwill", "Correction"]


def member_panel(member: dict[str, Any]) -> dict[str, str]:
    name = " ".join(n for n in (member.get("givenName"), member.get("familyName")) if n) or "Member"
    tier = member["tier"]
    points = member["points"]
    expiring = points.get("expiringNext") or {}
    following = tier.get("next") or {}
    return {
        "id": member["id"],
        "name": name,
        "initials": "".join(part[0] for part in name.split()[:2]).upper(),
        "email": member.get("email") or "",
        "phone": member.get("phone") or "",
        "home": (member.get("homeStore") or {}).get("name") or "",
        "since": words.day(member.get("enrolledAt")),
        "tier": tier["current"]["name"],
        "to_next": (f"{words.points(tier.get('pointsToNext') or 0)} points to {following['name']}"
                    if following.get("name") else "Top tier"),
        "available": words.points(points["available"]),
        "pending": words.points(points["pending"]),
        "expiring": (f"{words.points(expiring['points'])} expire {words.day(expiring['on'])}"
                     if expiring.get("points") else ""),
    }


def purchases_of(member: dict[str, Any]) -> list[dict[str, str]]:
    """The member's recent purchases the till can take a return for (earnings with a receipt id)."""
    rows = []
    for edge in member.get("activity", {}).get("edges", []):
        entry = edge["node"]
        if entry["kind"] == "EARN" and entry.get("reference"):
            rows.append({"reference": entry["reference"],
                         "label": f"{words.day(entry['occurredAt'])} · {entry['description']} · "
                                  f"{words.signed_points(entry['points'])} pts"})
    return rows


class TillState(rx.State):
    token: str = rx.LocalStorage("", name="loyalty_till_token")
    staff_id: str = rx.LocalStorage("", name="loyalty_till_staff")
    staff_name: str = rx.LocalStorage("", name="loyalty_till_name")
    role: str = rx.LocalStorage("", name="loyalty_till_role")
    store_id: str = rx.LocalStorage("", name="loyalty_till_store")
    store_name: str = rx.LocalStorage("", name="loyalty_till_store_name")
    signing_in: bool = False
    sign_in_error: str = ""
    demo_hint: str = ""  # the demo staff's logins, in the dev profile only
    notice: str = ""
    stores: list[dict[str, str]] = []

    # the member at the counter
    find_kind: str = "PHONE"
    find_value: str = ""
    finding: bool = False
    find_error: str = ""
    not_found: str = ""
    can_scan: bool = False  # this browser has a camera API and a QR detector (till_scan.CAN_SCAN)
    scanning: bool = False
    member: dict[str, str] = {}
    reservations: list[dict[str, str]] = []
    purchases: list[dict[str, str]] = []
    member_error: str = ""
    enrolling: bool = False
    show_enrol: bool = False
    enrol_error: str = ""

    # the basket
    mode: str = "sale"
    search: str = ""
    results: list[dict[str, str]] = []
    lines: list[dict[str, str]] = []
    sizes: dict[str, list[dict[str, str]]] = {}
    coupons: list[str] = []
    coupon_input: str = ""
    subtotal: str = "$0.00"
    discount: str = "$0.00"
    total: str = "$0.00"
    points_to_earn: int = 0
    effects: list[dict[str, str]] = []
    preview_error: str = ""
    sale_id: str = ""
    charging: bool = False
    sale_error: str = ""
    receipt: dict[str, str] = {}
    receipt_effects: list[dict[str, str]] = []
    sold: dict[str, list[dict[str, str]]] = {}  # this till's sales by externalId (for returns)

    # returns
    return_purchase: str = ""
    return_lines: list[dict[str, str]] = []
    return_sku: str = ""
    return_id: str = ""
    returning: bool = False
    return_error: str = ""
    return_result: str = ""

    # supervisors
    adjust_key: str = ""
    adjust_error: str = ""
    adjust_result: str = ""
    adjusting: bool = False

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.token) and bool(self.staff_id)

    @rx.var
    def is_supervisor(self) -> bool:
        return self.role in ("SUPERVISOR", "ADMIN")

    @rx.var
    def has_member(self) -> bool:
        return bool(self.member.get("id"))

    @rx.var
    def role_words(self) -> str:
        return self.role.title()

    @rx.var
    def basket_count(self) -> int:
        return sum(int(line["quantity"]) for line in self.lines)

    @rx.var
    def basket_words(self) -> str:
        count = self.basket_count
        return f"{count} item{'s' if count != 1 else ''}"

    @rx.var
    def charge_words(self) -> str:
        return f"Charge {self.total}"

    @rx.var
    def held_reservations(self) -> list[dict[str, str]]:
        return [r for r in self.reservations if r["status"] == "HELD"]

    @rx.var
    def find_placeholder(self) -> str:
        return {"PHONE": "Phone, e.g. 503 555 0142", "EMAIL": "Email", "LOYALTY_CARD": "Card number",
                "CODE": "Code under the wallet's QR (mbr_...)"}.get(self.find_kind, "")

    # --- talking to the gateway ------------------------------------------------------------------

    async def _call(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """One operation with the staff token. An expired or refused session signs the till out."""
        try:
            return await gateway.query(self.token, document, variables)
        except gateway.GatewayError as error:
            if error.code == "UNAUTHENTICATED":
                self._sign_out(SESSION_ENDED)
            raise

    def _sign_out(self, notice: str = "") -> None:
        self.reset()
        self.token = ""
        self.staff_id = ""
        self.staff_name = ""
        self.role = ""
        self.store_id = ""
        self.store_name = ""
        self.notice = notice

    # --- signing in ------------------------------------------------------------------------------

    @rx.event
    async def sign_in(self, form: dict[str, Any]):
        staff_id = str(form.get("staff_id") or "").strip()
        pin = str(form.get("pin") or "")
        if not staff_id or not pin:
            self.sign_in_error = "Enter your staff id and your PIN."
            return
        self.signing_in = True
        self.sign_in_error = ""
        self.notice = ""
        yield
        try:
            data = await gateway.query(None, api.STAFF_SIGN_IN, {"staffId": staff_id, "pin": pin})
        except gateway.GatewayError as error:
            self.signing_in = False
            self.sign_in_error = words.staff_sign_in_words(error.words, error.code, error.extensions)
            yield rx.set_value("pin", "")
            return
        session = data["staffSignIn"]
        self.token = session["token"]
        self.staff_id = session["staffId"]
        self.staff_name = session["name"]
        self.role = session["role"]
        store = session.get("store") or {}
        self.store_id = store.get("id") or ""
        self.store_name = store.get("name") or ""
        self.signing_in = False
        yield TillState.start

    @rx.event
    def sign_out(self):
        self._sign_out("Signed out.")

    @rx.event
    async def start(self):
        """On page load and after signing in: a fresh sale; the stores for a till without one."""
        self.demo_hint = DEMO_HINT if get_settings().is_dev else ""
        if not self.token:
            return
        if not self.sale_id:
            self.sale_id = api.new_sale_id(self.store_id)
        if not self.adjust_key:
            self.adjust_key = api.new_key("adjust")
        if not self.store_id:
            try:
                data = await self._call(api.STORES)
            except gateway.GatewayError as error:
                self.sale_error = error.words
                return
            self.stores = [{"id": s["id"], "name": f"{s['name']} ({s['city']})"} for s in data["stores"]]

    @rx.event
    def choose_store(self, store_id: str):
        """A supervisor without a home store rings up at the store they choose."""
        self.store_id = store_id
        self.store_name = next((s["name"] for s in self.stores if s["id"] == store_id), store_id)
        self.sale_id = api.new_sale_id(store_id)

    # --- the member ------------------------------------------------------------------------------

    @rx.event
    def set_find_kind(self, kind: str | list[str]):
        self.find_kind = kind if isinstance(kind, str) else (kind[0] if kind else "PHONE")

    @rx.event
    def set_find_value(self, value: str):
        self.find_value = value

    @rx.event
    async def find_member(self, form: dict[str, Any] | None = None):
        value = str((form or {}).get("find_value") or self.find_value).strip()
        self.find_value = value
        self.find_error = ""
        self.not_found = ""
        if not value:
            self.find_error = "Type a phone number, an email, a card number or the wallet's code."
            return
        async for update in self._find(value, api.lookup_kind(value, self.find_kind)):
            yield update

    async def _find(self, value: str, kind: str):
        """The member by what was typed or scanned: a wallet code (CODE) is parsed here, for both."""
        self.find_error = ""
        self.not_found = ""
        self.find_kind = kind
        self.finding = True
        yield
        try:
            if kind == "CODE":
                code = api.member_code(value)
                if code is None:
                    raise gateway.GatewayError("the wallet's code starts with mbr_ followed by 26 letters and digits",
                                               "BAD_USER_INPUT")
                found = (await self._call(api.MEMBER, {"id": code}))["member"]
            else:
                found = (await self._call(api.LOOKUP, {"kind": kind, "value": value}))["lookupMember"]
        except gateway.GatewayError as error:
            self.finding = False
            self.find_error = ("No member has this code." if error.code == "NOT_FOUND" else error.words)
            return
        self.finding = False
        if found is None:
            self.not_found = f"No member found for {api.KINDS[kind].lower()} {value}."
            return
        self._show_member(found)
        yield TillState.refresh_preview

    # --- the wallet card's QR, by camera ----------------------------------------------------------

    @rx.event
    def set_can_scan(self, can: bool | None):
        self.can_scan = can is True

    @rx.event
    def start_scan(self):
        """The camera's preview shows; the page's script (till_scan.SCAN) finds it, opens the rear
        camera and answers `scanned` once: a QR's text, a refusal, a timeout or a cancel."""
        if self.scanning:
            return
        self.scanning = True
        self.find_error = ""
        self.not_found = ""
        yield
        yield rx.call_script(till_scan.SCAN, callback=TillState.scanned)

    @rx.event
    def cancel_scan(self):
        """After the page's STOP_SCAN (the camera off at once): the typed code again."""
        self.scanning = False

    @rx.event
    async def scanned(self, result: Any = None):
        """A scan's outcome: its text goes the typed code's way (a QR that is no wallet code gets the
        same words as a mistyped code); a camera that is missing or refused, in words."""
        if not self.scanning:  # cancelled meanwhile (or signed out): nothing to do
            return
        self.scanning = False
        text, message = api.scan_result(result)
        if text is None:
            if message:  # no camera, refused or nothing seen: the typed code, ready
                self.find_kind = "CODE"
            self.find_error = message
            return
        self.find_value = text.strip()
        yield rx.set_value("find-value", self.find_value)
        async for update in self._find(self.find_value, "CODE"):
            yield update

    def _show_member(self, member: dict[str, Any]) -> None:
        self.member = member_panel(member)
        self.reservations = [reservation_row(r) for r in member.get("reservations") or []]
        self.purchases = purchases_of(member)
        self.member_error = ""
        self.not_found = ""
        self.show_enrol = False

    @rx.event
    def clear_member(self):
        self.member = {}
        self.reservations = []
        self.purchases = []
        self.find_value = ""
        self.member_error = ""
        self.return_purchase = ""
        self.return_lines = []
        self.adjust_result = ""
        self.adjust_error = ""
        return TillState.refresh_preview

    @rx.event
    async def reload_member(self):
        if not self.member.get("id"):
            return
        try:
            found = (await self._call(api.MEMBER, {"id": self.member["id"]}))["member"]
        except gateway.GatewayError as error:
            self.member_error = error.words
            return
        if found is not None:
            self._show_member(found)

    @rx.var
    def enrol_email(self) -> str:
        """What the cashier searched for, ready in the enrolment form."""
        return self.find_value if self.find_kind == "EMAIL" else ""

    @rx.var
    def enrol_phone(self) -> str:
        return self.find_value if self.find_kind == "PHONE" else ""

    @rx.event
    def open_enrol(self):
        self.show_enrol = True
        self.enrol_error = ""

    @rx.event
    def set_show_enrol(self, value: bool):
        self.show_enrol = value

    @rx.event
    async def enrol(self, form: dict[str, Any]):
        fields = {k: str(form.get(k) or "").strip() for k in ("given_name", "family_name", "email", "phone")}
        if not fields["email"] and not fields["phone"]:
            self.enrol_error = "Give an email or a phone number, so the member can be found next time."
            return
        enrolment: dict[str, Any] = {
            "channel": "POS",
            "givenName": fields["given_name"] or None,
            "familyName": fields["family_name"] or None,
            "email": fields["email"] or None,
            "phone": fields["phone"] or None,
            "homeStoreId": self.store_id or None,
        }
        if form.get("email_marketing"):
            enrolment["consents"] = {"emailMarketing": True}
        self.enrolling = True
        self.enrol_error = ""
        yield
        try:
            member_id = (await self._call(api.ENROL, {"input": enrolment}))["enrollMember"]["id"]
            found = (await self._call(api.MEMBER, {"id": member_id}))["member"]
        except gateway.GatewayError as error:
            self.enrolling = False
            self.enrol_error = error.words
            return
        self.enrolling = False
        self._show_member(found)
        self.notice = f"Welcome, {self.member['name']}: enrolled."
        yield TillState.refresh_preview

    @rx.event
    async def fulfil(self, reservation_id: str):
        try:
            reservation = (await self._call(api.FULFIL, {"id": reservation_id}))["fulfillReservation"]
        except gateway.GatewayError as error:
            self.member_error = error.words
            return
        row = reservation_row(reservation)
        self.reservations = [row if r["id"] == row["id"] else r for r in self.reservations]
        self.notice = f"Handed over: {row['product']}{' (' + row['size'] + ')' if row['size'] else ''}."

    @rx.event
    async def ring_up_reservation(self, reservation_id: str):
        """The reserved product in the basket: a checkout at this store takes the held unit."""
        row = next((r for r in self.reservations if r["id"] == reservation_id), None)
        if row is None:
            return
        async for update in self._add(row["sku"], row["size"]):
            yield update

    # --- the basket ------------------------------------------------------------------------------

    @rx.event
    def set_mode(self, mode: str | list[str]):
        self.mode = mode if mode in ("sale", "return") else "sale"

    @rx.event
    async def search_products(self, text: str):
        self.search = text
        cleaned = text.strip()
        if not cleaned:
            self.results = []
            return
        try:
            data = await self._call(api.PRODUCTS, {"search": cleaned[:64]})
        except gateway.GatewayError as error:
            self.sale_error = error.words
            return
        self.results = [{"sku": p["sku"], "name": p["name"], "category": p["category"],
                         "price": words.money(p["price"])} for p in (e["node"] for e in data["products"]["edges"])]

    @rx.event
    async def add_product(self, sku: str):
        async for update in self._add(sku, None):
            yield update

    async def _add(self, sku: str, size: str | None):
        self.sale_error = ""
        self.receipt = {}
        try:
            product = (await self._call(api.PRODUCT_STOCK, {"sku": sku, "storeId": self.store_id}))["product"]
        except gateway.GatewayError as error:
            self.sale_error = error.words
            return
        if product is None:
            self.sale_error = f"{sku} is not in the catalogue."
            return
        choices = api.sizes_of(product["stock"])
        self.sizes = {**self.sizes, sku: [{"size": c.size, "label": c.label} for c in choices]}
        self.lines = api.add_line(self.lines, product, size or api.first_size(choices))
        self.search = ""
        self.results = []
        yield rx.set_value("product-search", "")
        yield TillState.refresh_preview

    @rx.event
    def change_quantity(self, key: str, delta: int):
        line = next((ln for ln in self.lines if ln["key"] == key), None)
        if line is not None:
            self.lines = api.set_quantity(self.lines, key, int(line["quantity"]) + delta)
        return TillState.refresh_preview

    @rx.event
    def remove_line(self, key: str):
        self.lines = api.set_quantity(self.lines, key, 0)
        return TillState.refresh_preview

    @rx.event
    def change_size(self, key: str, size: str):
        self.lines = api.set_size(self.lines, key, size)
        return TillState.refresh_preview

    @rx.event
    def set_coupon_input(self, value: str):
        self.coupon_input = value

    @rx.event
    def add_coupon(self, form: dict[str, Any] | None = None):
        code = str((form or {}).get("coupon") or self.coupon_input).strip().upper()
        self.coupon_input = ""
        if code and code not in self.coupons:
            self.coupons = [*self.coupons, code]
        yield rx.set_value("coupon", "")
        yield TillState.refresh_preview

    @rx.event
    def remove_coupon(self, code: str):
        self.coupons = [c for c in self.coupons if c != code]
        return TillState.refresh_preview

    def _basket(self) -> dict[str, Any]:
        return api.basket_input(self.lines, member_id=self.member.get("id", ""), store_id=self.store_id,
                                coupons=self.coupons)

    @rx.event
    async def refresh_preview(self):
        """The engine's dry run of the basket as it is now (evaluateBasket writes nothing)."""
        if not self.token:
            return
        if not self.lines:
            self.subtotal = self.discount = self.total = words.money(0)
            self.points_to_earn = 0
            self.effects = []
            self.preview_error = ""
            return
        try:
            evaluation = (await self._call(api.EVALUATE, {"input": self._basket()}))["evaluateBasket"]
        except gateway.GatewayError as error:
            self.preview_error = error.words
            return
        self.preview_error = ""
        self._show_evaluation(evaluation)

    def _show_evaluation(self, evaluation: dict[str, Any]) -> None:
        self.subtotal = words.money(evaluation["subtotal"])
        self.discount = words.money(evaluation["discount"])
        self.total = words.money(evaluation["total"])
        self.points_to_earn = int(evaluation["pointsToEarn"])
        self.effects = api.effect_rows(evaluation["effects"])

    @rx.event
    async def charge(self):
        """Checkout with this sale's externalId: a retry (a lost answer, a double tap) is the
        same sale, answered `duplicate` and never posted twice."""
        if not self.lines or self.charging:
            return
        if not self.sale_id:
            self.sale_id = api.new_sale_id(self.store_id)
        self.charging = True
        self.sale_error = ""
        yield
        try:
            result = (await self._call(api.CHECKOUT, {"input": {"externalId": self.sale_id,
                                                                "basket": self._basket()}}))["checkout"]
        except gateway.GatewayError as error:
            self.charging = False
            if error.code == "CONFLICT":
                self.sale_error = (f"{error.words} This sale ({self.sale_id}) was already recorded with "
                                   "another basket: start a new sale.")
            else:
                self.sale_error = error.words
            return
        self.charging = False
        member = result.get("member")
        self.sold = {**self.sold, result["externalId"]: [dict(line) for line in self.lines]}
        self.receipt = {
            "id": result["externalId"],
            "total": words.money(result["evaluation"]["total"]),
            "points": words.points(result["pointsEarned"]),
            "earned": "yes" if result["pointsEarned"] else "",
            "who": member_panel(member)["name"] if member else "",
            "balance": words.points(member["points"]["available"]) if member else "",
            "duplicate": "yes" if result["duplicate"] else "",
        }
        self.receipt_effects = api.effect_rows(result["evaluation"]["effects"])
        if member:
            self._show_member(member)
        self.lines = []
        self.coupons = []
        self.sale_id = api.new_sale_id(self.store_id)
        yield TillState.refresh_preview

    @rx.event
    def new_sale(self):
        self.lines = []
        self.coupons = []
        self.receipt = {}
        self.receipt_effects = []
        self.sale_error = ""
        self.sale_id = api.new_sale_id(self.store_id)
        return TillState.refresh_preview

    # --- returns ---------------------------------------------------------------------------------

    @rx.event
    def set_return_purchase(self, reference: str):
        self._return_purchase(reference)

    @rx.event
    def choose_return_purchase(self, reference: str):
        """A purchase picked from the member's list: the receipt field shows its number too."""
        self._return_purchase(reference)
        return rx.set_value("return-purchase", reference)

    def _return_purchase(self, reference: str) -> None:
        """The purchase to take items back from; this till's own sales come with their lines."""
        self.return_purchase = reference.strip()
        self.return_result = ""
        self.return_error = ""
        self.return_id = ""
        sold = self.sold.get(self.return_purchase)
        self.return_lines = ([{"sku": ln["sku"], "name": ln["name"], "size": ln["size"], "sold": ln["quantity"],
                               "quantity": "0"} for ln in sold] if sold else [])

    @rx.event
    def set_return_sku(self, value: str):
        self.return_sku = value

    @rx.event
    def add_return_line(self, form: dict[str, Any] | None = None):
        """A line of a purchase this till did not ring up: the SKU from the receipt."""
        sku = str((form or {}).get("return_sku") or self.return_sku).strip().upper()
        self.return_sku = ""
        if sku and not any(ln["sku"] == sku for ln in self.return_lines):
            self.return_lines = [*self.return_lines, {"sku": sku, "name": sku, "size": "", "sold": "",
                                                      "quantity": "1"}]
        yield rx.set_value("return_sku", "")

    @rx.event
    def change_return_quantity(self, sku: str, delta: int):
        rows = []
        for line in self.return_lines:
            if line["sku"] == sku:
                most = int(line["sold"]) if line["sold"] else api.MAX_QUANTITY
                line = {**line, "quantity": str(min(max(int(line["quantity"]) + delta, 0), most))}
            rows.append(line)
        self.return_lines = rows

    @rx.event
    async def record_return(self):
        lines = [{"sku": ln["sku"], "quantity": int(ln["quantity"])} for ln in self.return_lines
                 if int(ln["quantity"]) > 0]
        if not self.return_purchase:
            self.return_error = "Choose the purchase (or type its receipt number) first."
            return
        if not lines:
            self.return_error = "Choose what comes back: at least one item."
            return
        if not self.return_id:
            self.return_id = api.new_key("return")  # the same for every retry of this return
        self.returning = True
        self.return_error = ""
        yield
        try:
            result = (await self._call(api.RECORD_RETURN, {"input": {
                "externalId": self.return_id, "purchaseExternalId": self.return_purchase, "lines": lines,
            }}))["recordReturn"]
        except gateway.GatewayError as error:
            self.returning = False
            self.return_error = error.words
            return
        self.returning = False
        reversed_points = int(result["pointsReversed"])
        self.return_result = (f"Return recorded: {words.points(reversed_points)} points taken back"
                              if reversed_points else "Return recorded: no points to take back")
        if result.get("member"):
            self._show_member(result["member"])
        self.return_id = ""
        self.return_lines = [{**ln, "quantity": "0"} for ln in self.return_lines]

    # --- supervisors -----------------------------------------------------------------------------

    @rx.event
    async def adjust(self, form: dict[str, Any]):
        raw = str(form.get("points") or "").strip().replace("\u2212", "-").replace(" ", "")
        reason = str(form.get("reason") or "").strip()
        note = str(form.get("note") or "").strip()
        if note:
            reason = f"{reason}: {note}" if reason else note
        try:
            change = int(raw)
        except ValueError:
            self.adjust_error = "Points are a whole number: 50 adds, -50 takes away."
            return
        if change == 0 or not reason:
            self.adjust_error = "Give the points (not 0) and a reason."
            return
        self.adjusting = True
        self.adjust_error = ""
        yield
        try:
            entry = (await self._call(api.ADJUST, {"input": {"memberId": self.member["id"], "points": change,
                                                             "reason": reason,
                                                             "idempotencyKey": self.adjust_key}}))["adjustPoints"]
        except gateway.GatewayError as error:
            self.adjusting = False
            self.adjust_error = error.words
            return
        self.adjusting = False
        self.adjust_key = api.new_key("adjust")  # the next adjustment is a new one
        self.adjust_result = (f"{words.signed_points(int(entry['points']))} points recorded; "
                              f"balance {words.points(int(entry['balanceAfter']))}.")
        self.member = {**self.member, "available": words.points(int(entry["balanceAfter"]))}
        yield rx.set_value("adjust_points", "")
        yield rx.set_value("adjust_note", "")
        yield TillState.reload_member


def reservation_row(reservation: dict[str, Any]) -> dict[str, str]:
    status = reservation["status"]
    return {
        "id": reservation["id"],
        "status": status,
        "status_words": words.RESERVATION_STATUS.get(status, status.title()),
        "sku": (reservation.get("product") or {}).get("sku") or "",
        "product": (reservation.get("product") or {}).get("name") or "",
        "size": reservation.get("size") or "",
        "store": (reservation.get("store") or {}).get("name") or "",
        "hold_until": words.day(reservation.get("holdUntil")),
    }
