"""Signed webhooks: every body we POST to a receiver (an SMS or push provider, an integrator)
carries `X-Loyalty-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over `"<t>." + body`
with the secret the receiver shares with us. The timestamp inside the signed text lets a
receiver refuse a replay of an old request; `verify` is what a receiver runs (our tests do).
"""
from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Loyalty-Signature"
TOLERANCE_SECONDS = 300


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header's value for this body, sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, header: str | None, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when `header` signs exactly this body with this secret, within `tolerance` seconds
    of `now` (constant-time comparison; several v1 values are accepted, for secret rotation)."""
    if not header or len(header) > 1000:
        return False
    fields = [part.strip().split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in fields if key == "t"]
    macs = [value for key, value in fields if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not macs:
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in macs)
