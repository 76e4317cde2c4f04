"""The member wallet: tier, balance and activity, live."""
from __future__ import annotations

import reflex as rx

from . import state
from .state import DEMO_MEMBERS, WalletState


def sign_in_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Sign in to your wallet", size="5"),
            rx.form(
                rx.hstack(
                    rx.input(placeholder="email", name="email", id="email", type="email", width="100%"),
                    rx.button("Sign in", type="submit", id="sign-in", loading=WalletState.busy),
                    width="100%",
                ),
                on_submit=WalletState.sign_in,
                width="100%",
            ),
            rx.text("Demo members", size="2", color_scheme="gray"),
            *[
                rx.button(
                    rx.text(name, weight="bold"), rx.text(f"· {about}", size="2", color_scheme="gray"),
                    variant="soft", width="100%", justify="start",
                    on_click=WalletState.sign_in_as(email),
                )
                for email, name, about in DEMO_MEMBERS
            ],
            rx.text(
                "Demo sign-in: the wallet signs a member token with the dev secret. "
                "In production your identity provider does.",
                size="1", color_scheme="gray",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def panel(title: str, aside: rx.Component | None, *body: rx.Component) -> rx.Component:
    """A wallet card: a grey title (with something on its right, if given) over its body."""
    heading = rx.text(title, size="2", color_scheme="gray")
    if aside is not None:
        heading = rx.hstack(heading, rx.spacer(), aside, width="100%")
    return rx.card(rx.vstack(heading, *body, spacing="2", width="100%"), width="100%")


def tier_card() -> rx.Component:
    return panel(
        "Tier",
        rx.badge(WalletState.tier_name, id="tier-name", size="3", color_scheme="amber"),
        rx.progress(value=WalletState.progress, width="100%"),
        rx.cond(
            WalletState.next_tier != "",
            rx.text(WalletState.points_to_next, " points to ", WalletState.next_tier, size="2", id="to-next"),
            rx.text("Top tier: enjoy every benefit", size="2"),
        ),
    )


def balance_card() -> rx.Component:
    return panel(
        "Available points",
        rx.cond(
            WalletState.live,
            rx.badge("● live", color_scheme="green", id="live"),
            rx.badge("offline", color_scheme="gray"),
        ),
        rx.heading(WalletState.available, size="9", id="balance-available"),
        rx.hstack(
            rx.text("Pending ", rx.text.strong(WalletState.pending, id="balance-pending"), size="2"),
            rx.text("Lifetime ", rx.text.strong(WalletState.lifetime), size="2"),
            spacing="5",
        ),
        rx.cond(
            WalletState.expiring_points > 0,
            rx.text(WalletState.expiring_points, " points expire on ", WalletState.expiring_on,
                    size="1", color_scheme="orange", id="expiring"),
        ),
    )


def activity_card() -> rx.Component:
    return panel(
        "Activity",
        None,
        rx.cond(
            WalletState.activity.length() > 0,
            rx.vstack(
                rx.foreach(
                    WalletState.activity,
                    lambda row: rx.hstack(
                        rx.vstack(
                            rx.text(row["description"], size="2"),
                            rx.text(row["date"], " · ", row["kind"], size="1", color_scheme="gray"),
                            spacing="0",
                        ),
                        rx.spacer(),
                        rx.text(row["points"], weight="bold"),
                        width="100%",
                    ),
                ),
                width="100%",
                id="activity",
            ),
            rx.text("No activity yet.", size="2"),
        ),
    )


def wallet() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Hi ", WalletState.given_name, id="greeting", size="6"),
            rx.spacer(),
            rx.button("Sign out", variant="ghost", on_click=WalletState.sign_out, id="sign-out"),
            width="100%",
        ),
        tier_card(),
        balance_card(),
        activity_card(),
        spacing="4",
        width="100%",
    )


def index() -> rx.Component:
    return rx.container(
        rx.vstack(
            rx.heading("Loyalty wallet", size="3", color_scheme="gray"),
            rx.cond(
                WalletState.error != "",
                rx.callout(WalletState.error, color_scheme="red", icon="triangle_alert", id="error", width="100%"),
            ),
            rx.cond(WalletState.signed_in, wallet(), sign_in_card()),
            spacing="4",
            width="100%",
            max_width="560px",
            padding_y="6",
        ),
        size="2",
    )


app = rx.App()
app.add_page(index, route="/", title="Loyalty wallet", on_load=WalletState.load)


def _client_connected(client_token: str) -> bool:
    namespace = app.event_namespace
    return namespace is None or client_token in namespace.token_to_sid


state.client_connected = _client_connected
