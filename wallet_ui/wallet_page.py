"""The member wallet (`/`, phone first): tier card with progress, balance with pending
and expiring points, the member card's QR code for the till, reservations and their
status live, recently viewed products, activity with paging."""
from __future__ import annotations

import reflex as rx

from .look import (
    DEFAULT_GRADIENT,
    FONT,
    INK,
    LINE,
    MINUS,
    MUTED,
    PAGE,
    PLUS,
    SURFACE,
    TIER_GRADIENT,
    error_callout,
    label,
    section_title,
    surface,
    until_ready,
)
from .state import DEMO_MEMBERS, WalletState


def sign_in_card() -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.vstack(
                rx.icon("wallet", size=28, color="white"),
                rx.heading("Your loyalty wallet", size="7", color="white", weight="bold"),
                rx.text("Points, rewards and reservations, live from the till to your phone.",
                        size="3", color="rgba(255,255,255,0.85)"),
                spacing="2",
            ),
            background=DEFAULT_GRADIENT,
            border_radius="22px",
            padding="24px",
            width="100%",
        ),
        surface(
            rx.vstack(
                rx.text("Sign in", size="4", weight="bold", color=INK),
                rx.form(
                    rx.vstack(
                        rx.input(placeholder="Email", name="email", id="email", type="email", width="100%",
                                 size="3", aria_label="Email"),
                        rx.button("Sign in", type="submit", id="sign-in", loading=WalletState.busy, size="3",
                                  width="100%"),
                        width="100%",
                        spacing="3",
                    ),
                    on_submit=WalletState.sign_in,
                    width="100%",
                ),
                rx.hstack(rx.separator(size="4"), rx.text("or try a demo member", size="1", color=MUTED,
                                                          white_space="nowrap"), rx.separator(size="4"),
                          width="100%", align="center"),
                *[
                    rx.button(
                        rx.hstack(
                            rx.avatar(fallback=name[0], size="2", radius="full", color_scheme="teal"),
                            rx.vstack(rx.text(name, weight="bold", size="2", color=INK),
                                      rx.text(about, size="1", color=MUTED), spacing="0", align="start"),
                            rx.spacer(),
                            rx.icon("chevron_right", size=16, color=MUTED),
                            width="100%", align="center",
                        ),
                        variant="ghost", width="100%", height="auto", padding_y="8px", color_scheme="gray",
                        on_click=WalletState.sign_in_as(email), id=f"demo-{name.lower()}",
                    )
                    for email, name, about in DEMO_MEMBERS
                ],
                rx.text("Demo sign-in (dev only): the platform issues the member's token. In production your "
                        "identity provider does.", size="1", color=MUTED),
                spacing="3",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )


def header() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text("Welcome back", size="2", color=MUTED),
            rx.heading("Hi ", WalletState.given_name, id="greeting", size="7", color=INK),
            spacing="0",
        ),
        rx.spacer(),
        rx.cond(
            WalletState.live,
            rx.badge(rx.box(width="7px", height="7px", border_radius="50%", background="#10b981"), "Live",
                     color_scheme="green", variant="soft", radius="full", id="live", size="2"),
            rx.badge("Offline", color_scheme="gray", variant="soft", radius="full", size="2"),
        ),
        rx.icon_button(rx.icon("log_out", size=18), variant="soft", color_scheme="gray", size="2", radius="full",
                       on_click=WalletState.sign_out, id="sign-out", aria_label="Sign out", title="Sign out"),
        width="100%",
        align="center",
    )


def tier_card() -> rx.Component:
    white = "rgba(255,255,255,0.88)"
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text("Tier", size="1", color=white, text_transform="uppercase", letter_spacing="0.1em"),
                    rx.heading(WalletState.tier_name, id="tier-name", size="6", color="white"),
                    spacing="0",
                ),
                rx.spacer(),
                rx.badge(WalletState.tier_multiplier, " points", variant="solid", radius="full",
                         background="rgba(255,255,255,0.22)", color="white", size="2"),
                width="100%",
                align="start",
            ),
            rx.vstack(
                rx.text("Available points", size="2", color=white),
                rx.hstack(
                    rx.text(WalletState.available_words, id="balance-available", size="9", weight="bold",
                            color="white", line_height="1", style={"font_variant_numeric": "tabular-nums"}),
                    rx.text("pts", size="4", color=white, padding_bottom="4px"),
                    align="end",
                    spacing="2",
                ),
                spacing="1",
            ),
            rx.vstack(
                rx.box(
                    rx.box(width=WalletState.progress.to_string() + "%", height="100%", background="white",
                           border_radius="999px", transition="width 0.6s ease"),
                    width="100%", height="8px", background="rgba(255,255,255,0.3)", border_radius="999px",
                    role="progressbar", aria_label="Progress to the next tier",
                    aria_valuenow=WalletState.progress, aria_valuemin=0, aria_valuemax=100,
                ),
                rx.text(WalletState.to_next_words, size="2", color="white", id="to-next", weight="medium"),
                spacing="2",
                width="100%",
            ),
            rx.button(rx.icon("qr_code", size=18), "Show my card", on_click=WalletState.toggle_card, id="show-card",
                      variant="solid", size="3", width="100%", background="white", color=INK, radius="full",
                      style={"_hover": {"background": "#f1f5f9"}}),
            spacing="4",
            width="100%",
        ),
        background=rx.match(WalletState.tier_name, *TIER_GRADIENT.items(), DEFAULT_GRADIENT),
        border_radius="22px",
        padding="20px",
        width="100%",
        box_shadow="0 10px 30px rgba(15, 23, 42, 0.18)",
        id="tier-card",
    )


def stat(title: str, value: rx.Component) -> rx.Component:
    return rx.vstack(label(title), value, spacing="1", align="start", flex="1", min_width="0")


def balance_row() -> rx.Component:
    return surface(
        rx.vstack(
            rx.hstack(
                stat("Pending", rx.text(WalletState.pending_words, id="balance-pending", size="5", weight="bold",
                                        color=INK)),
                rx.separator(orientation="vertical", size="2"),
                stat("Lifetime", rx.text(WalletState.lifetime_words, size="5", weight="bold", color=INK)),
                rx.separator(orientation="vertical", size="2"),
                stat("This year", rx.text(WalletState.qualifying_words, size="5", weight="bold", color=INK)),
                width="100%",
                align="center",
                spacing="4",
            ),
            rx.cond(
                WalletState.pending > 0,
                rx.text("Pending points become yours when the return window closes.", size="1", color=MUTED),
            ),
            rx.cond(
                WalletState.expiring_points > 0,
                rx.hstack(rx.icon("clock", size=14, color="#c2410c"),
                          rx.text(WalletState.expiring_words, size="2", color="#c2410c", id="expiring"),
                          align="center", spacing="2"),
            ),
            spacing="3",
            width="100%",
        ),
    )


def member_card() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title("Your member card", margin="0"),
                    rx.spacer(),
                    rx.dialog.close(rx.icon_button(rx.icon("x", size=18), variant="ghost", color_scheme="gray",
                                                   aria_label="Close")),
                    width="100%", align="center",
                ),
                rx.dialog.description("Show this at the till: the cashier scans it or types the code.", size="2",
                                      color=MUTED),
                rx.center(
                    rx.image(src=WalletState.qr, id="member-qr", width="240px", height="240px",
                             alt="QR code of your member card"),
                    width="100%", padding="12px", background="white", border=f"1px solid {LINE}",
                    border_radius="16px",
                ),
                rx.vstack(
                    rx.text(WalletState.given_name, " ", WalletState.family_name, size="4", weight="bold",
                            color=INK),
                    rx.text(WalletState.card_number, id="card-number", size="1", color=MUTED, text_align="center",
                            font_family="ui-monospace, SFMono-Regular, Menlo, monospace"),
                    rx.badge(WalletState.tier_name, " member", radius="full", color_scheme="amber"),
                    spacing="1",
                    align="center",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="360px",
        ),
        open=WalletState.show_card,
        on_open_change=WalletState.set_show_card,
    )


def benefits_card() -> rx.Component:
    def benefit(text: rx.Var, icon: str, color: str) -> rx.Component:
        return rx.hstack(rx.icon(icon, size=16, color=color), rx.text(text, size="2", color=INK), align="center",
                         spacing="2")

    return surface(
        rx.vstack(
            section_title("Your benefits"),
            rx.foreach(WalletState.tier_benefits, lambda b: benefit(b, "circle_check", PLUS)),
            rx.cond(
                WalletState.next_tier != "",
                rx.vstack(
                    rx.separator(size="4"),
                    rx.text("Unlock at ", WalletState.next_tier, size="2", weight="bold", color=MUTED),
                    rx.foreach(WalletState.next_benefits, lambda b: benefit(b, "lock", MUTED)),
                    spacing="2",
                    width="100%",
                ),
            ),
            spacing="2",
            width="100%",
            id="benefits",
        ),
    )


def reservation_item(row: rx.Var) -> rx.Component:
    held = row["status"] == "HELD"
    return rx.hstack(
        rx.center(rx.icon("shopping_bag", size=18, color=rx.cond(held, "#0f766e", MUTED)),
                  width="40px", height="40px", border_radius="12px",
                  background=rx.cond(held, "#ccfbf1", "#f1f5f9"), flex_shrink="0"),
        rx.vstack(
            rx.text(row["product"], size="2", weight="bold", color=INK),
            rx.text(rx.cond(row["size"] != "", "Size " + row["size"] + " · ", ""), row["store"], size="1",
                    color=MUTED),
            rx.cond(held, rx.text("Held until ", row["hold_until"], size="1", color=MUTED)),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.badge(row["status_words"], color_scheme=rx.match(row["status"], ("HELD", "green"), ("FULFILLED", "blue"),
                                                           "gray"),
                 radius="full", variant="soft", class_name="reservation-status"),
        width="100%",
        align="center",
        id="reservation-" + row["id"],
        data_status=row["status"],
    )


def reservations_card() -> rx.Component:
    return rx.cond(
        WalletState.reservations.length() > 0,
        surface(
            rx.vstack(
                section_title("Reservations"),
                rx.foreach(WalletState.reservations, reservation_item),
                spacing="3",
                width="100%",
                id="reservations",
            ),
        ),
    )


def viewed_card() -> rx.Component:
    return rx.cond(
        WalletState.viewed.length() > 0,
        rx.vstack(
            rx.text("Recently viewed", size="3", weight="bold", color=INK),
            rx.hstack(
                rx.foreach(
                    WalletState.viewed,
                    lambda v: rx.box(
                        rx.vstack(
                            rx.center(rx.icon("shirt", size=22, color="#0f766e"), width="100%", height="64px",
                                      background="#f0fdfa", border_radius="12px"),
                            rx.text(v["name"], size="2", weight="bold", color=INK, line_clamp=2),
                            rx.text(v["price"], size="2", color=INK),
                            rx.text("Viewed ", v["when"], size="1", color=MUTED),
                            spacing="1",
                        ),
                        **{**SURFACE, "padding": "12px", "width": "156px"},
                        flex_shrink="0",
                    ),
                ),
                spacing="3",
                overflow_x="auto",
                width="100%",
                padding_bottom="4px",
                id="recently-viewed",
            ),
            spacing="2",
            width="100%",
        ),
    )


def activity_item(row: rx.Var) -> rx.Component:
    plus = row["tone"] == "plus"
    return rx.hstack(
        rx.center(rx.icon(rx.cond(plus, "plus", "minus"), size=16, color=rx.cond(plus, PLUS, MINUS)),
                  width="36px", height="36px", border_radius="50%",
                  background=rx.cond(plus, "#ecfdf5", "#fef2f2"), flex_shrink="0"),
        rx.vstack(
            rx.text(row["description"], size="2", weight="medium", color=INK),
            rx.text(row["when"], " · ", row["kind_words"], size="1", color=MUTED),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.text(row["points_words"], weight="bold", size="3", color=rx.cond(plus, PLUS, MINUS),
                white_space="nowrap"),
        width="100%",
        align="center",
        padding_y="6px",
        border_bottom=f"1px solid {LINE}",
    )


def activity_card() -> rx.Component:
    return surface(
        rx.vstack(
            section_title("Activity"),
            rx.cond(
                WalletState.activity.length() > 0,
                rx.vstack(rx.foreach(WalletState.activity, activity_item), width="100%", spacing="0",
                          id="activity"),
                rx.text("No activity yet: your first purchase shows here.", size="2", color=MUTED),
            ),
            rx.cond(
                WalletState.activity_more,
                rx.button("Show more", on_click=WalletState.more_activity, loading=WalletState.loading_more,
                          variant="soft", color_scheme="gray", width="100%", id="more-activity"),
            ),
            spacing="2",
            width="100%",
        ),
    )


def wallet() -> rx.Component:
    return rx.vstack(
        header(),
        tier_card(),
        balance_row(),
        reservations_card(),
        viewed_card(),
        benefits_card(),
        activity_card(),
        member_card(),
        spacing="4",
        width="100%",
    )


def index() -> rx.Component:
    return rx.box(
        rx.vstack(
            error_callout(WalletState.error, "error"),
            until_ready(rx.cond(WalletState.signed_in, wallet(), sign_in_card())),
            spacing="4",
            width="100%",
            max_width="480px",
            margin_x="auto",
            padding_x="16px",
            padding_y="20px",
        ),
        background=PAGE,
        min_height="100vh",
        font_family=FONT,
    )
