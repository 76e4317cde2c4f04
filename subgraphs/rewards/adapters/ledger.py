"""The ledger, as the engine sees it: idempotent postings (a purchase's points, a return's,
a redemption's debit and, when a redemption cannot finish, its refund)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.vocabulary import Channel
from subgraphs.kernel.client import ServiceClient

from ..domain import LineResult, ReturnedLine


class LedgerPort(Protocol):
    async def post_earning(self, *, member_id: str, reference: str, channel: Channel, occurred_at: datetime,
                           description: str, lines: Sequence[LineResult]) -> str:
        """Post the points a purchase's lines earned; idempotent by `reference`. Returns the entry id."""

    async def post_return(self, *, member_id: str, reference: str, purchase_reference: str, channel: Channel,
                          occurred_at: datetime, description: str, lines: Sequence[ReturnedLine]) -> None:
        """Take back what returned lines earned; idempotent by the return's `reference`."""

    async def debit_points(self, *, member_id: str, points: int, idempotency_key: str, reference: str,
                           description: str) -> str:
        """Take points for a redemption (CONFLICT when they are not there); idempotent by key."""

    async def refund_points(self, *, member_id: str, points: int, idempotency_key: str, reference: str,
                            description: str) -> None:
        """Give a redemption's points back; idempotent by key."""


POST_EARNING = """
mutation PostEarning($input: PostEarningInput!) {
  postEarning(input: $input) { duplicate entry { id } }
}
"""

POST_RETURN = """
mutation PostReturn($input: PostReturnInput!) {
  postReturn(input: $input) { duplicate }
}
"""


DEBIT_POINTS = """
mutation DebitPoints($input: DebitPointsInput!) {
  debitPoints(input: $input) { duplicate entry { id } }
}
"""

REFUND_POINTS = """
mutation RefundPoints($input: DebitPointsInput!) {
  refundPoints(input: $input) { duplicate }
}
"""


class GraphQLLedger:
    """The ledger subgraph over HTTP, with a service token."""

    def __init__(self, services: ServiceClient) -> None:
        self.services = services

    async def post_earning(self, *, member_id: str, reference: str, channel: Channel, occurred_at: datetime,
                           description: str, lines: Sequence[LineResult]) -> str:
        data = await self.services.execute(
            "ledger",
            POST_EARNING,
            {
                "input": {
                    "memberId": member_id,
                    "reference": reference,
                    "channel": str(channel),
                    "occurredAt": occurred_at.isoformat(),
                    "description": description,
                    "lines": [{"lineId": ln.line_id, "sku": ln.sku, "quantity": ln.quantity, "points": ln.points}
                              for ln in lines],
                }
            },
        )
        return data["postEarning"]["entry"]["id"]

    async def post_return(self, *, member_id: str, reference: str, purchase_reference: str, channel: Channel,
                          occurred_at: datetime, description: str, lines: Sequence[ReturnedLine]) -> None:
        await self.services.execute("ledger", POST_RETURN, {"input": {
            "memberId": member_id,
            "reference": reference,
            "purchaseReference": purchase_reference,
            "channel": str(channel),
            "occurredAt": occurred_at.isoformat(),
            "description": description,
            "lines": [{"lineId": ln.line_id, "points": ln.points} for ln in lines],
        }})

    async def debit_points(self, *, member_id: str, points: int, idempotency_key: str, reference: str,
                           description: str) -> str:
        data = await self.services.execute("ledger", DEBIT_POINTS, {"input": {
            "memberId": member_id, "points": points, "idempotencyKey": idempotency_key, "reference": reference,
            "description": description}})
        return data["debitPoints"]["entry"]["id"]

    async def refund_points(self, *, member_id: str, points: int, idempotency_key: str, reference: str,
                            description: str) -> None:
        await self.services.execute("ledger", REFUND_POINTS, {"input": {
            "memberId": member_id, "points": points, "idempotencyKey": idempotency_key, "reference": reference,
            "description": description}})
