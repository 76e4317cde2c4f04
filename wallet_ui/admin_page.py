"""The campaign admin (`/admin`, marketers, a desktop first and a phone too): campaigns with
status, version, budget used and each A/B variant's exposures and conversions; the editor
with the condition checked by the engine as it is typed and the effects built from a form;
A/B variants added, changed and removed in the editor; the dry run on a member; activate,
pause, end. The rewards catalogue and the segments with their member counts, live. The outbound
webhooks: add, pause or resume, edit (never asking for the secret again), delete."""
from __future__ import annotations

import reflex as rx

from .admin import AdminState
from .admin_api import BUDGET_UNITS, EFFECT_KINDS, TARGETS, TRIGGERS, WEBHOOK_EXAMPLE
from .look import (
    FONT,
    INK,
    LINE,
    MUTED,
    PAGE,
    error_callout,
    info_callout,
    label,
    section_title,
    surface,
    until_ready,
)

DARK = "#0b1220"


def field(text: str, control: rx.Component, hint: str | rx.Var | None = None, **props: object) -> rx.Component:
    return rx.vstack(label(text), control, *([rx.text(hint, size="1", color=MUTED)] if hint is not None else []),
                     spacing="1", width="100%", **props)


# --- signing in --------------------------------------------------------------------------------------


def sign_in_screen() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.hstack(
                rx.center(rx.icon("megaphone", size=22, color="white"), width="44px", height="44px",
                          border_radius="12px", background="#7c3aed"),
                rx.vstack(rx.heading("Campaigns", size="6", color=INK),
                          rx.text("Sign in to run the loyalty program", size="2", color=MUTED), spacing="0"),
                align="center",
                spacing="3",
            ),
            info_callout(AdminState.notice, "admin-notice", "gray"),
            surface(
                rx.form(
                    rx.vstack(
                        field("Staff id", rx.input(name="staff_id", id="staff-id", placeholder="e.g. lena.marketing",
                                                   size="3", width="100%", auto_complete=False,
                                                   auto_capitalize="none", aria_label="Staff id")),
                        field("PIN", rx.input(name="pin", id="pin", type="password", placeholder="6 to 12 digits",
                                              size="3", width="100%", input_mode="numeric", auto_complete="off",
                                              aria_label="PIN")),
                        error_callout(AdminState.sign_in_error, "admin-error"),
                        rx.button("Sign in", type="submit", id="admin-sign-in", size="3", width="100%",
                                  loading=AdminState.signing_in),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=AdminState.sign_in,
                    reset_on_submit=False,
                    width="100%",
                ),
                padding="24px",
            ),
            rx.text(AdminState.demo_hint, size="1", color=MUTED, text_align="center", id="demo-staff"),
            spacing="4",
            width="100%",
            max_width="400px",
            padding="20px",
        ),
        min_height="100vh",
        width="100%",
    )


def top_bar() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.center(rx.icon("megaphone", size=18, color="white"), width="32px", height="32px", border_radius="9px",
                      background="#7c3aed"),
            rx.text("Loyalty admin", size="3", weight="bold", color="white", white_space="nowrap"),
            align="center",
            spacing="3",
        ),
        rx.spacer(),
        rx.hstack(
            rx.avatar(fallback=AdminState.staff_name.to(str)[0:1], size="2", radius="full", color_scheme="violet",
                      variant="solid"),
            rx.text(AdminState.staff_name, size="2", weight="medium", color="white", id="admin-staff",
                    white_space="nowrap"),
            align="center",
            spacing="2",
            display=rx.breakpoints(initial="none", sm="flex"),
        ),
        rx.button(rx.icon("log_out", size=16), rx.text("Sign out", display=rx.breakpoints(initial="none", xs="inline")),
                  on_click=AdminState.sign_out, variant="surface", color_scheme="gray", high_contrast=True, size="2",
                  id="admin-sign-out", aria_label="Sign out"),
        width="100%",
        align="center",
        padding_x="20px",
        padding_y="10px",
        background=DARK,
        spacing="4",
        position="sticky",
        top="0",
        z_index="10",
    )


# --- campaigns ---------------------------------------------------------------------------------------


def variant_table(row: rx.Var) -> rx.Component:
    """Each A/B variant with its exposures, conversions and rate (rows, not a table: it fits a phone)."""
    return rx.cond(
        row.variants.length() > 0,
        rx.vstack(
            label("A/B variants"),
            rx.foreach(row.variants, lambda v: rx.hstack(
                rx.vstack(rx.text(v.name, size="2", weight="bold", color=INK),
                          rx.text(v.effects, " · weight ", v.weight, " (", v.share, ")", size="1", color=MUTED,
                                  class_name="variant-weight"), spacing="0",
                          min_width="0", flex="1"),
                rx.vstack(rx.text(v.exposures, size="2", weight="bold", color=INK), rx.text("exposures", size="1",
                                                                                             color=MUTED),
                          spacing="0", align="end"),
                rx.vstack(rx.text(v.conversions, size="2", weight="bold", color=INK),
                          rx.text("conversions", size="1", color=MUTED), spacing="0", align="end"),
                rx.vstack(rx.text(v.rate, size="2", weight="bold", color=INK), rx.text("rate", size="1", color=MUTED),
                          spacing="0", align="end", min_width="64px"),
                width="100%", align="center", spacing="3", padding="8px 10px", border=f"1px solid {LINE}",
                border_radius="10px", class_name="variant",
            )),
            spacing="2",
            width="100%",
        ),
    )


def status_buttons(row: rx.Var) -> rx.Component:
    return rx.cond(
        AdminState.confirm_end == row.id,
        rx.hstack(
            rx.text("End it for good?", size="2", color="#991b1b", weight="medium"),
            rx.button("Yes, end it", size="2", color_scheme="red", on_click=AdminState.change_status(row.id, "ENDED"),
                      id="confirm-end-" + row.id),
            rx.button("Keep it", size="2", variant="soft", color_scheme="gray", on_click=AdminState.cancel_end),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        rx.hstack(
            rx.button(rx.icon("pencil", size=14), "Edit", size="2", variant="soft", color_scheme="gray",
                      on_click=AdminState.edit_campaign(row.id), id="edit-" + row.id,
                      disabled=row.status == "ENDED"),
            rx.foreach(row.actions, lambda action: rx.button(
                action.label, size="2",
                variant=rx.cond(action.status == "ENDED", "outline", "solid"),
                color_scheme=rx.match(action.status, ("ACTIVE", "green"), ("PAUSED", "amber"), "red"),
                on_click=AdminState.change_status(row.id, action.status),
                loading=AdminState.changing == row.id,
                id=action.status.lower() + "-" + row.id,
            )),
            spacing="2",
            wrap="wrap",
        ),
    )


def campaign_card(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text(row.name, size="3", weight="bold", color=INK),
                    rx.text(row.trigger, size="1", color=MUTED),
                    spacing="0",
                    min_width="0",
                ),
                rx.spacer(),
                rx.badge(row.version, variant="outline", color_scheme="gray", radius="full"),
                rx.badge(row.status_words, color_scheme=row.tone, radius="full",
                         class_name="campaign-status", size="2"),
                width="100%",
                align="start",
                spacing="2",
            ),
            rx.vstack(
                rx.foreach(row.effects, lambda e: rx.hstack(
                    rx.icon("sparkles", size=14, color="#7c3aed", flex_shrink="0"),
                    rx.text(e, size="2", color=INK), align="center", spacing="2")),
                spacing="1",
                width="100%",
            ),
            rx.cond(
                row.has_budget,
                rx.vstack(
                    rx.hstack(label("Budget used"), rx.spacer(), rx.text(row.budget, size="1", color=INK),
                              width="100%"),
                    rx.progress(value=row.budget_percent, size="1", color_scheme="violet", width="100%",
                                aria_label="Budget used"),
                    spacing="1",
                    width="100%",
                ),
            ),
            variant_table(row),
            rx.hstack(rx.text("Saved ", row.updated, size="1", color=MUTED), rx.spacer(), status_buttons(row),
                      width="100%", align="center", wrap="wrap", spacing="2"),
            spacing="3",
            width="100%",
        ),
        background="white",
        border=f"1px solid {LINE}",
        border_radius="14px",
        padding="16px",
        width="100%",
        id="campaign-" + row.id,
        data_status=row.status,
        class_name="campaign",
    )


def campaigns_tab() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(rx.heading("Campaigns", size="5", color=INK),
                      rx.text("Live at once when active: every till and checkout asks the engine.", size="2",
                              color=MUTED),
                      spacing="0", flex="1 1 260px"),
            rx.button(rx.icon("plus", size=16), "New campaign", on_click=AdminState.new_campaign, id="new-campaign",
                      size="3", color_scheme="violet"),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.cond(
            AdminState.campaigns.length() > 0,
            rx.grid(rx.foreach(AdminState.campaigns, campaign_card), columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3", width="100%", id="campaigns"),
            rx.cond(AdminState.loading, rx.center(rx.spinner(size="3"), width="100%", padding="40px"),
                    surface(rx.text("No campaigns yet: create the first one.", size="2", color=MUTED))),
        ),
        spacing="4",
        width="100%",
    )


def condition_box() -> rx.Component:
    bad = AdminState.condition_problem != ""
    return rx.vstack(
        rx.hstack(
            label("Condition (CEL)"),
            rx.spacer(),
            rx.cond(
                bad,
                rx.badge(rx.icon("circle_x", size=12), "Not valid", color_scheme="red", radius="full",
                         id="condition-invalid"),
                rx.cond(AdminState.checked,
                        rx.badge(rx.icon("circle_check", size=12), "Valid", color_scheme="green", radius="full",
                                 id="condition-valid")),
            ),
            width="100%",
            align="center",
        ),
        rx.text_area(
            default_value=AdminState.condition,
            on_change=AdminState.set_condition,
            id="condition",
            rows="3",
            width="100%",
            spell_check=False,
            aria_label="Condition",
            aria_invalid=rx.cond(bad, "true", "false"),
            font_family="ui-monospace, SFMono-Regular, Menlo, monospace",
            color_scheme=rx.cond(bad, "red", "gray"),
        ),
        rx.cond(
            bad,
            rx.callout(
                rx.vstack(rx.cond(AdminState.condition_where != "",
                                  rx.text(AdminState.condition_where, weight="bold", id="condition-where")),
                          rx.text(AdminState.condition_problem), spacing="0"),
                color_scheme="red", icon="triangle_alert", size="1", width="100%", id="condition-problem",
                role="alert",
            ),
            rx.text("e.g. member != null && member.tier in ['gold', 'platinum'] && 'Hydration' in basket.categories",
                    size="1", color=MUTED),
        ),
        spacing="1",
        width="100%",
    )


def effect_form() -> rx.Component:
    effect = AdminState.effect
    kind = effect["kind"]
    return rx.vstack(
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label="Effect kind", id="effect-kind"),
                rx.select.content(*[rx.select.item(text, value=key) for key, text in EFFECT_KINDS.items()]),
                value=kind, on_change=lambda v: AdminState.set_effect("kind", v), size="2",
            ),
            rx.cond(
                kind != "free_shipping",
                rx.hstack(
                    rx.select.root(
                        rx.select.trigger(aria_label="Measure", id="effect-measure"),
                        rx.select.content(rx.cond(
                            kind == "add_points",
                            rx.fragment(rx.select.item("points", value="points"),
                                        rx.select.item("times the points", value="multiplier")),
                            rx.fragment(rx.select.item("percent off", value="percent"),
                                        rx.select.item("dollars off", value="amount")),
                        )),
                        value=effect["measure"], on_change=lambda v: AdminState.set_effect("measure", v), size="2",
                    ),
                    rx.input(default_value=effect["value"], on_change=lambda v: AdminState.set_effect("value", v),
                             placeholder=rx.match(effect["measure"], ("points", "100"), ("multiplier", "2"),
                                                  ("percent", "10"), "5.00"),
                             id="effect-value", width="90px", size="2", aria_label="Value", input_mode="decimal"),
                    spacing="2",
                ),
            ),
            rx.cond(  # fixed points go to the whole basket (the engine spreads them by amount)
                (kind == "discount") | ((kind == "add_points") & (effect["measure"] == "multiplier")),
                rx.select.root(
                    rx.select.trigger(aria_label="Applies to", id="effect-target"),
                    rx.select.content(*[rx.select.item(text, value=key) for key, text in TARGETS.items()]),
                    value=effect["target"], on_change=lambda v: AdminState.set_effect("target", v), size="2",
                ),
            ),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            ((kind == "discount") | ((kind == "add_points") & (effect["measure"] == "multiplier")))
            & ((effect["target"] == "skus") | (effect["target"] == "categories")),
            rx.input(default_value=effect["names"], on_change=lambda v: AdminState.set_effect("names", v),
                     placeholder=rx.cond(effect["target"] == "skus", "SKUs, e.g. SOK-CREW-3PK, SHO-RIDGE-TR",
                                         "Categories, e.g. Accessories, Hydration"),
                     id="effect-names", width="100%", size="2", aria_label="SKUs or categories"),
        ),
        rx.cond(
            kind == "issue_coupon",
            rx.hstack(
                rx.input(default_value=effect["valid_days"], on_change=lambda v: AdminState.set_effect("valid_days", v),
                         placeholder="30", id="effect-days", width="80px", size="2", aria_label="Valid days", input_mode="numeric"),
                rx.text("days", size="2", color=MUTED),
                rx.input(default_value=effect["description"], on_change=lambda v: AdminState.set_effect("description", v),
                         placeholder="What the member reads, e.g. 10.00 off your next visit", size="2",
                         id="effect-description",
                         width="100%", aria_label="Coupon description"),
                width="100%", align="center", spacing="2",
            ),
        ),
        rx.hstack(
            rx.button(rx.icon("plus", size=14), "Add effect", on_click=AdminState.add_effect, size="2",
                      variant="soft", color_scheme="violet", id="add-effect"),
            rx.spacer(),
            rx.button(rx.cond(AdminState.show_json, "Hide JSON", "Write JSON instead"), on_click=AdminState.toggle_json,
                      size="1", variant="ghost", color_scheme="gray", id="toggle-json"),
            width="100%",
            align="center",
        ),
        rx.cond(
            AdminState.show_json,
            rx.vstack(
                rx.text("For what the form does not build (offers, say): one effect spec as JSON, checked by the "
                        "engine like the rest.", size="1", color=MUTED),
                rx.text_area(default_value=AdminState.json_spec, on_change=AdminState.set_json_spec, id="effect-json",
                             rows="3", width="100%", placeholder='{"type": "add_points", "multiplier": 2}',
                             font_family="ui-monospace, SFMono-Regular, Menlo, monospace", aria_label="Effect JSON"),
                rx.button("Add this effect", on_click=AdminState.add_json_effect, size="1", variant="soft",
                          color_scheme="gray", id="add-json-effect"),
                spacing="2",
                width="100%",
            ),
        ),
        error_callout(AdminState.effect_error, "effect-error"),
        spacing="2",
        width="100%",
        padding="12px",
        border=f"1px dashed {LINE}",
        border_radius="12px",
        background="#fafafa",
    )


def effects_list() -> rx.Component:
    return rx.vstack(
        label("Effects"),
        rx.cond(
            AdminState.effects.length() > 0,
            rx.vstack(
                rx.foreach(AdminState.effects, lambda e, i: rx.hstack(
                    rx.icon("sparkles", size=14, color="#7c3aed", flex_shrink="0"),
                    rx.text(e["words"], size="2", color=INK, class_name="effect-words"),
                    rx.spacer(),
                    rx.icon_button(rx.icon("trash_2", size=14), size="1", variant="ghost", color_scheme="gray",
                                   on_click=AdminState.remove_effect(i), aria_label="Remove this effect"),
                    width="100%", align="center", padding="6px 10px", border=f"1px solid {LINE}",
                    border_radius="10px", background="white",
                )),
                spacing="2",
                width="100%",
                id="effects",
            ),
            rx.text(rx.cond(AdminState.variants.length() > 0,
                            "None for everyone: each variant below gives its own.",
                            "None yet: build one below."), size="2", color=MUTED),
        ),
        rx.cond(AdminState.variant_open,
                rx.text("The form builds the open variant's effects (below) until it is saved or cancelled.",
                        size="1", color=MUTED),
                effect_form()),
        spacing="2",
        width="100%",
    )


def variant_form() -> rx.Component:
    """One variant: its name, weight and effects, built with the campaign's own effect form."""
    return rx.vstack(
        rx.text(AdminState.variant_title, size="2", weight="bold", color=INK),
        rx.grid(
            field("Variant name", rx.input(default_value=AdminState.variant_name, on_change=AdminState.set_variant_name,
                                           id="variant-name", size="2", width="100%", placeholder="e.g. B",
                                           aria_label="Variant name")),
            field("Weight", rx.input(default_value=AdminState.variant_weight, on_change=AdminState.set_variant_weight,
                                     id="variant-weight", size="2", width="100%", input_mode="numeric",
                                     aria_label="Weight"), "Its share of the members: weight 3 beside 1 gets 75%"),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        label("The variant's effects (added to the campaign's)"),
        rx.cond(
            AdminState.variant_effects.length() > 0,
            rx.vstack(
                rx.foreach(AdminState.variant_effects, lambda e, i: rx.hstack(
                    rx.icon("sparkles", size=14, color="#7c3aed", flex_shrink="0"),
                    rx.text(e["words"], size="2", color=INK, class_name="effect-words"),
                    rx.spacer(),
                    rx.icon_button(rx.icon("trash_2", size=14), size="1", variant="ghost", color_scheme="gray",
                                   on_click=AdminState.remove_variant_effect(i),
                                   aria_label="Remove this effect from the variant"),
                    width="100%", align="center", padding="6px 10px", border=f"1px solid {LINE}",
                    border_radius="10px", background="white",
                )),
                spacing="2", width="100%", id="variant-effects",
            ),
            rx.text("None: this variant gets only the campaign's effects (a control group).", size="2", color=MUTED),
        ),
        effect_form(),
        error_callout(AdminState.variant_error, "variant-error"),
        rx.hstack(
            rx.button("Cancel", on_click=AdminState.cancel_variant, size="2", variant="soft", color_scheme="gray",
                      id="cancel-variant"),
            rx.button("Save variant", on_click=AdminState.save_variant, size="2", color_scheme="violet",
                      id="save-variant"),
            justify="end", width="100%", spacing="2",
        ),
        key=AdminState.variant_key,
        spacing="2",
        width="100%",
        padding="12px",
        border="1px solid #c4b5fd",
        border_radius="12px",
        background="white",
        id="variant-form",
    )


def variants_editor() -> rx.Component:
    """The campaign's A/B test: add, change and remove variants; each member always gets the same one."""
    return rx.vstack(
        label("A/B test (optional)"),
        rx.text("Members are split between the variants by weight (a member always gets the same one); a variant's "
                "effects add to the campaign's. Two to ten variants, each with its own name.", size="1", color=MUTED),
        rx.cond(
            AdminState.variants.length() > 0,
            rx.vstack(
                rx.foreach(AdminState.variant_list, lambda v, i: rx.hstack(
                    rx.vstack(
                        rx.hstack(rx.text(v["name"], size="2", weight="bold", color=INK, class_name="variant-name"),
                                  rx.badge("weight ", v["weight"], " · ", v["share"], color_scheme="violet",
                                           radius="full", class_name="variant-weight"),
                                  spacing="2", align="center", wrap="wrap"),
                        rx.text(v["words"], size="1", color=INK),
                        rx.cond(v["counts"] != "", rx.text(v["counts"], size="1", color=MUTED)),
                        spacing="1", min_width="0", flex="1",
                    ),
                    rx.icon_button(rx.icon("pencil", size=14), size="1", variant="soft", color_scheme="gray",
                                   on_click=AdminState.edit_variant(i), aria_label="Change variant " + v["name"],
                                   id="edit-variant-" + i.to(str)),
                    rx.icon_button(rx.icon("trash_2", size=14), size="1", variant="soft", color_scheme="red",
                                   on_click=AdminState.remove_variant(i), aria_label="Remove variant " + v["name"],
                                   id="remove-variant-" + i.to(str)),
                    width="100%", align="center", spacing="2", padding="8px 10px", border=f"1px solid {LINE}",
                    border_radius="10px", background="white", class_name="variant-draft",
                )),
                spacing="2", width="100%", id="variants",
            ),
        ),
        rx.cond(AdminState.variants_problem != "",
                rx.callout(AdminState.variants_problem, color_scheme="amber", icon="triangle_alert", size="1",
                           width="100%", id="variants-problem", role="status")),
        rx.cond(
            AdminState.variant_open,
            variant_form(),
            rx.button(rx.icon("split", size=14), "Add a variant", on_click=AdminState.new_variant, size="2",
                      variant="soft", color_scheme="violet", id="add-variant"),
        ),
        spacing="2",
        width="100%",
    )


def dry_run_panel() -> rx.Component:
    return rx.vstack(
        section_title("Try it on a member"),
        rx.text("What this draft would do for a real member now. Nothing is saved, nothing is given.", size="1",
                color=MUTED),
        rx.hstack(
            rx.input(default_value=AdminState.dry_email, on_change=AdminState.set_dry_email, id="dry-member",
                     placeholder="Member's email or phone", size="2", width="100%", aria_label="Member"),
            rx.button(rx.icon("flask_conical", size=14), "Dry run", on_click=AdminState.dry_run, size="2",
                      loading=AdminState.dry_running, id="dry-run", variant="soft"),
            width="100%",
        ),
        rx.cond(
            AdminState.trigger_is_basket,
            rx.text_area(default_value=AdminState.dry_basket, on_change=AdminState.set_dry_basket, id="dry-basket", rows="2",
                         width="100%", size="1",
                         placeholder='Optional basket, else their last purchase: {"channel": "POS", "storeId": '
                                     '"st_portland", "lines": [{"sku": "SOK-CREW-3PK", "quantity": 1, '
                                     '"unitPrice": "24.00"}]}',
                         font_family="ui-monospace, SFMono-Regular, Menlo, monospace", aria_label="Basket"),
            rx.text_area(default_value=AdminState.dry_basket, on_change=AdminState.set_dry_basket, id="dry-basket", rows="2",
                         width="100%", size="1", placeholder='Optional event facts, e.g. {"threshold": 5000}',
                         font_family="ui-monospace, SFMono-Regular, Menlo, monospace", aria_label="Event"),
        ),
        error_callout(AdminState.dry_error, "dry-error"),
        rx.cond(
            AdminState.dry_done != "",
            rx.vstack(
                rx.text(AdminState.dry_done, size="2", weight="bold", color=INK, id="dry-summary"),
                rx.foreach(AdminState.dry_effects, lambda e: rx.hstack(
                    rx.badge(e["kind"], color_scheme="violet", radius="full"),
                    rx.text(e["text"], size="2", color=INK),
                    rx.spacer(),
                    rx.text(e["detail"], size="2", weight="bold", color=INK, white_space="nowrap"),
                    width="100%", align="center",
                )),
                spacing="2",
                width="100%",
                id="dry-result",
            ),
        ),
        spacing="2",
        width="100%",
        padding="12px",
        border_radius="12px",
        background="#f5f3ff",
    )


def editor() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title(AdminState.editor_title, margin="0"),
                    rx.spacer(),
                    rx.dialog.close(rx.icon_button(rx.icon("x", size=18), variant="ghost", color_scheme="gray",
                                                   aria_label="Close")),
                    width="100%",
                    align="center",
                ),
                rx.dialog.description("Saved as a draft; activate it from the list when it does what you want.",
                                      size="2", color=MUTED),
                rx.grid(
                    field("Name", rx.input(default_value=AdminState.name, on_change=AdminState.set_name, id="campaign-name",
                                           placeholder="e.g. Sock week bonus", size="2", width="100%",
                                           aria_label="Name")),
                    field("When", rx.select.root(
                        rx.select.trigger(aria_label="Trigger", id="campaign-trigger", width="100%"),
                        rx.select.content(*[rx.select.item(text, value=key) for key, text in TRIGGERS.items()]),
                        value=AdminState.trigger, on_change=AdminState.set_trigger, size="2",
                    )),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                condition_box(),
                effects_list(),
                variants_editor(),
                rx.grid(
                    field("Priority", rx.input(default_value=AdminState.priority,
                                               on_change=lambda v: AdminState.set_field("priority", v),
                                               id="campaign-priority", size="2", input_mode="numeric",
                                               aria_label="Priority", width="100%"), "Higher goes first"),
                    field("Limit per member", rx.input(default_value=AdminState.cap,
                                                       on_change=lambda v: AdminState.set_field("cap", v),
                                                       placeholder="No limit", size="2", input_mode="numeric",
                                                       aria_label="Limit per member", width="100%")),
                    field("Budget", rx.hstack(
                        rx.input(default_value=AdminState.budget_limit,
                                 on_change=lambda v: AdminState.set_field("budget_limit", v), placeholder="None",
                                 size="2", input_mode="numeric", aria_label="Budget", width="100%"),
                        rx.select.root(
                            rx.select.trigger(aria_label="Budget unit"),
                            rx.select.content(*[rx.select.item(text, value=key) for key, text in BUDGET_UNITS.items()]),
                            value=AdminState.budget_unit, on_change=lambda v: AdminState.set_field("budget_unit", v),
                            size="2",
                        ),
                        spacing="1", width="100%",
                    )),
                    field("Audience", rx.select.root(
                        rx.select.trigger(aria_label="Audience", width="100%"),
                        rx.select.content(rx.foreach(AdminState.audience_choices,
                                                     lambda s: rx.select.item(s["name"], value=s["id"]))),
                        value=AdminState.audience, on_change=lambda v: AdminState.set_field("audience", v), size="2",
                    )),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.hstack(
                    rx.hstack(rx.switch(checked=AdminState.exclusive, on_change=AdminState.set_exclusive,
                                        aria_label="Exclusive"),
                              rx.text("Exclusive: stops the campaigns after it", size="2"), align="center"),
                    rx.hstack(rx.switch(checked=AdminState.personalized, on_change=AdminState.set_personalized,
                                        aria_label="Personalised"),
                              rx.text("Personalised: only members who allow profiling", size="2"), align="center"),
                    wrap="wrap",
                    spacing="4",
                    width="100%",
                ),
                error_callout(AdminState.other_problem, "campaign-problem"),
                dry_run_panel(),
                error_callout(AdminState.save_error, "save-error"),
                rx.hstack(
                    rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray", size="3")),
                    rx.button("Save draft", on_click=AdminState.save_campaign, id="save-campaign", size="3",
                              color_scheme="violet", loading=AdminState.saving, disabled=~AdminState.can_save),
                    justify="end",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            max_width="760px",
            width="calc(100vw - 24px)",
            id="campaign-editor",
        ),
        open=AdminState.editing,
        on_open_change=AdminState.set_editing,
    )


# --- rewards -----------------------------------------------------------------------------------------


def rewards_tab() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(rx.heading("Rewards catalogue", size="5", color=INK),
                      rx.text("What members spend their points on; each redemption gives a coupon.", size="2",
                              color=MUTED), spacing="0", flex="1 1 260px"),
            rx.button(rx.icon("plus", size=16), "New reward", on_click=AdminState.new_reward, id="new-reward",
                      size="3", color_scheme="violet"),
            width="100%", align="center", wrap="wrap", spacing="3",
        ),
        rx.grid(
            rx.foreach(AdminState.rewards, lambda r: rx.box(
                rx.vstack(
                    rx.hstack(rx.text(r["name"], size="3", weight="bold", color=INK), rx.spacer(),
                              rx.cond(r["active"] != "", rx.badge("On sale", color_scheme="green", radius="full"),
                                      rx.badge("Hidden", color_scheme="gray", radius="full")),
                              width="100%", align="center"),
                    rx.text(r["description"], size="2", color=MUTED),
                    rx.hstack(rx.badge(r["cost"], " pts", color_scheme="violet", radius="full", size="2"),
                              rx.text(r["gives"], size="2", color=INK), rx.spacer(),
                              rx.text(r["stock"], size="1", color=MUTED),
                              width="100%", align="center"),
                    rx.button(rx.icon("pencil", size=14), "Edit", size="1", variant="soft", color_scheme="gray",
                              on_click=AdminState.edit_reward(r["id"])),
                    spacing="2", width="100%",
                ),
                background="white", border=f"1px solid {LINE}", border_radius="14px", padding="14px", width="100%",
                class_name="reward",
            )),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="3",
            width="100%",
            id="rewards",
        ),
        reward_dialog(),
        spacing="4",
        width="100%",
    )


def reward_dialog() -> rx.Component:
    reward = AdminState.reward

    def text_field(name: str, title: str, **props: object) -> rx.Component:
        return field(title, rx.input(default_value=reward[name], on_change=lambda v: AdminState.set_reward_field(name, v),
                                     size="2", width="100%", aria_label=title, id=f"reward-{name}", **props))

    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(reward["id"] != "", "Edit reward", "New reward")),
            rx.vstack(
                text_field("name", "Name", placeholder="e.g. Free coffee"),
                text_field("description", "Description"),
                rx.grid(
                    text_field("cost", "Cost in points", input_mode="numeric"),
                    text_field("stock", "Units (empty: unlimited)", input_mode="numeric"),
                    field("Coupon", rx.hstack(
                        rx.select.root(rx.select.trigger(aria_label="Coupon kind"),
                                       rx.select.content(rx.select.item("dollars off", value="amount"),
                                                         rx.select.item("percent off", value="percent")),
                                       value=reward["measure"],
                                       on_change=lambda v: AdminState.set_reward_field("measure", v), size="2"),
                        rx.input(default_value=reward["value"], on_change=lambda v: AdminState.set_reward_field("value", v),
                                 size="2", width="100%", aria_label="Coupon value", input_mode="decimal"),
                        spacing="1", width="100%")),
                    text_field("valid_days", "Coupon valid (days)", input_mode="numeric"),
                    columns="2", spacing="3", width="100%",
                ),
                rx.hstack(rx.switch(checked=reward["active"] != "",
                                    on_change=lambda v: AdminState.set_reward_field("active", v),
                                    aria_label="On sale"),
                          rx.text("On sale in the wallet", size="2"), align="center"),
                error_callout(AdminState.reward_error, "reward-error"),
                rx.hstack(rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                          rx.button("Save reward", on_click=AdminState.save_reward, id="save-reward",
                                    color_scheme="violet"),
                          justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            max_width="560px",
        ),
        open=AdminState.reward_open,
        on_open_change=AdminState.set_reward_open,
    )


# --- segments ----------------------------------------------------------------------------------------


def segments_tab() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(rx.heading("Segments", size="5", color=INK),
                      rx.text("Members who match a condition, kept up to date with every purchase; counts refresh "
                              "live.", size="2", color=MUTED), spacing="0", flex="1 1 260px"),
            rx.button(rx.icon("plus", size=16), "New segment", on_click=AdminState.new_segment, id="new-segment",
                      size="3", color_scheme="violet"),
            width="100%", align="center", wrap="wrap", spacing="3",
        ),
        rx.vstack(
            rx.foreach(AdminState.segments, lambda s: rx.hstack(
                rx.vstack(
                    rx.text(s["name"], size="3", weight="bold", color=INK),
                    rx.code(s["condition"], size="1", variant="ghost", color_scheme="gray",
                            style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}),
                    spacing="1", min_width="0", flex="1",
                ),
                rx.vstack(
                    rx.text(s["members"], size="6", weight="bold", color=INK, class_name="segment-count"),
                    rx.cond(s["evaluating"] != "",
                            rx.hstack(rx.spinner(size="1"), rx.text("counting", size="1", color=MUTED), spacing="1",
                                      align="center"),
                            rx.text(s["members_word"], size="1", color=MUTED)),
                    spacing="0", align="end", flex_shrink="0",
                ),
                rx.icon_button(rx.icon("pencil", size=14), size="2", variant="soft", color_scheme="gray",
                               on_click=AdminState.edit_segment(s["id"]), aria_label="Edit segment"),
                width="100%", align="center", spacing="4", padding="14px", background="white",
                border=f"1px solid {LINE}", border_radius="14px", class_name="segment",
            )),
            spacing="2",
            width="100%",
            id="segments",
        ),
        segment_dialog(),
        spacing="4",
        width="100%",
    )


def segment_dialog() -> rx.Component:
    segment = AdminState.segment
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(segment["id"] != "", "Edit segment", "New segment")),
            rx.vstack(
                field("Name", rx.input(default_value=segment["name"], on_change=lambda v: AdminState.set_segment_field("name", v),
                                       size="2", width="100%", aria_label="Segment name", id="segment-name")),
                field("Condition (CEL over traits)", rx.text_area(
                    default_value=segment["condition"], on_change=lambda v: AdminState.set_segment_field("condition", v),
                    rows="3", width="100%", aria_label="Segment condition", id="segment-condition",
                    font_family="ui-monospace, SFMono-Regular, Menlo, monospace"),
                    "recencyDays, frequency90d, monetary365d, lifetimePurchases, homeStoreId, consents.profiling, ..."),
                rx.cond(AdminState.segment_where != "",
                        rx.text(AdminState.segment_where, size="2", weight="bold", color="#991b1b", id="segment-where")),
                error_callout(AdminState.segment_error, "segment-error"),
                rx.hstack(rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                          rx.button("Save segment", on_click=AdminState.save_segment, id="save-segment",
                                    color_scheme="violet"),
                          justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            max_width="560px",
        ),
        open=AdminState.segment_open,
        on_open_change=AdminState.set_segment_open,
    )


# --- webhooks ----------------------------------------------------------------------------------------


def webhook_form() -> rx.Component:
    return surface(
        rx.form(
            rx.vstack(
                rx.heading("Add a webhook", size="3", color=INK),
                rx.grid(
                    field("URL", rx.input(name="url", id="webhook-url", placeholder="https://hooks.example.com/loyalty",
                                          size="2", width="100%", aria_label="Webhook URL", auto_complete="off"),
                          "Where each event is POSTed (http or https)."),
                    field("Secret", rx.input(name="secret", id="webhook-secret", type="password", size="2",
                                             width="100%", placeholder="16 to 200 characters",
                                             aria_label="Webhook secret", auto_complete="new-password"),
                          "Signs every delivery; never shown again."),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                field("Subscription document", rx.text_area(
                    name="subscription", id="webhook-subscription", placeholder=WEBHOOK_EXAMPLE, rows="3",
                    width="100%", aria_label="Subscription document",
                    font_family="ui-monospace, SFMono-Regular, Menlo, monospace"),
                    "One of walletUpdated, tierChanged, offerIssued or reservationUpdated, without variables; "
                    'memberId "*" for every member. Each delivery is this document\'s result for the event.'),
                rx.cond(AdminState.webhook_where != "",
                        rx.text(AdminState.webhook_where, size="2", weight="bold", color="#991b1b",
                                id="webhook-where")),
                error_callout(AdminState.webhook_error, "webhook-error"),
                rx.hstack(rx.button(rx.icon("plus", size=16), "Add webhook", type="submit", id="add-webhook",
                                    color_scheme="violet", loading=AdminState.webhook_saving),
                          justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            on_submit=AdminState.add_webhook,
            reset_on_submit=False,
            key=AdminState.webhook_form_key,
            width="100%",
        ),
    )


def webhook_row(w: rx.Var) -> rx.Component:
    active = w["active"] != ""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(w["url"], size="3", weight="bold", color=INK, class_name="webhook-url",
                        style={"overflow_wrap": "anywhere"}),
                rx.tooltip(rx.code(w["short"], size="1", variant="ghost", color_scheme="gray",
                                   style={"overflow_wrap": "anywhere"}, class_name="webhook-document"),
                           content=w["subscription"]),
                rx.hstack(
                    rx.badge(rx.cond(active, "Active", "Paused"), color_scheme=rx.cond(active, "green", "amber"),
                             radius="full", class_name="webhook-status"),
                    rx.text("Last delivery: ", w["last"], size="1", color=MUTED),
                    rx.text(w["failures"], size="1", weight=rx.cond(w["failing"] != "", "bold", "regular"),
                            color=rx.cond(w["failing"] != "", "#991b1b", MUTED)),
                    spacing="3", align="center", wrap="wrap",
                ),
                spacing="1", min_width="0", flex="1 1 260px",  # the buttons go below it when both do not fit
            ),
            rx.hstack(
                rx.button(rx.cond(active, "Pause", "Resume"), size="2", variant="soft", color_scheme="gray",
                          on_click=AdminState.toggle_webhook(w["id"]), id="toggle-webhook-" + w["id"],
                          loading=AdminState.webhook_changing == w["id"]),
                rx.button(rx.icon("pencil", size=14), "Edit", size="2", variant="soft", color_scheme="gray",
                          on_click=AdminState.edit_webhook(w["id"]), id="edit-webhook-" + w["id"]),
                rx.button(rx.icon("trash_2", size=14), "Delete", size="2", variant="soft", color_scheme="red",
                          on_click=AdminState.delete_webhook(w["id"]), id="delete-webhook-" + w["id"]),
                spacing="2", flex_shrink="0",
            ),
            width="100%", align="start", spacing="4", wrap="wrap",
        ),
        rx.cond(
            AdminState.confirm_delete_webhook == w["id"],
            rx.hstack(
                rx.text("Delete this webhook and what it still has to send? This cannot be undone.", size="2",
                        color="#991b1b", weight="medium"),
                rx.spacer(),
                rx.button("Keep it", size="2", variant="soft", color_scheme="gray",
                          on_click=AdminState.cancel_delete_webhook),
                rx.button("Delete for good", size="2", color_scheme="red",
                          on_click=AdminState.delete_webhook(w["id"]), id="confirm-delete-webhook-" + w["id"]),
                width="100%", align="center", wrap="wrap", spacing="2",
            ),
        ),
        rx.cond(
            AdminState.webhook_edit == w["id"],
            rx.form(
                rx.vstack(
                    field("URL", rx.input(name="url", default_value=w["url"], size="2", width="100%",
                                          aria_label="Webhook URL", auto_complete="off",
                                          id="edit-webhook-url-" + w["id"])),
                    field("Subscription document", rx.text_area(
                        name="subscription", default_value=w["subscription"], rows="3", width="100%",
                        aria_label="Subscription document", id="edit-webhook-subscription-" + w["id"],
                        font_family="ui-monospace, SFMono-Regular, Menlo, monospace")),
                    field("New secret (optional)", rx.input(
                        name="secret", type="password", size="2", width="100%", placeholder="Leave empty to keep it",
                        aria_label="New secret", auto_complete="new-password", id="edit-webhook-secret-" + w["id"]),
                        "Empty keeps the secret that signs its deliveries now (it is never shown back)."),
                    rx.cond(AdminState.webhook_edit_where != "",
                            rx.text(AdminState.webhook_edit_where, size="2", weight="bold", color="#991b1b",
                                    id="webhook-edit-where")),
                    error_callout(AdminState.webhook_edit_error, "webhook-edit-error"),
                    rx.hstack(
                        rx.button("Cancel", type="button", size="2", variant="soft", color_scheme="gray",
                                  on_click=AdminState.edit_webhook(w["id"])),
                        rx.button("Save changes", type="submit", size="2", color_scheme="violet",
                                  id="save-webhook-" + w["id"]),
                        justify="end", width="100%", spacing="2",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=AdminState.save_webhook,
                reset_on_submit=False,
                width="100%",
            ),
        ),
        width="100%", spacing="3", padding="14px", background="white", border=f"1px solid {LINE}",
        border_radius="14px", class_name="webhook", id="webhook-" + w["id"],
    )


def webhooks_tab() -> rx.Component:
    return rx.vstack(
        rx.vstack(rx.heading("Webhooks", size="5", color=INK),
                  rx.text("Events POSTed to your tools (a CRM, marketing automation) as they happen, shaped by a "
                          "GraphQL subscription document.", size="2", color=MUTED), spacing="0"),
        webhook_form(),
        rx.cond(
            AdminState.webhooks.length() > 0,
            rx.vstack(rx.foreach(AdminState.webhooks, webhook_row), spacing="2", width="100%", id="webhooks"),
            rx.text("No webhooks yet.", size="2", color=MUTED, id="no-webhooks"),
        ),
        spacing="4",
        width="100%",
    )


# --- the page ----------------------------------------------------------------------------------------


def workspace() -> rx.Component:
    return rx.box(
        top_bar(),
        rx.vstack(
            rx.cond(AdminState.notice != "",
                    rx.callout(AdminState.notice, color_scheme="green", icon="circle_check", size="1", width="100%",
                               id="admin-notice", role="status")),
            error_callout(AdminState.error, "admin-page-error"),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger("Campaigns", value="campaigns", id="tab-campaigns"),
                    rx.tabs.trigger("Rewards", value="rewards", id="tab-rewards"),
                    rx.tabs.trigger("Segments", value="segments", id="tab-segments"),
                    rx.tabs.trigger("Webhooks", value="webhooks", id="tab-webhooks"),
                    size="2",
                ),
                rx.tabs.content(campaigns_tab(), value="campaigns", padding_top="16px"),
                rx.tabs.content(rewards_tab(), value="rewards", padding_top="16px"),
                rx.tabs.content(segments_tab(), value="segments", padding_top="16px"),
                rx.tabs.content(webhooks_tab(), value="webhooks", padding_top="16px"),
                value=AdminState.tab,
                on_change=AdminState.set_tab,
                width="100%",
            ),
            editor(),
            spacing="4",
            width="100%",
            max_width="1200px",
            margin_x="auto",
            padding=rx.breakpoints(initial="12px", sm="24px"),
        ),
        width="100%",
    )


def admin() -> rx.Component:
    return rx.box(
        until_ready(rx.cond(AdminState.signed_in, workspace(), sign_in_screen())),
        background=PAGE,
        min_height="100vh",
        font_family=FONT,
    )
