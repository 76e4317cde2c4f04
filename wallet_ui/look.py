"""The screens' shared look: colours, surfaces and small building blocks."""
from __future__ import annotations

import reflex as rx

INK = "#0f172a"
MUTED = "#64748b"
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
