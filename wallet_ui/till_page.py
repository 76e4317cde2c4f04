"""The cashier's till (`/till`, a tablet at the counter): staff sign-in, find or enrol
the member, their panel and reservations to hand over, the basket with the engine's
live preview, checkout, returns per line and (supervisors) point adjustments."""
from __future__ import annotations

import reflex as rx

from .look import (
    FONT,
    INK,
    LINE,
    MUTED,
    PAGE,
    PLUS,
    error_callout,
    info_callout,
    label,
    section_title,
    surface,
    until_ready,
)
from .till import ADJUST_REASONS, TillState
from .till_api import KIND_LABELS
from .till_scan import CAN_SCAN, STOP_SCAN, VIDEO_ID

DARK = "#0b1220"


# --- signing in --------------------------------------------------------------------------------------


def sign_in_screen() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.hstack(
                rx.center(rx.icon("store", size=22, color="white"), width="44px", height="44px",
                          border_radius="12px", background="#0d9488"),
                rx.vstack(rx.heading("Till", size="6", color=INK),
                          rx.text("Sign in to start selling", size="2", color=MUTED), spacing="0"),
                align="center",
                spacing="3",
            ),
            info_callout(TillState.notice, "till-notice", "gray"),
            surface(
                rx.form(
                    rx.vstack(
                        rx.vstack(label("Staff id"),
                                  rx.input(name="staff_id", id="staff-id", placeholder="e.g. ana.portland", size="3",
                                           width="100%", auto_complete=False, auto_capitalize="none",
                                           aria_label="Staff id"),
                                  spacing="1", width="100%"),
                        rx.vstack(label("PIN"),
                                  rx.input(name="pin", id="pin", type="password", placeholder="6 to 12 digits",
                                           size="3", width="100%", input_mode="numeric", auto_complete="off",
                                           aria_label="PIN"),
                                  spacing="1", width="100%"),
                        error_callout(TillState.sign_in_error, "till-error"),
                        rx.button("Sign in", type="submit", id="staff-sign-in", size="3", width="100%",
                                  loading=TillState.signing_in),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=TillState.sign_in,
                    reset_on_submit=False,
                    width="100%",
                ),
                padding="24px",
            ),
            rx.text(TillState.demo_hint, size="1", color=MUTED, text_align="center", id="demo-staff"),
            spacing="4",
            width="100%",
            max_width="400px",
            padding="20px",
        ),
        min_height="100vh",
        width="100%",
    )


# --- the bar -----------------------------------------------------------------------------------------


def top_bar() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.center(rx.icon("store", size=18, color="white"), width="32px", height="32px", border_radius="9px",
                      background="#0d9488"),
            rx.vstack(
                rx.text("Till", size="3", weight="bold", color="white", line_height="1.1"),
                rx.text(TillState.store_name, size="1", color="#94a3b8", id="till-store", white_space="nowrap"),
                spacing="0",
            ),
            align="center",
            spacing="3",
        ),
        rx.spacer(),
        rx.cond(
            TillState.store_id == "",
            rx.select.root(
                rx.select.trigger(placeholder="Choose the store"),
                rx.select.content(rx.foreach(TillState.stores, lambda s: rx.select.item(s["name"], value=s["id"]))),
                on_change=TillState.choose_store,
            ),
        ),
        rx.hstack(
            rx.avatar(fallback=TillState.staff_name.to(str)[0:1], size="2", radius="full", color_scheme="teal",
                      variant="solid"),
            rx.vstack(
                rx.text(TillState.staff_name, size="2", weight="medium", color="white", id="till-staff",
                        white_space="nowrap"),
                rx.text(TillState.role_words, size="1", color="#94a3b8", id="till-role"),
                spacing="0",
            ),
            align="center",
            spacing="2",
            display=rx.breakpoints(initial="none", xs="flex"),
        ),
        rx.button(rx.icon("log_out", size=16), rx.text("Sign out", display=rx.breakpoints(initial="none", xs="inline")),
                  on_click=TillState.sign_out, variant="surface", color_scheme="gray", high_contrast=True, size="2",
                  id="till-sign-out", aria_label="Sign out"),
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


# --- the member --------------------------------------------------------------------------------------


def scan_button() -> rx.Component:
    """Shown only where the browser can scan (its camera API and BarcodeDetector): elsewhere the
    till is the typed code alone."""
    return rx.cond(
        TillState.can_scan & ~TillState.scanning,
        rx.button(rx.icon("scan_qr_code", size=18), "Scan the wallet card", on_click=TillState.start_scan,
                  variant="soft", size="3", width="100%", id="scan-card", disabled=TillState.finding),
    )


def scan_preview() -> rx.Component:
    """The rear camera's picture while it looks for the wallet card's QR code; Cancel turns it off."""
    return rx.cond(
        TillState.scanning,
        rx.vstack(
            rx.box(
                rx.el.video(id=VIDEO_ID, auto_play=True, muted=True, plays_inline=True, aria_label="Camera",
                            width="100%", height="100%", style={"objectFit": "cover", "display": "block"}),
                rx.box(position="absolute", inset="18%", border="3px solid rgba(255, 255, 255, 0.9)",
                       border_radius="14px", box_shadow="0 0 0 999px rgba(11, 18, 32, 0.35)",
                       pointer_events="none"),
                position="relative",
                width="100%",
                max_width="360px",
                aspect_ratio="4 / 3",
                border_radius="14px",
                overflow="hidden",
                background=DARK,
                margin_x="auto",
            ),
            rx.hstack(
                rx.icon("scan_qr_code", size=16, color=MUTED, flex_shrink="0"),
                rx.text("Hold the QR code on the member's wallet card up to the camera.", size="2", color=INK),
                rx.spacer(),
                rx.button("Cancel", on_click=[rx.call_script(STOP_SCAN), TillState.cancel_scan], variant="soft",
                          color_scheme="gray", size="2", id="scan-cancel", flex_shrink="0"),
                width="100%",
                align="center",
                role="status",
            ),
            spacing="2",
            width="100%",
            id="scan",
        ),
    )


def find_card() -> rx.Component:
    return surface(
        rx.vstack(
            section_title("Customer", rx.button(rx.icon("user_plus", size=16), "New member", variant="soft",
                                                size="2", on_click=TillState.open_enrol, id="open-enrol")),
            rx.segmented_control.root(
                *[rx.segmented_control.item(text, value=kind, id=f"find-kind-{kind.lower()}")
                  for kind, text in KIND_LABELS.items()],
                value=TillState.find_kind,
                on_change=TillState.set_find_kind,
                width="100%",
                size=rx.breakpoints(initial="2", sm="1", md="2"),
                id="find-kind",
            ),
            rx.form(
                rx.hstack(
                    rx.input(rx.input.slot(rx.icon("search", size=16)), name="find_value", id="find-value",
                             placeholder=TillState.find_placeholder, size="3", width="100%",
                             aria_label="Find a member"),
                    rx.button("Find", type="submit", id="find", size="3", loading=TillState.finding),
                    width="100%",
                ),
                on_submit=TillState.find_member,
                reset_on_submit=False,
                width="100%",
            ),
            scan_button(),
            scan_preview(),
            error_callout(TillState.find_error, "find-error"),
            rx.cond(
                TillState.not_found != "",
                rx.hstack(
                    rx.icon("user_x", size=18, color="#b45309", flex_shrink="0"),
                    rx.text(TillState.not_found, size="2", color="#92400e", min_width="0",
                            overflow_wrap="anywhere"),
                    rx.spacer(),
                    rx.button("Enrol them", size="2", on_click=TillState.open_enrol, id="enrol-cta",
                              flex_shrink="0"),
                    width="100%", align="center", padding="10px 12px", border_radius="12px",
                    background="#fffbeb", border="1px solid #fde68a", id="not-found", role="status",
                ),
            ),
            spacing="3",
            width="100%",
            on_mount=rx.call_script(CAN_SCAN, callback=TillState.set_can_scan),
        ),
    )


def enrol_dialog() -> rx.Component:
    def field(name: str, text: str, **props: object) -> rx.Component:  # uncontrolled: the form reads them
        return rx.vstack(label(text), rx.input(name=name, id=f"enrol-{name.replace('_', '-')}", size="3", width="100%",
                                               **props), spacing="1", width="100%")

    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("New member"),
            rx.dialog.description("A few fields are enough: they can add the rest in the app.", size="2",
                                  color=MUTED, margin_bottom="12px"),
            rx.form(
                rx.vstack(
                    rx.hstack(field("given_name", "First name"), field("family_name", "Last name"), width="100%"),
                    field("email", "Email", type="email", default_value=TillState.enrol_email),
                    field("phone", "Phone", type="tel", placeholder="503 555 0100",
                          default_value=TillState.enrol_phone),
                    rx.hstack(rx.checkbox(name="email_marketing", id="enrol-email-marketing"),
                              rx.text("They want offers by email", size="2"), align="center"),
                    error_callout(TillState.enrol_error, "enrol-error"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Enrol", type="submit", id="enrol", loading=TillState.enrolling),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=TillState.enrol,
                reset_on_submit=False,
            ),
            max_width="480px",
        ),
        open=TillState.show_enrol,
        on_open_change=TillState.set_show_enrol,
    )


def member_card() -> rx.Component:
    member = TillState.member
    return surface(
        rx.vstack(
            rx.hstack(
                rx.avatar(fallback=member["initials"], size="4", radius="full", color_scheme="teal"),
                rx.vstack(
                    rx.text(member["name"], size="5", weight="bold", color=INK, id="member-name"),
                    rx.hstack(
                        rx.badge(member["tier"], color_scheme="amber", radius="full", id="member-tier"),
                        rx.text(member["to_next"], size="1", color=MUTED),
                        align="center",
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="1",
                    min_width="0",
                ),
                rx.spacer(),
                rx.icon_button(rx.icon("x", size=16), variant="ghost", color_scheme="gray",
                               on_click=TillState.clear_member, aria_label="Next customer", title="Next customer",
                               id="clear-member"),
                width="100%",
                align="center",
            ),
            rx.hstack(
                rx.vstack(label("Available"), rx.text(member["available"], size="6", weight="bold", color=INK,
                                                      id="member-available"), spacing="0", flex="1"),
                rx.vstack(label("Pending"), rx.text(member["pending"], size="6", weight="bold", color=MUTED,
                                                    id="member-pending"), spacing="0", flex="1"),
                width="100%",
            ),
            rx.cond(member["expiring"] != "",
                    rx.hstack(rx.icon("clock", size=14, color="#c2410c"),
                              rx.text(member["expiring"], size="1", color="#c2410c"), align="center", spacing="1")),
            rx.vstack(
                rx.cond(member["email"] != "", rx.hstack(rx.icon("mail", size=14, color=MUTED),
                                                         rx.text(member["email"], size="2", color=MUTED),
                                                         align="center", spacing="2")),
                rx.cond(member["phone"] != "", rx.hstack(rx.icon("phone", size=14, color=MUTED),
                                                         rx.text(member["phone"], size="2", color=MUTED),
                                                         align="center", spacing="2")),
                rx.cond(member["home"] != "", rx.hstack(rx.icon("map_pin", size=14, color=MUTED),
                                                        rx.text(member["home"], size="2", color=MUTED),
                                                        align="center", spacing="2")),
                spacing="1",
            ),
            error_callout(TillState.member_error, "member-error"),
            spacing="3",
            width="100%",
            id="member-panel",
        ),
    )


def reservation_row(row: rx.Var) -> rx.Component:
    held = row["status"] == "HELD"
    return rx.hstack(
        rx.vstack(
            rx.text(row["product"], size="2", weight="bold", color=INK),
            rx.text(rx.cond(row["size"] != "", "Size " + row["size"] + " · ", ""),
                    rx.cond(held, "held until " + row["hold_until"], row["status_words"]), size="1", color=MUTED),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.cond(
            held,
            rx.hstack(
                rx.button("Ring up", size="1", variant="soft", on_click=TillState.ring_up_reservation(row["id"]),
                          id="ring-up-" + row["id"]),
                rx.button("Hand over", size="1", on_click=TillState.fulfil(row["id"]), id="fulfil-" + row["id"]),
                spacing="2",
                flex_shrink="0",
            ),
            rx.badge(row["status_words"], radius="full", color_scheme="gray"),
        ),
        width="100%",
        align="center",
        wrap="wrap",
        id="till-reservation-" + row["id"],
    )


def reservations_card() -> rx.Component:
    return rx.cond(
        TillState.reservations.length() > 0,
        surface(
            rx.vstack(
                section_title("Reservations", rx.badge(TillState.held_reservations.length(), " to pick up",
                                                       color_scheme="green", radius="full")),
                rx.foreach(TillState.reservations, reservation_row),
                spacing="3",
                width="100%",
                id="till-reservations",
            ),
        ),
    )


def adjust_card() -> rx.Component:
    return rx.cond(
        TillState.is_supervisor & TillState.has_member,
        surface(
            rx.vstack(
                section_title("Adjust points", rx.badge("Supervisor", color_scheme="purple", radius="full")),
                rx.form(
                    rx.vstack(
                        rx.hstack(
                            rx.input(name="points", id="adjust-points", placeholder="+50 or -50", size="2",
                                     width="110px", input_mode="numeric", aria_label="Points"),
                            rx.select(ADJUST_REASONS, name="reason", default_value=ADJUST_REASONS[0], size="2",
                                      id="adjust-reason"),
                            width="100%",
                            wrap="wrap",
                        ),
                        rx.input(name="note", id="adjust-note", placeholder="Note (what happened)", size="2",
                                 width="100%", aria_label="Note"),
                        error_callout(TillState.adjust_error, "adjust-error"),
                        info_callout(TillState.adjust_result, "adjust-result", "green"),
                        rx.button("Record adjustment", type="submit", id="adjust", size="2",
                                  loading=TillState.adjusting, color_scheme="purple"),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=TillState.adjust,
                    reset_on_submit=False,
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
        ),
    )


def member_column() -> rx.Component:
    return rx.vstack(
        find_card(),
        rx.cond(TillState.has_member, member_card()),
        rx.cond(TillState.has_member, reservations_card()),
        adjust_card(),
        spacing="4",
        width="100%",
    )


# --- the basket --------------------------------------------------------------------------------------


def product_search() -> rx.Component:
    return rx.vstack(
        rx.input(rx.input.slot(rx.icon("scan_barcode", size=16)),
                 on_change=TillState.search_products, id="product-search",
                 placeholder="Search products by name or SKU", size="3", width="100%",
                 aria_label="Search products"),
        rx.cond(
            TillState.results.length() > 0,
            rx.vstack(
                rx.foreach(
                    TillState.results,
                    lambda p: rx.hstack(
                        rx.vstack(rx.text(p["name"], size="2", weight="medium", color=INK),
                                  rx.text(p["sku"], " · ", p["category"], size="1", color=MUTED), spacing="0"),
                        rx.spacer(),
                        rx.text(p["price"], size="2", weight="bold", color=INK),
                        rx.button(rx.icon("plus", size=14), "Add", size="1", on_click=TillState.add_product(p["sku"]),
                                  id="add-" + p["sku"]),
                        width="100%",
                        align="center",
                        padding="8px 10px",
                        border_bottom=f"1px solid {LINE}",
                        class_name="product-result",
                    ),
                ),
                width="100%",
                spacing="0",
                border=f"1px solid {LINE}",
                border_radius="12px",
                overflow="hidden",
                id="product-results",
            ),
        ),
        spacing="2",
        width="100%",
    )


def basket_line(line: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(line["name"], size="2", weight="bold", color=INK),
                rx.text(line["sku"], " · ", line["unit_words"], " each", size="1", color=MUTED),
                spacing="0",
                min_width="0",
            ),
            rx.spacer(),
            rx.text(line["amount"], size="3", weight="bold", color=INK, white_space="nowrap",
                    class_name="line-amount"),
            width="100%",
            align="start",
        ),
        rx.hstack(
            rx.cond(
                line["size"] != "",
                rx.select.root(
                    rx.select.trigger(aria_label="Size", id="size-" + line["key"]),
                    rx.select.content(rx.foreach(TillState.sizes[line["sku"]],
                                                 lambda c: rx.select.item(c["label"], value=c["size"]))),
                    value=line["size"],
                    on_change=lambda size: TillState.change_size(line["key"], size),
                    size="2",
                ),
            ),
            rx.hstack(
                rx.icon_button(rx.icon("minus", size=14), size="2", variant="soft", color_scheme="gray",
                               on_click=TillState.change_quantity(line["key"], -1), aria_label="One less"),
                rx.text(line["quantity"], size="3", weight="bold", min_width="28px", text_align="center",
                        class_name="line-quantity"),
                rx.icon_button(rx.icon("plus", size=14), size="2", variant="soft", color_scheme="gray",
                               on_click=TillState.change_quantity(line["key"], 1), aria_label="One more",
                               class_name="line-more"),
                align="center",
                spacing="1",
            ),
            rx.spacer(),
            rx.button(rx.icon("trash_2", size=14), "Remove", size="1", variant="ghost", color_scheme="red",
                      on_click=TillState.remove_line(line["key"])),
            width="100%",
            align="center",
        ),
        width="100%",
        spacing="2",
        padding_y="12px",
        border_bottom=f"1px solid {LINE}",
        class_name="basket-line",
    )


def effect_row(effect: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon(rx.match(effect["tone"], ("bad", "circle_x"), ("good", "circle_check"), ("points", "sparkles"), "info"),
                size=16, color=rx.match(effect["tone"], ("bad", "#b91c1c"), ("good", PLUS), ("points", "#b45309"),
                                        MUTED)),
        rx.text(effect["text"], size="2", color=INK),
        rx.spacer(),
        rx.text(effect["detail"], size="2", weight="bold", color=INK, white_space="nowrap"),
        width="100%",
        align="center",
        class_name="effect",
        data_kind=effect["kind"],
    )


def coupons() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(rx.input.slot(rx.icon("ticket", size=16)), name="coupon", id="coupon",
                         placeholder="Coupon code", size="2", width="100%", aria_label="Coupon code"),
                rx.button("Apply", type="submit", size="2", variant="soft", id="apply-coupon"),
                width="100%",
            ),
            on_submit=TillState.add_coupon,
            reset_on_submit=False,
            width="100%",
        ),
        rx.cond(
            TillState.coupons.length() > 0,
            rx.hstack(
                rx.foreach(TillState.coupons, lambda code: rx.badge(
                    code, rx.icon("x", size=12, cursor="pointer", on_click=TillState.remove_coupon(code)),
                    radius="full", variant="surface", size="2")),
                wrap="wrap",
                spacing="2",
            ),
        ),
        width="100%",
        spacing="2",
    )


def summary_row(text: str, value: rx.Var, element_id: str, **props: object) -> rx.Component:
    return rx.hstack(rx.text(text, size="2", color=MUTED), rx.spacer(),
                     rx.text(value, size="2", color=INK, id=element_id, **props), width="100%")


def preview() -> rx.Component:
    return rx.vstack(
        rx.cond(TillState.effects.length() > 0,
                rx.vstack(rx.foreach(TillState.effects, effect_row), width="100%", spacing="2", id="effects",
                          padding="12px", background="#f8fafc", border_radius="12px")),
        error_callout(TillState.preview_error, "preview-error"),
        summary_row("Subtotal", TillState.subtotal, "preview-subtotal"),
        summary_row("Discount", TillState.discount, "preview-discount"),
        rx.hstack(rx.text("Total", size="4", weight="bold", color=INK), rx.spacer(),
                  rx.text(TillState.total, size="6", weight="bold", color=INK, id="preview-total"), width="100%",
                  align="center"),
        rx.cond(
            TillState.lines.length() == 0,
            rx.text("Add products: the preview shows the discounts and the points as the basket changes.",
                    size="1", color=MUTED),
            rx.cond(
                TillState.has_member,
                rx.hstack(rx.icon("sparkles", size=16, color="#b45309"),
                          rx.text(TillState.member["name"], " earns ", size="2", color=INK),
                          rx.text(TillState.points_to_earn, id="preview-points", size="2", weight="bold", color=INK),
                          rx.text(" points", size="2", color=INK), spacing="1", align="center"),
                rx.text("No member on this sale: no points. Find or enrol the customer first.", size="1",
                        color=MUTED),
            ),
        ),
        spacing="2",
        width="100%",
    )


def receipt() -> rx.Component:
    r = TillState.receipt
    return rx.cond(
        r.contains("id"),
        rx.box(
            rx.vstack(
                rx.hstack(rx.icon("circle_check", size=22, color=PLUS),
                          rx.text(rx.cond(r["duplicate"] != "", "Already recorded", "Sale complete"), size="4",
                                  weight="bold", color=INK),
                          rx.spacer(), rx.text(r["total"], size="4", weight="bold", color=INK),
                          width="100%", align="center"),
                rx.cond(
                    r["earned"] != "",
                    rx.text(r["who"], " earned ", rx.text.strong(r["points"], id="receipt-points"),
                            " points · balance ", rx.text.strong(r["balance"]), size="2", color=INK),
                    rx.text("No points on this sale.", size="2", color=MUTED),
                ),
                rx.cond(r["duplicate"] != "",
                        rx.text("This sale was recorded before: nothing was charged or posted twice.", size="1",
                                color=MUTED)),
                rx.text("Receipt ", r["id"], size="1", color=MUTED, id="receipt-id"),
                spacing="1",
                width="100%",
            ),
            padding="14px",
            border_radius="14px",
            background="#ecfdf5",
            border="1px solid #a7f3d0",
            width="100%",
            id="receipt",
        ),
    )


def sale_panel() -> rx.Component:
    return rx.vstack(
        receipt(),
        product_search(),
        rx.cond(
            TillState.lines.length() > 0,
            rx.vstack(rx.foreach(TillState.lines, basket_line), width="100%", spacing="0", id="basket-lines"),
            rx.center(
                rx.vstack(rx.icon("shopping_cart", size=28, color="#cbd5e1"),
                          rx.text("The basket is empty: search a product to add it.", size="2", color=MUTED),
                          align="center"),
                padding_y="28px",
                width="100%",
            ),
        ),
        coupons(),
        rx.separator(size="4"),
        preview(),
        error_callout(TillState.sale_error, "sale-error"),
        rx.button(rx.icon("credit_card", size=18), TillState.charge_words, on_click=TillState.charge, id="charge",
                  size="4", width="100%", loading=TillState.charging,
                  disabled=(TillState.lines.length() == 0) | (TillState.store_id == "")),
        spacing="3",
        width="100%",
    )


def return_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Take back items of a purchase: its points come back off the member's balance, line by line.",
                size="2", color=MUTED),
        rx.vstack(
            label("Purchase"),
            rx.cond(
                TillState.purchases.length() > 0,
                rx.select.root(
                    rx.select.trigger(placeholder="The member's recent purchases", width="100%"),
                    rx.select.content(rx.foreach(TillState.purchases,
                                                 lambda p: rx.select.item(p["label"], value=p["reference"]))),
                    value=TillState.return_purchase,
                    on_change=TillState.choose_return_purchase,
                    size="2",
                ),
            ),
            rx.input(on_change=TillState.set_return_purchase,
                     placeholder="or the receipt number", size="2", width="100%", id="return-purchase",
                     aria_label="Receipt number"),
            spacing="1",
            width="100%",
        ),
        rx.cond(
            TillState.return_lines.length() > 0,
            rx.vstack(
                rx.foreach(
                    TillState.return_lines,
                    lambda ln: rx.hstack(
                        rx.vstack(rx.text(ln["name"], size="2", weight="bold", color=INK),
                                  rx.text(ln["sku"], rx.cond(ln["size"] != "", " · size " + ln["size"], ""),
                                          rx.cond(ln["sold"] != "", " · bought " + ln["sold"], ""), size="1",
                                          color=MUTED),
                                  spacing="0"),
                        rx.spacer(),
                        rx.icon_button(rx.icon("minus", size=14), size="1", variant="soft", color_scheme="gray",
                                       on_click=TillState.change_return_quantity(ln["sku"], -1),
                                       aria_label="One less back"),
                        rx.text(ln["quantity"], size="2", weight="bold", min_width="24px", text_align="center"),
                        rx.icon_button(rx.icon("plus", size=14), size="1", variant="soft", color_scheme="gray",
                                       on_click=TillState.change_return_quantity(ln["sku"], 1),
                                       aria_label="One more back", id="return-more-" + ln["sku"]),
                        width="100%",
                        align="center",
                        padding_y="8px",
                        border_bottom=f"1px solid {LINE}",
                    ),
                ),
                width="100%",
                spacing="0",
                id="return-lines",
            ),
        ),
        rx.form(
            rx.hstack(
                rx.input(name="return_sku", id="return-sku", placeholder="Add an item by SKU (from the receipt)",
                         size="2", width="100%", aria_label="SKU to return"),
                rx.button("Add", type="submit", size="2", variant="soft"),
                width="100%",
            ),
            on_submit=TillState.add_return_line,
            reset_on_submit=False,
            width="100%",
        ),
        error_callout(TillState.return_error, "return-error"),
        info_callout(TillState.return_result, "return-result", "green"),
        rx.button(rx.icon("undo_2", size=16), "Record return", on_click=TillState.record_return, id="record-return",
                  size="3", width="100%", loading=TillState.returning, color_scheme="orange"),
        spacing="3",
        width="100%",
    )


def basket_column() -> rx.Component:
    return surface(
        rx.vstack(
            rx.hstack(
                rx.segmented_control.root(
                    rx.segmented_control.item("Sale", value="sale"),
                    rx.segmented_control.item("Return", value="return"),
                    value=TillState.mode,
                    on_change=TillState.set_mode,
                    size="2",
                    id="till-mode",
                ),
                rx.spacer(),
                rx.cond(TillState.basket_count > 0,
                        rx.badge(TillState.basket_words, radius="full", color_scheme="teal")),
                rx.cond(TillState.mode == "sale",
                        rx.button("New sale", variant="ghost", size="2", on_click=TillState.new_sale, id="new-sale")),
                width="100%",
                align="center",
            ),
            rx.cond(TillState.mode == "return", return_panel(), sale_panel()),
            spacing="4",
            width="100%",
        ),
        padding="18px",
    )


def till_screen() -> rx.Component:
    return rx.vstack(
        top_bar(),
        rx.box(
            info_callout(TillState.notice, "till-notice"),
            rx.grid(
                member_column(),
                basket_column(),
                spacing="4",
                width="100%",
                align_items="start",
                grid_template_columns=rx.breakpoints(initial="minmax(0, 1fr)", sm="minmax(0, 4fr) minmax(0, 6fr)",
                                                     md="minmax(0, 5fr) minmax(0, 7fr)"),
            ),
            width="100%",
            max_width="1280px",
            margin_x="auto",
            padding="16px",
        ),
        enrol_dialog(),
        spacing="0",
        width="100%",
    )


def till() -> rx.Component:
    return rx.box(
        until_ready(rx.cond(TillState.signed_in, till_screen(), sign_in_screen())),
        background=PAGE,
        min_height="100vh",
        font_family=FONT,
    )
