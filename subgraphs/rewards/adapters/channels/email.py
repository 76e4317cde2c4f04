"""Email over real SMTP (aiosmtplib): plain text. A `Mailer` lives for one round of the delivery
job and reuses its connections for the round's mails (a handshake, and with STARTTLS a TLS one,
per mail is what makes bulk mail slow), at most one open per concurrent sender."""
from __future__ import annotations

import contextlib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib

from core.clock import utcnow
from core.settings import Settings

from . import DeliveryFailed, Outgoing


def compose(settings: Settings, outgoing: Outgoing) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = outgoing.address
    mail["Subject"] = outgoing.subject
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = make_msgid(idstring=outgoing.message_id, domain=_domain(settings))
    mail["X-Loyalty-Message-Id"] = outgoing.message_id
    mail["X-Loyalty-Kind"] = outgoing.kind
    mail.set_content(outgoing.body)
    return mail


def _domain(settings: Settings) -> str:
    """The sender's domain: the name we greet the server with (EHLO) too. Left to itself,
    aiosmtplib would ask socket.getfqdn(), a DNS lookup that blocks the event loop."""
    return parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"


class Mailer:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        self.settings = settings
        self._idle: list[aiosmtplib.SMTP] = []

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self.settings
        client = aiosmtplib.SMTP(hostname=settings.smtp_host, port=settings.smtp_port,
                                 local_hostname=_domain(settings), timeout=settings.smtp_timeout_seconds,
                                 start_tls=settings.smtp_starttls, username=settings.smtp_username,
                                 password=settings.smtp_password)
        await client.connect()
        return client

    async def send(self, outgoing: Outgoing) -> None:
        mail = compose(self.settings, outgoing)
        if self._idle:
            client = self._idle.pop()
            try:
                await client.send_message(mail)
            except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
                await _drop(client)  # the server closed an idle connection, or limits mails per connection
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
                await _drop(client)
                raise _failure(error) from error
            else:
                self._idle.append(client)
                return
        fresh: aiosmtplib.SMTP | None = None
        try:
            fresh = await self._connect()
            await fresh.send_message(mail)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            if fresh is not None:
                await _drop(fresh)
            raise _failure(error) from error
        self._idle.append(fresh)

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            with contextlib.suppress(Exception):
                await client.quit()
            await _drop(client)


async def _drop(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        client.close()


def _failure(error: BaseException) -> DeliveryFailed:
    """4xx and a server away or slow: try again later; 5xx: the server said no for good."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [response.code for response in error.recipients]
        reason = error.recipients[0].message if error.recipients else ""
        return DeliveryFailed(f"recipient refused: {reason}", transient=all(400 <= code < 500 for code in codes))
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return DeliveryFailed(f"SMTP {error.code}: {error.message}", transient=error.code < 500)
    return DeliveryFailed(f"SMTP server unreachable: {error or type(error).__name__}", transient=True)
