"""Outbound e-mail for the outbox: a Maildir (default; nothing leaves the machine and a
newcomer can read what was sent) or an SMTP relay (``smtp://`` with STARTTLS when offered,
``smtps://`` with implicit TLS) through aiosmtplib.

``INTAKE_OUTBOUND`` examples: ``maildir:./var/outbox``, ``smtp://relay.example:587``,
``smtps://user:password@relay.example:465``, ``smtp://127.0.0.1:1025?starttls=no``.
"""

from __future__ import annotations

import asyncio
import mailbox
from dataclasses import dataclass
from email import policy as email_policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from consent_store.enums import Channel
from intake.clock import Clock, SystemClock
from intake.errors import ConfigurationError
from intake.messages import RenderedMessage
from intake.ports import (
    Delivery,
    DeliveryError,
    PermanentDeliveryError,
    RecipientUnreachable,
    TemporaryDeliveryError,
)
from intake.settings import Settings


@dataclass(frozen=True, slots=True)
class RelayConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool | None  # None: use it when the server offers it
    username: str | None
    password: str | None


@dataclass(frozen=True, slots=True)
class Outbound:
    """Where outgoing mail goes, parsed from ``INTAKE_OUTBOUND``."""

    maildir: Path | None = None
    relay: RelayConfig | None = None

    def describe(self) -> str:
        if self.maildir is not None:
            return f"maildir {self.maildir}"
        assert self.relay is not None
        scheme = "smtps" if self.relay.implicit_tls else "smtp"
        return f"{scheme}://{self.relay.host}:{self.relay.port}"


def parse_outbound(value: str) -> Outbound:
    if value.startswith("maildir:"):
        return Outbound(maildir=Path(value.removeprefix("maildir:")))
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigurationError(
            "INTAKE_OUTBOUND must be maildir:PATH, smtp://HOST:PORT or smtps://HOST:PORT"
        )
    query = parse_qs(parts.query)
    starttls_option = query.get("starttls", [""])[0].lower()
    starttls = {"yes": True, "no": False}.get(starttls_option)
    implicit = parts.scheme == "smtps"
    return Outbound(
        relay=RelayConfig(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            implicit_tls=implicit,
            starttls=False if implicit else starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )
    )


class _VerbatimListHeader(UnstructuredHeader):
    """``List-Unsubscribe`` must reach mail providers as ``<uri>, <uri>`` (RFC 2369, 8058).
    The default folding turns a URI longer than a line into an RFC 2047 encoded word, which
    they do not decode; fold only after the commas (lines stay far below 998 octets)."""

    def fold(self, *, policy: email_policy.Policy) -> str:
        parts = [part.strip() for part in str(self).split(",")]
        return f"{self.name}: " + f",{policy.linesep} ".join(parts) + policy.linesep


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _VerbatimListHeader)
MAIL_POLICY = email_policy.default.clone(header_factory=_HEADERS)


def build_email(
    message: RenderedMessage, *, to: str, sender: str, domain: str, clock: Clock, reply_to: str | None = None
) -> EmailMessage:
    """A standards-conforming MIME message: plain text (with action links), optional HTML.

    Every message we send is automatic, so it says so (``Auto-Submitted: auto-generated``,
    RFC 3834) unless the message sets its own (an automatic answer: ``auto-replied``)."""
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = message.subject or ""
    mail["Date"] = format_datetime(clock.now())
    mail["Message-ID"] = make_msgid(domain=domain)
    if reply_to:
        mail["Reply-To"] = reply_to
    headers = {"Auto-Submitted": "auto-generated", **message.headers}
    for name, value in headers.items():
        mail[name] = value
    text = message.text
    links = [a for a in message.actions if a.url]
    if links:
        text += "\n\n" + "\n".join(f"{a.label}: {a.url}" for a in links)
    mail.set_content(text + "\n")
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


class EmailSender:
    """The outbox's sender for e-mail. Delivery reports come back to ``bounces@`` (the envelope
    sender), where they mark an address undeliverable."""

    channel = Channel.EMAIL

    def __init__(self, settings: Settings, *, clock: Clock | None = None, timeout: float = 30.0) -> None:
        self.outbound = parse_outbound(settings.resolved_outbound)
        self.domain = settings.mail_domain
        self.sender = formataddr((settings.controller_name, f"noreply@{settings.mail_domain}"))
        self.return_path = f"bounces@{settings.mail_domain}"
        self.clock = clock or SystemClock()
        self.timeout = timeout
        if self.outbound.maildir is not None:
            self.outbound.maildir.parent.mkdir(parents=True, exist_ok=True)
            self._maildir = mailbox.Maildir(self.outbound.maildir, create=True)

    async def send(self, delivery: Delivery) -> str | None:
        mail = build_email(
            delivery.message, to=delivery.address, sender=self.sender, domain=self.domain, clock=self.clock
        )
        if self.outbound.maildir is not None:
            mail["Return-Path"] = f"<{self.return_path}>"  # what a delivering MTA would add
            await asyncio.to_thread(self._maildir.add, mail)
        else:
            await self._relay(mail, delivery.address)
        return str(mail["Message-ID"])

    async def _relay(self, mail: EmailMessage, recipient: str) -> None:
        """4xx: ``TemporaryDeliveryError`` (the outbox retries with backoff); 5xx: permanent,
        recorded as failed with the code (``intake outbox`` shows it)."""
        relay = self.outbound.relay
        assert relay is not None
        try:
            await aiosmtplib.send(
                mail,
                sender=self.return_path,
                recipients=[recipient],
                hostname=relay.host,
                port=relay.port,
                use_tls=relay.implicit_tls,
                start_tls=relay.starttls,
                username=relay.username,
                password=relay.password,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            code = exc.recipients[0].code if exc.recipients else 550
            if 500 <= code < 600:
                raise _coded(RecipientUnreachable("relay refused the recipient"), code) from None
            raise _coded(TemporaryDeliveryError("relay deferred the recipient"), code) from None
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise _coded(PermanentDeliveryError("relay refused the message"), exc.code) from None
            raise _coded(TemporaryDeliveryError("relay deferred the message"), exc.code) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TemporaryDeliveryError(f"relay unreachable ({type(exc).__name__})") from None


_E = TypeVar("_E", bound=DeliveryError)


def _coded(error: _E, smtp_code: int) -> _E:
    """Name the relay's reply code in the error code the outbox records as ``last_error``."""
    error.code = f"smtp {smtp_code}"
    return error
