"""A signed POST to a provider (kernel/signing.py): JSON, `X-Loyalty-Signature`, and the
message id as `Idempotency-Key`, so that a retry after a lost answer is not a second text."""
from __future__ import annotations

from typing import Any

import httpx
import orjson

from core.clock import utcnow
from subgraphs.kernel import signing

from . import DeliveryFailed


async def post(client: httpx.AsyncClient, url: str, secret: str, message_id: str, payload: dict[str, Any],
               timeout: float) -> None:
    body = orjson.dumps(payload)
    headers = {"Content-Type": "application/json", "Idempotency-Key": message_id,
               signing.HEADER: signing.sign(secret, body, int(utcnow().timestamp()))}
    try:
        response = await client.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"provider unreachable: {error or type(error).__name__}", transient=True) from error
    if response.is_success:
        return
    status = response.status_code
    transient = status >= 500 or status in (408, 425, 429)
    raise DeliveryFailed(f"provider answered {status}: {response.text[:200]}", transient=transient)
