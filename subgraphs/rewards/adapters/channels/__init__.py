"""Delivery channels: email over SMTP (email.py), SMS and push as signed webhooks to a provider
(sms.py, push.py over webhook.py). Each `send` returns when the channel took the message, or
raises `DeliveryFailed` saying whether trying again later may help."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Outgoing:
    message_id: str  # also the receiver's idempotency key: a retry carries the same id
    kind: str
    member_id: str
    address: str  # the email address, the E.164 phone number, the member id (push)
    subject: str
    body: str
    data: dict[str, Any]  # what an app needs to act on a push (the offer id, the coupon code)


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:300]
        self.transient = transient
