"""The dev mailbox: an SMTP sink (aiosmtpd) that keeps what the platform mails, and a page that
lists it, so a newcomer running `loyalty up` sees the offers, coupons and sign-in codes members
would get. Dev only: it delivers nothing anywhere, keeps the last mails in memory, and listens on
LOYALTY_HOST (127.0.0.1) only. Tests use `MailSink` as their SMTP server too.
"""
from __future__ import annotations

import asyncio
import html
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

KEEP = 500  # mails kept; older ones drop out
MAX_MAIL_BYTES = 1_000_000  # a mail larger than this is refused (552), like any relay's size limit


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    received_at: datetime
    mail_from: str
    to: tuple[str, ...]
    subject: str
    body: str
    headers: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {"receivedAt": self.received_at.isoformat(), "from": self.mail_from, "to": list(self.to),
                "subject": self.subject, "body": self.body, "headers": self.headers}


@dataclass
class MailSink:
    """Takes every mail it is sent and keeps the last `keep` of them."""

    keep: int = KEEP
    mails: deque[ReceivedMail] = field(default_factory=deque)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: asyncio.base_events.Server | None = None

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="loyalty-dev-mailbox", data_size_limit=MAX_MAIL_BYTES), host, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd
        content = envelope.original_content or envelope.content or b""
        parsed = message_from_bytes(content if isinstance(content, bytes) else content.encode(),
                                    policy=email_policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        mail = ReceivedMail(datetime.now(UTC), envelope.mail_from or "", tuple(envelope.rcpt_tos),
                            str(parsed.get("Subject", "")), body,
                            {k: str(v) for k, v in parsed.items() if k.lower().startswith("x-loyalty")})
        async with self._arrived:
            self.mails.append(mail)
            while len(self.mails) > self.keep:
                self.mails.popleft()
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.mails if address.lower() in (a.lower() for a in m.to)]

    async def wait_for(self, found: Callable[[ReceivedMail], bool], timeout: float = 10.0) -> ReceivedMail:
        """The first mail kept that `found` accepts, waiting up to `timeout` seconds for it."""
        async def arrival() -> ReceivedMail:
            async with self._arrived:
                while True:
                    for mail in self.mails:
                        if found(mail):
                            return mail
                    await self._arrived.wait()

        return await asyncio.wait_for(arrival(), timeout)


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dev mailbox</title>
<meta http-equiv="refresh" content="5"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}}
h1{{font-size:1.4rem}} .note{{color:#555}} article{{border:1px solid #ddd;border-radius:8px;margin:1rem 0;padding:.8rem 1rem}}
.meta{{color:#555;font-size:.9rem}} pre{{white-space:pre-wrap;font:14px/1.45 ui-monospace,monospace;background:#f6f6f6;
padding:.7rem;border-radius:6px}}</style></head><body>
<h1>Dev mailbox</h1>
<p class="note">What the platform mailed, newest first ({count} kept, this page reloads every 5 s). Dev only: nothing
leaves this machine. SMTP on {smtp}. Marketing mails go only to members who opted in to email, and wait out the
quiet hours ({quiet}); sign-in codes come at once. As JSON: <a href="/mails.json">/mails.json</a>.</p>
{mails}
</body></html>"""
MAIL = """<article><div class="meta">{at} &middot; to {to} &middot; from {sender}</div>
<h2 style="font-size:1.1rem;margin:.3rem 0">{subject}</h2><pre>{body}</pre></article>"""


def mailbox_app(sink: MailSink, *, smtp: str, quiet: str) -> Starlette:
    async def page(_: Request) -> HTMLResponse:
        mails = "".join(MAIL.format(at=m.received_at.strftime("%Y-%m-%d %H:%M:%S UTC"), to=html.escape(", ".join(m.to)),
                                    sender=html.escape(m.mail_from), subject=html.escape(m.subject),
                                    body=html.escape(m.body)) for m in reversed(sink.mails))
        return HTMLResponse(PAGE.format(count=len(sink.mails), smtp=html.escape(smtp), quiet=html.escape(quiet),
                                        mails=mails or "<p>No mail yet.</p>"))

    async def as_json(_: Request) -> JSONResponse:
        return JSONResponse([m.as_json() for m in reversed(sink.mails)])

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "mails": len(sink.mails)})

    return Starlette(routes=[Route("/", page), Route("/mails.json", as_json), Route("/health", health)])


async def serve(host: str, smtp_port: int, page_port: int, quiet: str) -> None:
    """`loyalty serve mailbox`: the sink and its page until stopped."""
    from core.serving import ServerGroup

    sink = MailSink()
    try:
        await sink.start(host, smtp_port)
    except OSError as error:
        raise SystemExit(f"the dev mailbox cannot listen on {host}:{smtp_port} ({error.strerror}): another mail sink "
                         "(Mailpit, MailHog) may hold it. Set LOYALTY_DEV_MAIL_SMTP_PORT and LOYALTY_DEV_MAIL_PORT, "
                         "or LOYALTY_SMTP_HOST/LOYALTY_SMTP_PORT to mail through yours.") from error
    group = ServerGroup()
    group.add(mailbox_app(sink, smtp=f"{host}:{smtp_port}", quiet=quiet), host, page_port)
    try:
        await group.serve()
    finally:
        await sink.stop()
