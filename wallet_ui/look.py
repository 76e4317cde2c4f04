"""The screens' shared look: colours, surfaces and small building blocks."""
from __future__ import annotations

import reflex as rx

INK = "#0f172a"
MUTED = "#526071"  # 4.5:1 or better on the page and on white (axe-core, WCAG AA)
LINE = "#e2e8f0"
PAGE = "#f4f6f8"
ACCENT = "#0d9488"
PLUS = "#047857"
MINUS = "#b91c1c"

FONT = ("-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif")

# Each tier's card, like the cards in the apps members know.
TIER_GRADIENT = {
    "Bronze": "linear-gradient(135deg, #7c4a1e 0%, #b7793f 55%, #d9a066 100%)",
    "Silver": "linear-gradient(135deg, #475569 0%, #8c9bb0 55%, #cbd5e1 100%)",
    "Gold": "linear-gradient(135deg, #7a5a12 0%, #b8891f 50%, #e5c15a 100%)",
    "Platinum": "linear-gradient(135deg, #111827 0%, #374151 55%, #6b7280 100%)",
}
DEFAULT_GRADIENT = "linear-gradient(135deg, #0f766e 0%, #14b8a6 100%)"

SURFACE = {
    "background": "white",
    "border_radius": "18px",
    "border": f"1px solid {LINE}",
    "box_shadow": "0 1px 2px rgba(15, 23, 42, 0.04), 0 4px 16px rgba(15, 23, 42, 0.04)",
    "padding": "16px",
    "width": "100%",
}


def surface(*children: rx.Component, **props: object) -> rx.Component:
    return rx.box(*children, **{**SURFACE, **props})


def section_title(text: str, aside: rx.Component | None = None) -> rx.Component:
    title = rx.text(text, size="3", weight="bold", color=INK)
    if aside is None:
        return title
    return rx.hstack(title, rx.spacer(), aside, width="100%", align="center")


def label(text: str | rx.Var, **props: object) -> rx.Component:
    return rx.text(text, size="1", color=MUTED, weight="medium", text_transform="uppercase",
                   letter_spacing="0.06em", **props)


def error_callout(message: rx.Var, element_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, color_scheme="red", icon="triangle_alert", id=element_id, width="100%", size="1",
                   role="alert"),
    )


def info_callout(message: rx.Var, element_id: str, color: str = "teal") -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, color_scheme=color, icon="info", id=element_id, width="100%", size="1",
                   role="status"),
    )


def until_ready(content: rx.Component) -> rx.Component:
    """The screen once the browser has its state (a session kept in the browser decides what
    shows): a spinner before, never a flash of the sign-in form to someone signed in."""
    return rx.cond(
        rx.State.is_hydrated,
        content,
        rx.center(rx.spinner(size="3"), min_height="60vh", width="100%", id="loading"),
    )


# The tab's icon, inline (nothing to fetch): the accent square of the till's bar.
FAVICON = ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E"
           "%3Crect width='32' height='32' rx='8' fill='%230d9488'/%3E%3Cpath d='M9 13h14l-1.5 10h-11z' "
           "fill='white'/%3E%3Cpath d='M12 13a4 4 0 0 1 8 0' stroke='white' stroke-width='2' fill='none'/%3E"
           "%3C/svg%3E")
