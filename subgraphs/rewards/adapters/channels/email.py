"""Email over real SMTP (aiosmtplib): plain text, one message per connection (the delivery job
sends a few at a time; a relay that wants pooling sits behind `LOYALTY_SMTP_HOST`)."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

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
    mail["Message-ID"] = make_msgid(idstring=outgoing.message_id, domain="loyalty.local")
    mail["X-Loyalty-Message-Id"] = outgoing.message_id
    mail["X-Loyalty-Kind"] = outgoing.kind
    mail.set_content(outgoing.body)
    return mail


async def send(settings: Settings, outgoing: Outgoing) -> None:
    assert settings.smtp_host
    try:
        await aiosmtplib.send(
            compose(settings, outgoing), hostname=settings.smtp_host, port=settings.smtp_port,
            username=settings.smtp_username, password=settings.smtp_password, start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = [response.code for response in error.recipients]
        raise DeliveryFailed(f"recipient refused: {error.recipients[0].message if error.recipients else ''}",
                             transient=all(400 <= code < 500 for code in codes)) from error
    except aiosmtplib.SMTPResponseException as error:  # 4xx: try later; 5xx: the server said no
        raise DeliveryFailed(f"SMTP {error.code}: {error.message}", transient=error.code < 500) from error
    except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:  # down, unreachable, timed out
        raise DeliveryFailed(f"SMTP server unreachable: {error or type(error).__name__}", transient=True) from error
