"""SMS through a provider's webhook (LOYALTY_SMS_WEBHOOK_URL): the text to one E.164 number."""
from __future__ import annotations

import httpx

from core.settings import Settings

from . import Outgoing, webhook


async def send(settings: Settings, client: httpx.AsyncClient, outgoing: Outgoing) -> None:
    assert settings.sms_webhook_url and settings.sms_webhook_secret
    await webhook.post(client, settings.sms_webhook_url, settings.sms_webhook_secret, outgoing.message_id, {
        "id": outgoing.message_id, "kind": outgoing.kind, "to": outgoing.address, "text": outgoing.body,
    }, settings.webhook_timeout_seconds)
