"""Sending a delivery to a receiver: one POST signed as every webhook we send is
(kernel/signing.py: `X-Loyalty-Signature`), never following redirects, never
reading more of the answer than its status. In prod the receiver's host must resolve to
public addresses only (checked at registration and again before every POST: a name may
change what it points to)."""
from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import httpx

from core.clock import utcnow
from core.errors import BadUserInput
from subgraphs.kernel import signing

from .. import domain

USER_AGENT = "loyalty-webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    delivered: bool
    detail: str  # "HTTP 200", "HTTP 503", "ConnectError", ...


async def require_public(receiver: domain.ReceiverUrl) -> None:
    """Refuse a receiver whose host is, or resolves to, a non-public address."""
    try:
        infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(
            receiver.host, receiver.port, type=socket.SOCK_STREAM), 5.0)
    except (OSError, TimeoutError) as error:
        raise BadUserInput(f"the URL's host {receiver.host} does not resolve", field="url") from error
    for info in infos:
        address = str(info[4][0])
        if not domain.is_public_address(address):
            raise BadUserInput(f"the URL's host {receiver.host} is a loopback, private or reserved address "
                               f"({address}); webhooks reach public receivers only", field="url")


async def send(client: httpx.AsyncClient, url: str, secret: str, body: bytes, headers: dict[str, str],
               *, public_only: bool) -> Outcome:
    try:
        if public_only:
            await require_public(domain.check_url(url))
    except BadUserInput as error:
        return Outcome(False, error.message)
    signed = {
        **headers,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        signing.HEADER: signing.sign(secret, body, int(utcnow().timestamp())),
    }
    try:
        async with client.stream("POST", url, content=body, headers=signed) as response:
            status = response.status_code
    except httpx.HTTPError as error:
        return Outcome(False, error.__class__.__name__)
    return Outcome(200 <= status < 300, f"HTTP {status}")
