"""Words every subgraph shares (the public contract's enums). Pure Python; the
GraphQL schemas register them with `strawberry.enum`."""
from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    POS = "POS"
    ECOMMERCE = "ECOMMERCE"
    APP = "APP"
    CRM = "CRM"
    SYSTEM = "SYSTEM"


class IdentifierKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    LOYALTY_CARD = "LOYALTY_CARD"
    POS_CUSTOMER = "POS_CUSTOMER"
    ECOM_CUSTOMER = "ECOM_CUSTOMER"
    APP_DEVICE = "APP_DEVICE"
    CRM_CONTACT = "CRM_CONTACT"
