"""The member wallet (`/`, phone first): tier card with progress, balance with pending
and expiring points, the member card's QR code for the till, reservations and their
status live, recently viewed products, activity with paging; Rewards (the catalogue, redeem
with a confirmation, coupons with their QR code), Offers (live toasts, accept or decline),
Privacy (consents and their history, download my data, delete my account), and a
celebration when the tier goes up."""
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
        # Signing in, the error goes next to the field it is about, not above the banner.
        surface(rx.vstack(error_callout(WalletState.error, "error"),
                          rx.cond(WalletState.code_email == "", email_step(), code_step()),
                          spacing="3", width="100%")),
        spacing="4",
        width="100%",
        max_width="480px",  # a form: as narrow on a tablet as on a phone
        margin_x="auto",
    )


# The demo shortcut sits outside the form (Enter in the email field asks for a code); it reads the
# uncontrolled email field from the page.
READ_EMAIL = "document.getElementById('email').value"


def email_step() -> rx.Component:
    """Step one: the member's email; profile mails a one-time code to it."""
    return rx.vstack(
        rx.text("Sign in", size="4", weight="bold", color=INK),
        rx.text("Enter your email and we'll send you a code. No password needed.", size="2", color=MUTED),
        rx.form(
            rx.vstack(
                rx.input(placeholder="you@example.com", name="email", id="email", type="email", width="100%",
                         size="3", aria_label="Email", auto_complete="email"),
                rx.button(rx.icon("mail", size=16), "Send me a code", type="submit", id="send-code",
                          loading=WalletState.busy, size="3", width="100%"),
                width="100%",
                spacing="3",
            ),
            on_submit=WalletState.request_code,
            width="100%",
        ),
        rx.cond(WalletState.demo, demo_shortcuts()),
        spacing="3",
        width="100%",
    )


def demo_shortcuts() -> rx.Component:
    """Dev only: sign in without a code (profile's devSignIn), and the demo members."""
    return rx.vstack(
        rx.button("Demo: sign in without a code", type="button", id="sign-in", variant="ghost", size="2",
                  color_scheme="gray", width="100%", loading=WalletState.busy,
                  on_click=rx.call_script(READ_EMAIL, callback=WalletState.sign_in_as)),
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
        rx.text("Demo sign-in (dev only): the platform issues the member's token without a code.",
                size="1", color=MUTED),
        spacing="3",
        width="100%",
    )


def code_step() -> rx.Component:
    """Step two: the code from the mail, with the address it went to and a way back."""
    return rx.vstack(
        rx.text("Enter your code", size="4", weight="bold", color=INK),
        rx.text(WalletState.code_notice, id="code-notice", size="2", color=MUTED),
        rx.hstack(
            rx.icon("mail", size=16, color=MUTED, flex_shrink="0"),
            # A long address wraps rather than squeezing the icon or pushing the page sideways.
            rx.text(WalletState.code_email, id="code-email", size="2", weight="medium", color=INK, flex="1",
                    min_width="0", overflow_wrap="anywhere"),
            rx.button("Use another email", type="button", id="other-email", variant="ghost", size="1",
                      on_click=WalletState.use_another_email, flex_shrink="0"),
            width="100%", align="center",
        ),
        rx.form(
            rx.vstack(
                rx.input(placeholder="6-digit code", name="code", id="code", width="100%", size="3",
                         aria_label="Sign-in code", auto_complete="one-time-code", input_mode="numeric",
                         max_length=12, auto_focus=True),
                rx.button("Sign in", type="submit", id="verify-code", loading=WalletState.busy, size="3",
                          width="100%"),
                width="100%",
                spacing="3",
            ),
            on_submit=WalletState.sign_in_with_code,
            reset_on_submit=True,
            width="100%",
        ),
        rx.button("Send a new code", type="button", id="resend-code", variant="ghost", size="2",
                  color_scheme="gray", on_click=WalletState.request_code({})),
        spacing="3",
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
            rx.cond(
                WalletState.review_headline != "",
                rx.hstack(
                    rx.icon("calendar_clock", size=18, color="white", flex_shrink="0", aria_hidden="true"),
                    rx.vstack(
                        rx.text(WalletState.review_headline, size="2", color="white", weight="bold"),
                        rx.cond(WalletState.review_detail != "",
                                rx.text(WalletState.review_detail, size="2", color="white")),
                        spacing="0",
                    ),
                    id="tier-review",
                    spacing="2",
                    align="start",
                    width="100%",
                    padding="10px 12px",
                    border_radius="14px",
                    background="rgba(15, 23, 42, 0.5)",
                ),
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


# From 768 px (tablets, desktops) the wallet is wider and Home has two columns: the tier card beside
# the balance and the benefits, then reservations, recently viewed and activity across. On a phone, one
# column with reservations above the benefits. (`order`, not areas: a card that is not shown leaves no gap.)
WIDTH = rx.breakpoints(initial="480px", sm="720px")
WIDE = "sm"


def placed(child: rx.Component, order: int, wide_order: int, *, across: bool = True, rows: str = "auto"
           ) -> rx.Component:
    return rx.box(child, order=rx.breakpoints(initial=str(order), **{WIDE: str(wide_order)}),
                  grid_column=rx.breakpoints(initial="1 / -1", **{WIDE: "1 / -1" if across else "auto"}),
                  grid_row=rx.breakpoints(initial="auto", **{WIDE: rows}), width="100%", min_width="0")


def home_tab() -> rx.Component:
    return rx.box(
        placed(tier_card(), 1, 1, across=False, rows="span 2"),
        placed(balance_row(), 2, 2, across=False),
        rx.cond(WalletState.reservations.length() > 0, placed(reservations_card(), 3, 4)),
        rx.cond(WalletState.viewed.length() > 0, placed(viewed_card(), 4, 5)),
        placed(benefits_card(), 5, 3, across=False),
        placed(activity_card(), 6, 6),
        member_card(),
        display="grid",
        grid_template_columns=rx.breakpoints(initial="minmax(0, 1fr)", **{WIDE: "minmax(0, 1fr) minmax(0, 1fr)"}),
        gap="16px",
        align_items="start",
        width="100%",
        id="home",
    )


def wallet() -> rx.Component:
    return rx.vstack(
        header(),
        notice_bar(),
        error_callout(WalletState.offer_error, "offer-error"),
        rx.match(WalletState.tab, ("rewards", rewards_tab()), ("offers", offers_tab()), ("privacy", privacy_tab()),
                 home_tab()),
        offer_toasts(),
        celebration(),
        tab_bar(),
        spacing="4",
        width="100%",
        padding_bottom="80px",
    )


def index() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.cond(WalletState.signed_in, error_callout(WalletState.error, "error")),
            rx.cond(~WalletState.signed_in, notice_bar()),
            until_ready(rx.cond(WalletState.signed_in, wallet(), sign_in_card())),
            spacing="4",
            width="100%",
            max_width=WIDTH,
            margin_x="auto",
            padding_x="16px",
            padding_y="20px",
        ),
        background=PAGE,
        min_height="100vh",
        font_family=FONT,
    )


# --- rewards -------------------------------------------------------------------------------------------


def reward_item(row: rx.Var) -> rx.Component:
    affordable = row["affordable"] != ""
    return rx.box(
        rx.hstack(
            rx.center(rx.icon("gift", size=20, color=rx.cond(affordable, "#7c3aed", MUTED)), width="44px",
                      height="44px", border_radius="12px", background=rx.cond(affordable, "#ede9fe", "#f1f5f9"),
                      flex_shrink="0"),
            rx.vstack(
                rx.text(row["name"], size="2", weight="bold", color=INK),
                rx.text(row["description"], size="1", color=MUTED),
                rx.hstack(
                    rx.text(row["cost"], " pts", size="2", weight="bold", color=INK),
                    rx.cond(row["stock"] != "", rx.badge(row["stock"], color_scheme="orange", radius="full",
                                                         size="1")),
                    spacing="2",
                    align="center",
                ),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            rx.cond(
                affordable,
                rx.button("Redeem", size="2", radius="full", color_scheme="violet",
                          on_click=WalletState.ask_redeem(row["id"]), id="redeem-" + row["id"].to(str),
                          flex_shrink="0"),
                rx.text(row["short"], size="1", color=MUTED, text_align="right", flex_shrink="0", max_width="88px"),
            ),
            width="100%",
            align="center",
            spacing="3",
        ),
        padding_y="10px",
        border_bottom=f"1px solid {LINE}",
        width="100%",
        class_name="reward",
        data_affordable=row["affordable"],
    )


def coupon_item(row: rx.Var) -> rx.Component:
    active = row["active"] != ""
    return rx.hstack(
        rx.center(rx.icon("ticket", size=18, color=rx.cond(active, "#0f766e", MUTED)), width="40px", height="40px",
                  border_radius="12px", background=rx.cond(active, "#ccfbf1", "#f1f5f9"), flex_shrink="0"),
        rx.vstack(
            rx.text(row["description"], size="2", weight="bold", color=INK),
            rx.text(row["pretty"], " · ", row["expires"], size="1", color=MUTED,
                    font_family="ui-monospace, SFMono-Regular, Menlo, monospace"),
            spacing="0",
            min_width="0",
            flex="1",
        ),
        rx.cond(
            active,
            rx.button(rx.icon("qr_code", size=14), "Show", size="1", variant="soft", radius="full",
                      on_click=WalletState.show_coupon(row["code"]), aria_label="Show the coupon's QR code"),
            rx.badge(row["status_words"], color_scheme="gray", radius="full"),
        ),
        width="100%",
        align="center",
        spacing="3",
        class_name="coupon",
    )


def rewards_tab() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(rx.heading("Rewards", size="6", color=INK),
                      rx.text("You have ", rx.text.strong(WalletState.available_words), " points to spend", size="2",
                              color=MUTED),
                      spacing="0"),
            rx.spacer(),
            rx.cond(WalletState.rewards_loading, rx.spinner(size="2")),
            width="100%",
            align="center",
        ),
        surface(
            rx.vstack(
                section_title("Catalogue", rx.badge(WalletState.affordable_count, " affordable now",
                                                    color_scheme="violet", radius="full")),
                rx.vstack(rx.foreach(WalletState.rewards, reward_item), spacing="0", width="100%", id="rewards"),
                spacing="2",
                width="100%",
            ),
        ),
        surface(
            rx.vstack(
                section_title("Your coupons", rx.badge(WalletState.active_coupons, " ready", color_scheme="teal",
                                                       radius="full")),
                rx.cond(
                    WalletState.coupons.length() > 0,
                    rx.vstack(rx.foreach(WalletState.coupons, coupon_item), spacing="3", width="100%", id="coupons"),
                    rx.text("Coupons you redeem or receive show here.", size="2", color=MUTED),
                ),
                spacing="3",
                width="100%",
            ),
        ),
        redeem_dialog(),
        coupon_dialog(),
        spacing="4",
        width="100%",
    )


def redeem_dialog() -> rx.Component:
    reward = WalletState.confirm_reward
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Redeem ", reward["name"], "?"),
            rx.alert_dialog.description(
                rx.text("It costs ", rx.text.strong(reward["cost"], " points"), ". You will have ",
                        rx.text.strong(WalletState.points_after_redeem), " left, and a coupon (",
                        reward["gives"], ", valid ", reward["valid_days"], " days) to show at the till or use online.",
                        size="2"),
            ),
            error_callout(WalletState.redeem_error, "redeem-error"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Not now", variant="soft", color_scheme="gray")),
                rx.button("Redeem", on_click=WalletState.redeem, loading=WalletState.redeeming, color_scheme="violet",
                          id="confirm-redeem"),
                justify="end",
                width="100%",
                margin_top="16px",
            ),
            max_width="380px",
        ),
        open=WalletState.confirm_reward.contains("id"),
        on_open_change=WalletState.set_confirm_open,
    )


def coupon_dialog() -> rx.Component:
    coupon = WalletState.coupon
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title("Your coupon", margin="0"),
                    rx.spacer(),
                    rx.dialog.close(rx.icon_button(rx.icon("x", size=18), variant="ghost", color_scheme="gray",
                                                   aria_label="Close")),
                    width="100%", align="center",
                ),
                rx.dialog.description(coupon["description"], size="2", color=MUTED),
                rx.center(
                    rx.image(src=WalletState.coupon_qr, id="coupon-qr", width="220px", height="220px",
                             alt="QR code of your coupon"),
                    width="100%", padding="12px", background="white", border=f"1px solid {LINE}",
                    border_radius="16px",
                ),
                rx.text(coupon["pretty"], id="coupon-code", size="6", weight="bold", color=INK, text_align="center",
                        width="100%", letter_spacing="0.08em",
                        font_family="ui-monospace, SFMono-Regular, Menlo, monospace"),
                rx.text(coupon["gives"], " · ", coupon["expires"], size="2", color=MUTED, text_align="center",
                        width="100%"),
                spacing="3",
                width="100%",
            ),
            max_width="360px",
        ),
        open=WalletState.coupon.contains("code"),
        on_open_change=WalletState.set_coupon_open,
    )


# --- offers --------------------------------------------------------------------------------------------


def offer_card(row: rx.Var) -> rx.Component:
    is_open = row["open"] != ""
    return surface(
        rx.vstack(
            rx.hstack(
                rx.badge(row["kind_words"], color_scheme=rx.match(row["kind"], ("RESERVATION", "teal"),
                                                                  ("BONUS_POINTS", "violet"), ("GIFT", "pink"),
                                                                  "amber"), radius="full"),
                rx.spacer(),
                rx.cond(is_open, rx.text(row["expires"], size="1", color=MUTED),
                        rx.badge(row["status_words"], color_scheme="gray", radius="full", class_name="offer-status")),
                width="100%",
                align="center",
            ),
            rx.text(row["message"], size="3", weight="bold", color=INK),
            rx.cond(row["product"] != "",
                    rx.text(row["product"], rx.cond(row["size"] != "", " · size " + row["size"], ""), size="2",
                            color=INK)),
            rx.hstack(rx.icon("info", size=14, color=MUTED, flex_shrink="0", margin_top="3px"),
                      rx.text(row["reason"], size="2", color=MUTED), align="start", spacing="2"),
            rx.cond(row["hold"] != "",
                    rx.hstack(rx.icon("store", size=14, color="#0f766e", flex_shrink="0"),
                              rx.text(row["hold"], size="2", color="#0f766e", weight="medium"),
                              align="center", spacing="2")),
            rx.cond(row["done"] != "", rx.text(row["done"], size="2", weight="medium",
                                               color=rx.cond(row["done_muted"] != "", MUTED, PLUS))),
            rx.cond(
                is_open,
                rx.hstack(
                    rx.button(rx.cond(row["kind"] == "RESERVATION", rx.icon("shopping_bag", size=16),
                                      rx.icon("check", size=16)), row["action"], size="3", radius="full",
                              on_click=WalletState.accept_offer(row["id"]), loading=WalletState.offer_busy == row["id"],
                              id="accept-" + row["id"].to(str), flex="1"),
                    rx.button("No thanks", size="3", radius="full", variant="soft", color_scheme="gray",
                              on_click=WalletState.decline_offer(row["id"]), id="decline-" + row["id"].to(str)),
                    width="100%",
                    spacing="2",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        id="offer-" + row["id"].to(str),
        data_status=row["status"],
        class_name="offer",
    )


def offers_tab() -> rx.Component:
    return rx.vstack(
        rx.vstack(rx.heading("Offers", size="6", color=INK),
                  rx.text("Picked for you, with why. New ones appear here as they arrive.", size="2", color=MUTED),
                  spacing="0", width="100%"),
        rx.cond(
            WalletState.offers.length() > 0,
            rx.vstack(
                rx.foreach(WalletState.open_offer_rows, offer_card),
                rx.cond(
                    WalletState.earlier_offer_rows.length() > 0,
                    rx.vstack(
                        rx.heading("Earlier", as_="h2", size="4", color=INK, margin_top="8px"),
                        rx.foreach(WalletState.earlier_offer_rows, offer_card),
                        spacing="3", width="100%", id="earlier-offers",
                    ),
                ),
                spacing="3", width="100%", id="offers",
            ),
            surface(rx.vstack(rx.icon("sparkles", size=22, color=MUTED),
                              rx.text("No offers right now. Keep shopping: the next one may be yours.", size="2",
                                      color=MUTED), align="center", spacing="2", width="100%"), id="no-offers"),
        ),
        spacing="4",
        width="100%",
    )


def offer_toasts() -> rx.Component:
    """Offers that arrive live (offerIssued), on top of whatever tab is open."""
    return rx.vstack(
        rx.foreach(WalletState.toasts, lambda t: rx.box(
            rx.vstack(
                rx.hstack(
                    rx.icon("sparkles", size=16, color="#fde68a", flex_shrink="0"),
                    rx.text("New offer", size="1", weight="bold", color="#fde68a", text_transform="uppercase",
                            letter_spacing="0.08em"),
                    rx.spacer(),
                    rx.icon_button(rx.icon("x", size=14), size="1", variant="surface", color_scheme="gray",
                                   radius="full", on_click=WalletState.dismiss_toast(t["id"]), aria_label="Dismiss"),
                    width="100%", align="center",
                ),
                rx.text(t["message"], size="2", weight="bold", color="white"),
                rx.text(t["reason"], size="1", color="#cbd5e1"),
                rx.cond(t["hold"] != "", rx.text(t["hold"], size="1", color="#99f6e4")),
                rx.hstack(
                    rx.button(t["action"], size="2", radius="full", on_click=WalletState.accept_offer(t["id"]),
                              loading=WalletState.offer_busy == t["id"], id="toast-accept-" + t["id"].to(str),
                              color_scheme="teal"),
                    rx.button("Later", size="2", radius="full", variant="surface", color_scheme="gray",
                              on_click=WalletState.later_offer(t["id"])),
                    spacing="2",
                ),
                spacing="2",
                width="100%",
            ),
            background="#0f172a", border_radius="16px", padding="14px", width="100%",
            box_shadow="0 12px 32px rgba(15, 23, 42, 0.35)", class_name="offer-toast",
            id="toast-" + t["id"].to(str),
        )),
        position="fixed",
        bottom="84px",
        left="50%",
        transform="translateX(-50%)",
        width="calc(100% - 24px)",
        max_width="456px",
        z_index="40",
        spacing="2",
        role="status",
        aria_live="polite",
        id="toasts",
    )


# --- privacy -------------------------------------------------------------------------------------------


def consent_switch(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(row["title"], size="2", weight="bold", color=INK),
            rx.text(row["about"], size="1", color=MUTED),
            spacing="0",
            min_width="0",
            flex="1",
        ),
        rx.switch(checked=row["on"] != "", on_change=lambda v: WalletState.set_consent(row["field"], v),
                  aria_label=row["title"], id="consent-" + row["field"].to(str), size="2"),
        width="100%",
        align="center",
        spacing="3",
        padding_y="8px",
        border_bottom=f"1px solid {LINE}",
    )


def privacy_tab() -> rx.Component:
    return rx.vstack(
        rx.vstack(rx.heading("Privacy", size="6", color=INK),
                  rx.text("What we may do with your data, and your data itself: yours to see, take and delete.",
                          size="2", color=MUTED), spacing="0", width="100%"),
        error_callout(WalletState.privacy_error, "privacy-error"),
        surface(rx.vstack(section_title("Your choices"),
                          rx.vstack(rx.foreach(WalletState.consents, consent_switch), spacing="0", width="100%",
                                    id="consents"),
                          spacing="2", width="100%")),
        surface(
            rx.vstack(
                section_title("History"),
                rx.cond(
                    WalletState.consent_history.length() > 0,
                    rx.vstack(rx.foreach(WalletState.consent_history, lambda h: rx.hstack(
                        rx.icon(rx.cond(h["granted"] != "", "toggle_right", "toggle_left"), size=18,
                                color=rx.cond(h["granted"] != "", PLUS, MUTED), flex_shrink="0"),
                        rx.vstack(rx.text(h["what"], " ", h["state"], size="2", color=INK),
                                  rx.text(h["when"], " · ", h["how"], size="1", color=MUTED), spacing="0"),
                        align="center", spacing="3", width="100%",
                    )), spacing="2", width="100%", id="consent-history"),
                    rx.text("No changes yet.", size="2", color=MUTED),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        surface(
            rx.vstack(
                section_title("Your data"),
                rx.text("Download everything the platform holds about you (profile, points, purchases, reservations) "
                        "as one file.", size="2", color=MUTED),
                rx.button(rx.icon("download", size=16), "Download my data", on_click=WalletState.download_data,
                          loading=WalletState.exporting, variant="soft", size="3", width="100%", id="download-data"),
                rx.separator(size="4"),
                rx.text("Deleting your account erases your name, contact details and what we worked out about you, "
                        "everywhere. Your points go with it. This cannot be undone.", size="2", color=MUTED),
                rx.button(rx.icon("trash_2", size=16), "Delete my account", on_click=WalletState.ask_erase,
                          color_scheme="red", variant="soft", size="3", width="100%", id="delete-account"),
                spacing="3",
                width="100%",
            ),
        ),
        erase_dialog(),
        spacing="4",
        width="100%",
    )


def erase_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete your account?"),
            rx.alert_dialog.description(
                rx.text("Your ", rx.text.strong(WalletState.available_words, " points"), ", coupons and offers go "
                        "with it, and it cannot be undone. Type DELETE to confirm.", size="2"),
            ),
            rx.input(default_value=WalletState.erase_typed, on_change=WalletState.set_erase_typed, placeholder="DELETE",
                     id="erase-typed", margin_top="12px", aria_label="Type DELETE to confirm", size="3"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep my account", variant="soft", color_scheme="gray")),
                rx.button("Delete for good", color_scheme="red", on_click=WalletState.erase,
                          disabled=~WalletState.can_erase, loading=WalletState.erasing, id="confirm-erase"),
                justify="end",
                width="100%",
                margin_top="16px",
            ),
            max_width="400px",
        ),
        open=WalletState.confirm_erase,
        on_open_change=WalletState.set_confirm_erase,
    )


# --- the tier celebration, the notice, the tab bar --------------------------------------------------


def celebration() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.center(rx.icon("party_popper", size=40, color="white"), width="84px", height="84px",
                          border_radius="50%",
                          background=rx.match(WalletState.celebrate_to, *TIER_GRADIENT.items(), DEFAULT_GRADIENT),
                          box_shadow="0 10px 30px rgba(15, 23, 42, 0.25)"),
                rx.dialog.title(rx.text.span("You're ", WalletState.celebrate_to, " now!", id="celebration-title"),
                                text_align="center", margin="0"),
                rx.dialog.description("Up from ", WalletState.celebrate_from, ". Here is what you get:", size="2",
                                      color=MUTED, text_align="center"),
                rx.vstack(rx.foreach(WalletState.celebrate_benefits, lambda b: rx.hstack(
                    rx.icon("circle_check", size=16, color=PLUS), rx.text(b, size="2", color=INK), align="center",
                    spacing="2")), spacing="2"),
                rx.dialog.close(rx.button("Wonderful", size="3", radius="full", width="100%", id="end-celebration")),
                spacing="4",
                align="center",
                width="100%",
            ),
            max_width="360px",
            id="celebration",
        ),
        open=WalletState.celebrate_to != "",
        on_open_change=WalletState.end_celebration,
    )


def notice_bar() -> rx.Component:
    """Good news in green with a tick; news that is not (a reservation cancelled or ended) in grey."""
    def bar(color: str, icon: str) -> rx.Component:
        return rx.callout(
            rx.hstack(rx.text(WalletState.notice, flex="1"),
                      rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", color_scheme="gray",
                                     on_click=WalletState.dismiss_notice, aria_label="Dismiss"),
                      align="center", width="100%"),
            color_scheme=color, icon=icon, size="1", width="100%", id="notice", role="status",
            data_tone=color,
        )

    return rx.cond(
        WalletState.notice != "",
        rx.cond(WalletState.notice_tone == "gray", bar("gray", "info"), bar("green", "circle_check")),
    )


TABS = [("home", "Home", "house"), ("rewards", "Rewards", "gift"), ("offers", "Offers", "sparkles"),
        ("privacy", "Privacy", "shield_check")]


def tab_bar() -> rx.Component:
    def tab(key: str, text: str, icon: str) -> rx.Component:
        chosen = WalletState.tab == key
        return rx.button(
            rx.vstack(
                rx.box(
                    rx.icon(icon, size=20),
                    rx.cond((key == "offers") & (WalletState.open_offers > 0),
                            rx.box(WalletState.open_offers, position="absolute", top="-6px", right="-10px",
                                   background=MINUS, color="white", font_size="10px", font_weight="700",
                                   min_width="16px", height="16px", border_radius="8px", padding_x="4px",
                                   line_height="16px", text_align="center", id="offers-count")),
                    position="relative",
                ),
                rx.text(text, size="1", weight=rx.cond(chosen, "bold", "medium")),
                spacing="1",
                align="center",
            ),
            on_click=WalletState.set_tab(key),
            variant="ghost",
            color_scheme=rx.cond(chosen, "teal", "gray"),
            high_contrast=~chosen,
            height="56px",
            flex="1",
            radius="large",
            id=f"tab-{key}",
            aria_current=rx.cond(chosen, "page", "false"),
        )

    return rx.box(
        rx.hstack(*[tab(*t) for t in TABS], width="100%", max_width=WIDTH, margin_x="auto", padding_x="8px",
                  spacing="1"),
        position="fixed",
        bottom="0",
        left="0",
        right="0",
        background="rgba(255, 255, 255, 0.96)",
        border_top=f"1px solid {LINE}",
        padding_y="6px",
        z_index="30",
        style={"backdrop_filter": "blur(8px)"},
        role="navigation",
        aria_label="Wallet sections",
    )
