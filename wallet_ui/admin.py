"""The admin's state (`/admin`, marketers): a staff member with the admin role signed in
(profile's `staffSignIn`), the campaigns with their status, version, budget and A/B counts,
the editor (condition checked by the engine as it is typed, effects from a form, JSON as an
escape hatch), the dry run on a member, status changes; the rewards catalogue and the
segments with their live member counts; the outbound webhooks. Everything through the gateway, with the staff token."""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import reflex as rx

from core.settings import get_settings

from . import admin_api as api
from . import gateway, live, state, till_api, words

log = logging.getLogger(__name__)

SESSION_ENDED = "Your session has ended: sign in again."
NOT_AN_ADMIN = ("This screen is for the program's marketers (the admin role). Sign in at the till for "
                "sales and adjustments.")
DEMO_HINT = "Demo marketer (dev only): lena.marketing, PIN 604817"
SEGMENT_POLL_SECONDS = 3.0
EMPTY_EFFECT = {"kind": "add_points", "measure": "points", "value": "", "target": "cart", "names": "",
                "valid_days": "30", "description": ""}


def _variant_entry(name: str, weight: str, effects: list[str], counts: str) -> dict[str, str]:
    return {"name": name, "weight": weight, "effects": json.dumps(effects),
            "words": api.variant_effects_words(effects), "counts": counts}


class AdminState(rx.State):
    token: str = rx.LocalStorage("", name="loyalty_admin_token")
    staff_id: str = rx.LocalStorage("", name="loyalty_admin_staff")
    staff_name: str = rx.LocalStorage("", name="loyalty_admin_name")
    signing_in: bool = False
    sign_in_error: str = ""
    demo_hint: str = ""
    notice: str = ""
    error: str = ""
    tab: str = "campaigns"
    loading: bool = False

    # campaigns
    campaigns: list[api.CampaignRow] = []
    _raw_campaigns: dict[str, dict[str, Any]] = {}
    confirm_end: str = ""  # the campaign waiting for "End" to be confirmed
    changing: str = ""

    # the editor
    editing: bool = False
    edit_id: str = ""
    edit_version: str = ""
    name: str = ""
    trigger: str = "basket"
    condition: str = "true"
    priority: str = "0"
    cap: str = ""
    budget_limit: str = ""
    budget_unit: str = "points"
    audience: str = "everyone"
    personalized: bool = False
    exclusive: bool = False
    effects: list[dict[str, str]] = []  # {"spec": JSON, "words": text}
    # A/B variants: {"name", "weight", "effects" (a JSON list of specs), "words", "counts"}
    variants: list[dict[str, str]] = []
    variants_problem: str = ""
    variant_open: bool = False  # the variant form is open: the effect form builds the variant's effects
    variant_index: int = -1  # the variant being changed (-1: a new one)
    variant_key: int = 0  # a new key empties the variant form's (uncontrolled) fields
    variant_name: str = ""
    variant_weight: str = "1"
    variant_effects: list[dict[str, str]] = []  # {"spec", "words"}, as the campaign's effects
    variant_error: str = ""
    effect: dict[str, str] = dict(EMPTY_EFFECT)
    effect_error: str = ""
    show_json: bool = False
    json_spec: str = ""
    condition_problem: str = ""
    condition_where: str = ""
    other_problem: str = ""
    checked: bool = False
    saving: bool = False
    save_error: str = ""

    # the dry run
    dry_email: str = "julia@example.com"
    dry_basket: str = ""
    dry_running: bool = False
    dry_error: str = ""
    dry_effects: list[dict[str, str]] = []
    dry_done: str = ""

    # rewards
    rewards: list[dict[str, str]] = []
    reward_open: bool = False
    reward: dict[str, str] = {}
    reward_error: str = ""

    # segments
    segments: list[dict[str, str]] = []
    segment_open: bool = False
    segment: dict[str, str] = {}
    segment_error: str = ""
    segment_where: str = ""
    _poller: int = 0

    # webhooks
    webhooks: list[dict[str, str]] = []
    webhook_error: str = ""
    webhook_where: str = ""
    webhook_saving: bool = False
    webhook_form_key: int = 0  # a new key empties the (uncontrolled) form once a webhook is added
    webhook_edit: str = ""  # the webhook whose URL and document are being changed
    webhook_edit_error: str = ""
    webhook_edit_where: str = ""
    webhook_changing: str = ""  # the webhook being paused or resumed
    confirm_delete_webhook: str = ""

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.token) and bool(self.staff_id)

    @rx.var
    def trigger_is_basket(self) -> bool:
        return self.trigger == "basket"

    @rx.var
    def can_save(self) -> bool:
        return (bool(self.name.strip()) and (bool(self.effects) or bool(self.variants))
                and not self.condition_problem and not self.variant_open and not self.variants_problem)

    @rx.var
    def variant_list(self) -> list[dict[str, str]]:
        return api.variant_list(self.variants)

    @rx.var
    def variant_title(self) -> str:
        return "New variant" if self.variant_index < 0 else "Change the variant"

    @rx.var
    def audience_choices(self) -> list[dict[str, str]]:
        return [{"id": "everyone", "name": "Everyone"}] + [{"id": s["id"], "name": s["name"]}
                                                          for s in self.segments]

    @rx.var
    def editor_title(self) -> str:
        return f"Edit campaign ({self.edit_version})" if self.edit_id else "New campaign"

    # --- talking to the gateway --------------------------------------------------------------------

    async def _call(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
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
        self.notice = notice

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
            data = await gateway.query(None, till_api.STAFF_SIGN_IN, {"staffId": staff_id, "pin": pin})
        except gateway.GatewayError as error:
            self.signing_in = False
            self.sign_in_error = words.staff_sign_in_words(error.words, error.code, error.extensions)
            yield rx.set_value("pin", "")
            return
        session = data["staffSignIn"]
        self.signing_in = False
        if session["role"] != "ADMIN":
            self.sign_in_error = NOT_AN_ADMIN
            yield rx.set_value("pin", "")
            return
        self.token = session["token"]
        self.staff_id = session["staffId"]
        self.staff_name = session["name"]
        yield AdminState.start

    @rx.event
    def sign_out(self):
        self._sign_out("Signed out.")

    @rx.event
    async def start(self):
        self.demo_hint = DEMO_HINT if get_settings().is_dev else ""
        if not self.token:
            return
        self.loading = True
        yield
        await self._load_campaigns()
        await self._load_segments()
        self.loading = False

    async def _load_campaigns(self) -> None:
        try:
            data = await self._call(api.CAMPAIGNS)
        except gateway.GatewayError as error:
            self.error = error.words
            return
        raw = data["campaigns"]
        order = {"ACTIVE": 0, "PAUSED": 1, "DRAFT": 2, "ENDED": 3}
        raw.sort(key=lambda c: (order.get(c["status"], 9), c["name"].lower()))
        self._raw_campaigns = {c["id"]: c for c in raw}
        self.campaigns = [api.campaign_row(c) for c in raw]

    async def _load_segments(self) -> None:
        try:
            data = await self._call(api.SEGMENTS)
        except gateway.GatewayError as error:
            self.error = error.words
            return
        self.segments = [api.segment_row(s) for s in data["segments"]]

    async def _load_rewards(self) -> None:
        try:
            data = await self._call(api.REWARDS)
        except gateway.GatewayError as error:
            self.error = error.words
            return
        self.rewards = [api.reward_row(r) for r in data["rewards"]]

    @rx.event
    async def set_tab(self, tab: str | list[str]):
        self.tab = tab if isinstance(tab, str) else tab[0]
        self.error = ""
        if self.tab == "campaigns":
            await self._load_campaigns()
        elif self.tab == "rewards":
            await self._load_rewards()
        elif self.tab == "segments":
            await self._load_segments()
            yield AdminState.watch_segments
        elif self.tab == "webhooks":
            await self._load_webhooks()

    # --- campaigns: status -------------------------------------------------------------------------

    @rx.event
    async def change_status(self, campaign_id: str, status: str):
        if status == "ENDED" and self.confirm_end != campaign_id:
            self.confirm_end = campaign_id  # ending is for good: ask first
            return
        self.confirm_end = ""
        self.changing = campaign_id
        self.error = ""
        yield
        try:
            changed = (await self._call(api.SET_STATUS, {"id": campaign_id, "status": status}))["setCampaignStatus"]
        except gateway.GatewayError as error:
            self.error = error.words
        else:
            self.notice = f"{changed['name']}: {changed['status'].lower()}."
        self.changing = ""
        await self._load_campaigns()

    @rx.event
    def cancel_end(self):
        self.confirm_end = ""

    # --- campaigns: the editor ---------------------------------------------------------------------

    def _open_editor(self) -> None:
        self.editing = True
        self.effect = dict(EMPTY_EFFECT)
        self.effect_error = ""
        self.show_json = False
        self.json_spec = ""
        self.save_error = ""
        self.dry_effects = []
        self.dry_error = ""
        self.dry_done = ""
        self.checked = False
        self.variant_open = False
        self.variant_error = ""
        self.variants_problem = ""

    @rx.event
    async def new_campaign(self):
        self._open_editor()
        self.edit_id = ""
        self.edit_version = ""
        self.name = ""
        self.trigger = "basket"
        self.condition = "member != null"
        self.priority = "0"
        self.cap = ""
        self.budget_limit = ""
        self.budget_unit = "points"
        self.audience = "everyone"
        self.personalized = False
        self.exclusive = False
        self.effects = []
        self.variants = []
        await self._check()

    @rx.event
    async def edit_campaign(self, campaign_id: str):
        campaign = self._raw_campaigns.get(campaign_id)
        if campaign is None:
            return
        self._open_editor()
        self.edit_id = campaign_id
        self.edit_version = f"v{campaign['version']}"
        self.name = campaign["name"]
        self.trigger = campaign["trigger"]
        self.condition = campaign["condition"]
        self.priority = str(campaign["priority"])
        self.cap = str(campaign["perMemberCap"] or "")
        budget = campaign.get("budget") or {}
        self.budget_limit = str(budget.get("limit") or "")
        self.budget_unit = budget.get("unit") or "points"
        self.audience = campaign.get("audience") or "everyone"
        self.personalized = bool(campaign["personalized"])
        self.exclusive = bool(campaign["exclusive"])
        self.effects = [{"spec": e, "words": api.effect_words(e)} for e in campaign["effects"]]
        self.variants = [_variant_entry(v["name"], str(v["weight"]), list(v["effects"]),
                                        api.variant_counts_words(v)) for v in campaign.get("variants") or []]
        await self._check()

    @rx.event
    def set_editing(self, value: bool):
        self.editing = value

    def _form(self) -> dict[str, Any]:
        return {"name": self.name, "trigger": self.trigger, "condition": self.condition, "priority": self.priority,
                "cap": self.cap, "budget_limit": self.budget_limit, "budget_unit": self.budget_unit,
                "audience": self.audience, "personalized": self.personalized, "exclusive": self.exclusive}

    def _variant_list(self) -> list[dict[str, Any]]:
        return [{"name": v["name"], "weight": v["weight"], "effects": json.loads(v["effects"])} for v in self.variants]

    def _input(self, *, with_variants: bool = True) -> dict[str, Any]:
        return api.campaign_input(self._form(), [e["spec"] for e in self.effects], campaign_id=self.edit_id,
                                  variants=self._variant_list() if with_variants else None)

    async def _check(self) -> None:
        """The engine's own checks of the draft (validateCampaign), as it is typed. Variants the
        screen can already tell are wrong (one alone, a name twice) are said in words beside them,
        and the rest of the draft is still checked without them."""
        self.variants_problem = api.variants_problem(self._variant_list())
        try:
            draft = self._input(with_variants=not self.variants_problem)
        except api.FormError as error:
            self.other_problem = str(error)
            return
        if not draft["name"]:
            draft["name"] = "Untitled"  # the name is asked for at save; the condition is checked now
        try:
            problems = (await self._call(api.VALIDATE, {"input": draft}))["validateCampaign"]
        except gateway.GatewayError as error:
            self.other_problem = error.words
            return
        self.checked = True
        condition = next((p for p in problems if p["field"] == "condition"), None)
        self.condition_problem = api.problem_words(condition) if condition else ""
        self.condition_where = (f"Line {condition['line']}, column {condition['column']}"
                                if condition and condition.get("line") else "")
        # With no effect of its own the engine says "at least one effect": the save says it in its words,
        # and valid variants are effects enough (the variants' own problems show beside them).
        rest = [p for p in problems if p["field"] != "condition" and not (p["field"] == "effects" and not self.effects)]
        self.other_problem = api.problem_words(rest[0]) if rest else ""

    @rx.event
    async def set_condition(self, value: str):
        self.condition = value
        await self._check()

    @rx.event
    async def set_trigger(self, value: str):
        self.trigger = value
        await self._check()

    @rx.event
    def set_name(self, value: str):
        self.name = value

    @rx.event
    async def set_field(self, field: str, value: str):
        if field in ("priority", "cap", "budget_limit", "budget_unit", "audience"):
            setattr(self, field, value)
            await self._check()

    @rx.event
    def set_personalized(self, value: bool):
        self.personalized = value

    @rx.event
    def set_exclusive(self, value: bool):
        self.exclusive = value

    @rx.event
    def set_effect(self, field: str, value: str):
        self.effect = {**self.effect, field: value}
        if field == "kind":
            self.effect = {**self.effect, "measure": {"add_points": "points", "discount": "percent",
                                                      "issue_coupon": "amount"}.get(value, "")}
        self.effect_error = ""

    @rx.event
    async def add_effect(self):
        try:
            spec = api.effect_spec(self.effect)
        except api.FormError as error:
            self.effect_error = str(error)
            return
        self._add_effect(spec)
        self.effect = {**EMPTY_EFFECT, "kind": self.effect["kind"], "measure": self.effect["measure"]}
        self.effect_error = ""
        await self._check()
        # The fields are the browser's own (no debounced inputs: reflex.lock stays as committed).
        return [rx.set_value(field_id, value) for field_id, value in
                (("effect-value", ""), ("effect-names", ""), ("effect-days", "30"), ("effect-description", ""))]

    def _add_effect(self, spec: str) -> None:
        """The effect form builds the campaign's effects, or the open variant's."""
        entry = {"spec": spec, "words": api.effect_words(spec)}
        if self.variant_open:
            self.variant_effects = [*self.variant_effects, entry]
        else:
            self.effects = [*self.effects, entry]

    @rx.event
    def toggle_json(self):
        self.show_json = not self.show_json

    @rx.event
    def set_json_spec(self, value: str):
        self.json_spec = value

    @rx.event
    async def add_json_effect(self):
        """The escape hatch: a spec the form does not build (an offer, say), as JSON."""
        text = self.json_spec.strip()
        try:
            parsed = json.loads(text)
        except ValueError:
            self.effect_error = "That is not JSON: an effect looks like {\"type\": \"add_points\", \"points\": 50}."
            return
        if not isinstance(parsed, dict):
            self.effect_error = "An effect is one JSON object, like {\"type\": \"free_shipping\"}."
            return
        self._add_effect(json.dumps(parsed))
        self.json_spec = ""
        self.effect_error = ""
        await self._check()
        return rx.set_value("effect-json", "")

    @rx.event
    async def remove_effect(self, index: int):
        self.effects = [e for n, e in enumerate(self.effects) if n != index]
        await self._check()

    # --- campaigns: A/B variants -------------------------------------------------------------------

    def _open_variant(self, index: int, name: str, weight: str, effects: list[str]) -> None:
        self.variant_open = True
        self.variant_index = index
        self.variant_key += 1
        self.variant_name = name
        self.variant_weight = weight
        self.variant_effects = [{"spec": e, "words": api.effect_words(e)} for e in effects]
        self.variant_error = ""
        self.effect_error = ""

    @rx.event
    def new_variant(self):
        taken = {v["name"] for v in self.variants}
        name = next(n for n in (chr(ord("A") + i) for i in range(26)) if n not in taken) if len(taken) < 26 else ""
        self._open_variant(-1, name, "1", [])

    @rx.event
    def edit_variant(self, index: int):
        if 0 <= index < len(self.variants):
            variant = self.variants[index]
            self._open_variant(index, variant["name"], variant["weight"], json.loads(variant["effects"]))

    @rx.event
    def cancel_variant(self):
        self.variant_open = False
        self.variant_error = ""

    @rx.event
    def set_variant_name(self, value: str):
        self.variant_name = value

    @rx.event
    def set_variant_weight(self, value: str):
        self.variant_weight = value

    @rx.event
    def remove_variant_effect(self, index: int):
        self.variant_effects = [e for n, e in enumerate(self.variant_effects) if n != index]

    @rx.event
    async def save_variant(self):
        others = [v["name"] for n, v in enumerate(self.variants) if n != self.variant_index]
        try:
            draft = api.variant_draft(self.variant_name, self.variant_weight,
                                      [e["spec"] for e in self.variant_effects], others)
        except api.FormError as error:
            self.variant_error = f"{error}."
            return
        counts = self.variants[self.variant_index]["counts"] if self.variant_index >= 0 else ""
        if self.variant_index >= 0 and self.variants[self.variant_index]["name"] != draft["name"]:
            counts = ""  # the engine counts by name: a renamed variant starts again
        entry = _variant_entry(draft["name"], str(draft["weight"]), draft["effects"], counts)
        if self.variant_index >= 0:
            self.variants = [entry if n == self.variant_index else v for n, v in enumerate(self.variants)]
        else:
            self.variants = [*self.variants, entry]
        self.variant_open = False
        self.variant_error = ""
        await self._check()

    @rx.event
    async def remove_variant(self, index: int):
        self.variants = [v for n, v in enumerate(self.variants) if n != index]
        if self.variant_open and self.variant_index == index:
            self.variant_open = False
        elif self.variant_open and self.variant_index > index:
            self.variant_index -= 1
        await self._check()

    @rx.event
    async def save_campaign(self):
        if not self.name.strip():
            self.save_error = "Give the campaign a name."
            return
        if self.variant_open:
            self.save_error = "Save or cancel the variant you are editing first."
            return
        if not self.effects and not self.variants:
            self.save_error = "Add at least one effect, to the campaign or to its A/B variants."
            return
        try:
            draft = self._input()
        except api.FormError as error:
            self.save_error = str(error)
            return
        self.saving = True
        self.save_error = ""
        yield
        try:
            saved = (await self._call(api.UPSERT_CAMPAIGN, {"input": draft}))["upsertCampaign"]
        except gateway.GatewayError as error:
            self.saving = False
            self.save_error = error.words
            return
        self.saving = False
        self.edit_id = saved["id"]
        self.edit_version = f"v{saved['version']}"
        self.notice = f"Saved {saved['name']} ({self.edit_version}, {saved['status'].lower()})."
        await self._load_campaigns()

    # --- the dry run -------------------------------------------------------------------------------

    @rx.event
    def set_dry_email(self, value: str):
        self.dry_email = value

    @rx.event
    def set_dry_basket(self, value: str):
        self.dry_basket = value

    @rx.event
    async def dry_run(self):
        """What this draft would do for a real member now (dryRunCampaign; nothing is saved)."""
        self.dry_error = ""
        self.dry_effects = []
        self.dry_done = ""
        value = self.dry_email.strip()
        if not value:
            self.dry_error = "Type the email or phone of a member to try it on."
            return
        if not self.effects and not self.variants:
            self.dry_error = "Add at least one effect first."
            return
        try:
            draft = self._input()
        except api.FormError as error:
            self.dry_error = str(error)
            return
        draft["name"] = draft["name"] or "Untitled"
        self.dry_running = True
        yield
        try:
            kind = "EMAIL" if "@" in value else "PHONE"
            member = (await self._call(api.FIND_MEMBER, {"kind": kind, "value": value}))["lookupMember"]
            if member is None:
                self.dry_error = f"No member found for {value}."
                self.dry_running = False
                return
            event = self.dry_basket.strip() or None
            effects = (await self._call(api.DRY_RUN, {"input": draft, "memberId": member["id"],
                                                      "event": event}))["dryRunCampaign"]
        except gateway.GatewayError as error:
            self.dry_error = error.words
            self.dry_running = False
            return
        self.dry_running = False
        name = member.get("givenName") or "this member"
        self.dry_effects = api.dry_run_rows(effects)
        what = ("their last purchase" if self.trigger == "basket" and not self.dry_basket.strip()
                else "the basket given" if self.trigger == "basket" else "this event")
        self.dry_done = (f"For {name}, on {what}: " + ("nothing applies." if not effects
                                                       else f"{len(effects)} effect{'s' if len(effects) != 1 else ''}."))

    # --- rewards -----------------------------------------------------------------------------------

    @rx.event
    def new_reward(self):
        self.reward = {"id": "", "name": "", "description": "", "cost": "", "measure": "amount", "value": "",
                       "stock": "", "valid_days": "90", "active": "yes"}
        self.reward_error = ""
        self.reward_open = True

    @rx.event
    def edit_reward(self, reward_id: str):
        row = next((r for r in self.rewards if r["id"] == reward_id), None)
        if row is None:
            return
        measure = "percent" if row["percent"] else "amount"
        self.reward = {"id": row["id"], "name": row["name"], "description": row["description"],
                       "cost": row["cost_raw"], "measure": measure, "value": row["percent"] or row["amount"],
                       "stock": row["stock_raw"], "valid_days": row["valid_days"], "active": row["active"]}
        self.reward_error = ""
        self.reward_open = True

    @rx.event
    def set_reward_open(self, value: bool):
        self.reward_open = value

    @rx.event
    def set_reward_field(self, field: str, value: str | bool):
        if isinstance(value, bool):
            value = "yes" if value else ""
        self.reward = {**self.reward, field: value}

    @rx.event
    async def save_reward(self):
        try:
            data = api.reward_input(self.reward, self.reward.get("id", ""))
        except api.FormError as error:
            self.reward_error = str(error)
            return
        try:
            saved = (await self._call(api.UPSERT_REWARD, {"input": data}))["upsertReward"]
        except gateway.GatewayError as error:
            self.reward_error = error.words
            return
        self.reward_open = False
        self.notice = f"Saved the reward {saved['name']}."
        await self._load_rewards()

    # --- segments ----------------------------------------------------------------------------------

    @rx.event
    def new_segment(self):
        self.segment = {"id": "", "name": "", "condition": "consents.profiling && frequency90d >= 2"}
        self.segment_error = ""
        self.segment_where = ""
        self.segment_open = True

    @rx.event
    def edit_segment(self, segment_id: str):
        row = next((s for s in self.segments if s["id"] == segment_id), None)
        if row is None:
            return
        self.segment = {"id": row["id"], "name": row["name"], "condition": row["condition"]}
        self.segment_error = ""
        self.segment_where = ""
        self.segment_open = True

    @rx.event
    def set_segment_open(self, value: bool):
        self.segment_open = value

    @rx.event
    def set_segment_field(self, field: str, value: str):
        self.segment = {**self.segment, field: value}

    @rx.event
    async def save_segment(self):
        data: dict[str, Any] = {"name": self.segment.get("name", "").strip(),
                                "condition": self.segment.get("condition", "")}
        if not data["name"]:
            self.segment_error = "Give the segment a name."
            return
        if self.segment.get("id"):
            data["id"] = self.segment["id"]
        try:
            saved = (await self._call(api.UPSERT_SEGMENT, {"input": data}))["upsertSegment"]
        except gateway.GatewayError as error:
            self.segment_error = error.words
            line, column = error.extensions.get("line"), error.extensions.get("column")
            self.segment_where = f"Line {line}, column {column}" if line else ""
            return
        self.segment_open = False
        self.notice = f"Saved the segment {saved['name']}: its members are counted in the background."
        await self._load_segments()

    @rx.event(background=True)
    async def watch_segments(self):
        """The member counts, live while the segments tab is shown: `segmentUpdated` brings each
        segment whose members changed (wallet_ui/live.py subscribes again after a drop, catching
        up with one query). While a new or changed condition is being evaluated, the list is also
        read every few seconds: its members' moves arrive live, but the job's end (the "counting"
        badge going away) is no event."""
        async with self:
            self._poller += 1
            mine = self._poller
            client = self.router.session.client_token
            token = self.token
        if not token:
            return

        async def on_update(segment: dict[str, Any]) -> None:
            async with self:
                if self._poller == mine:
                    self.segments = api.with_segment(self.segments, segment)

        async def on_refresh(data: dict[str, Any]) -> None:
            async with self:
                if self._poller == mine:
                    self.segments = [api.segment_row(s) for s in data["segments"]]

        follower = asyncio.create_task(live.follow_segments(token, on_update=on_update, on_refresh=on_refresh))
        try:
            while True:
                await asyncio.wait({follower}, timeout=SEGMENT_POLL_SECONDS)
                if follower.done():
                    if isinstance(follower.exception(), live.SignedOut):
                        async with self:
                            if self._poller == mine:
                                self._sign_out(SESSION_ENDED)
                    elif follower.exception() is not None:
                        log.warning("following the segments failed: %r", follower.exception())
                    return
                if not state.client_connected(client):
                    return
                async with self:
                    if self._poller != mine or self.tab != "segments" or self.token != token:
                        return
                    counting = any(s["evaluating"] for s in self.segments)
                if not counting:
                    continue
                try:
                    data = await gateway.query(token, api.SEGMENTS)
                except gateway.GatewayError:
                    continue  # the next round tries again; the counts shown stay as they were
                await on_refresh(data)
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)

    # --- webhooks ----------------------------------------------------------------------------------

    async def _load_webhooks(self) -> None:
        try:
            data = await self._call(api.WEBHOOKS)
        except gateway.GatewayError as error:
            self.error = error.words
            return
        self.webhooks = [api.webhook_row(w) for w in data["webhooks"]]

    def _say_webhook_error(self, error: gateway.GatewayError) -> None:
        self.webhook_error = error.words
        line, column = error.extensions.get("line"), error.extensions.get("column")
        self.webhook_where = f"Line {line}, column {column} of the document" if line else ""

    @rx.event
    async def add_webhook(self, form: dict[str, Any]):
        self.webhook_error = ""
        self.webhook_where = ""
        try:
            data = api.webhook_input(form)
        except api.FormError as error:
            self.webhook_error = f"{error}."
            return
        self.webhook_saving = True
        yield
        try:
            saved = (await self._call(api.UPSERT_WEBHOOK, {"input": data}))["upsertWebhook"]
        except gateway.GatewayError as error:
            self._say_webhook_error(error)
        else:
            self.notice = f"Added the webhook to {saved['url']}: it receives the next matching event."
            self.webhook_form_key += 1
            await self._load_webhooks()
        self.webhook_saving = False

    @rx.event
    async def toggle_webhook(self, webhook_id: str):
        """Pause or resume: only the active flag is sent (updateWebhook keeps the secret)."""
        row = next((w for w in self.webhooks if w["id"] == webhook_id), None)
        if row is None:
            return
        pause = row["active"] != ""
        self.error = ""
        self.webhook_changing = webhook_id
        self.confirm_delete_webhook = ""
        yield
        try:
            saved = (await self._call(api.UPDATE_WEBHOOK,
                                      {"input": api.webhook_change(webhook_id, active=not pause)}))["updateWebhook"]
        except gateway.GatewayError as error:
            self.error = error.words
        else:
            self.notice = (f"Paused the webhook to {saved['url']}: events are not recorded until it resumes."
                           if pause else f"Resumed the webhook to {saved['url']}.")
        self.webhook_changing = ""
        await self._load_webhooks()

    @rx.event
    def edit_webhook(self, webhook_id: str):
        self.webhook_edit = "" if self.webhook_edit == webhook_id else webhook_id
        self.webhook_edit_error = ""
        self.webhook_edit_where = ""
        self.confirm_delete_webhook = ""

    @rx.event
    async def save_webhook(self, form: dict[str, Any]):
        webhook_id = self.webhook_edit
        if not webhook_id:
            return
        self.webhook_edit_error = ""
        self.webhook_edit_where = ""
        try:
            data = api.webhook_change(webhook_id, form)
        except api.FormError as error:
            self.webhook_edit_error = f"{error}."
            return
        try:
            saved = (await self._call(api.UPDATE_WEBHOOK, {"input": data}))["updateWebhook"]
        except gateway.GatewayError as error:
            self.webhook_edit_error = error.words
            line, column = error.extensions.get("line"), error.extensions.get("column")
            self.webhook_edit_where = f"Line {line}, column {column} of the document" if line else ""
            return
        self.webhook_edit = ""
        self.notice = (f"Saved the webhook to {saved['url']}"
                       + (" with its new secret." if "secret" in data else ": its secret is unchanged."))
        await self._load_webhooks()

    @rx.event
    async def delete_webhook(self, webhook_id: str):
        if self.confirm_delete_webhook != webhook_id:
            self.confirm_delete_webhook = webhook_id  # deleting drops its queue too: ask first
            self.webhook_edit = ""
            return
        self.confirm_delete_webhook = ""
        row = next((w for w in self.webhooks if w["id"] == webhook_id), {"url": webhook_id})
        try:
            await self._call(api.DELETE_WEBHOOK, {"id": webhook_id})
        except gateway.GatewayError as error:
            self.error = error.words
        else:
            self.notice = f"Deleted the webhook to {row['url']} and what it still had to send."
        await self._load_webhooks()

    @rx.event
    def cancel_delete_webhook(self):
        self.confirm_delete_webhook = ""

    @rx.event
    def dismiss_notice(self):
        self.notice = ""
