"""The Reflex app: the member wallet at `/`, the cashier's till at `/till` and the campaign
admin at `/admin`."""
from __future__ import annotations

import reflex as rx

from . import state
from .admin import AdminState
from .admin_page import admin
from .look import FAVICON
from .state import WalletState
from .till import TillState
from .till_page import till
from .wallet_page import index

app = rx.App(
    stylesheets=["/screens.css"],
    head_components=[rx.el.link(rel="icon", href=FAVICON),
                     rx.el.meta(name="theme-color", content="#0b1220")],
)
app.add_page(index, route="/", title="Loyalty wallet", on_load=WalletState.load)
app.add_page(till, route="/till", title="Till", on_load=TillState.start)
app.add_page(admin, route="/admin", title="Loyalty admin", on_load=AdminState.start)


def _client_connected(client_token: str) -> bool:
    namespace = app.event_namespace
    return namespace is None or client_token in namespace.token_to_sid


state.client_connected = _client_connected
