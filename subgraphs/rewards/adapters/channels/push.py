"""Push notifications through a provider's webhook (LOYALTY_PUSH_WEBHOOK_URL), addressed by member
id: the provider knows the member's devices (as OneSignal's or Airship's external user ids)."""
from __future__ import annotations

import httpx

from core.settings import Settings

from . import Outgoing, webhook


async def send(settings: Settings, client: httpx.AsyncClient, outgoing: Outgoing) -> None:
    assert settings.push_webhook_url and settings.push_webhook_secret
    await webhook.post(client, settings.push_webhook_url, settings.push_webhook_secret, outgoing.message_id, {
        "id": outgoing.message_id, "kind": outgoing.kind, "member_id": outgoing.address,
        "title": outgoing.subject, "body": outgoing.body, "data": outgoing.data,
    }, settings.webhook_timeout_seconds)
