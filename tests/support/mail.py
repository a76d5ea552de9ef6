"""The e-mail channel running for real on loopback: the SMTP server with its worker, the web
pages, and the outbox delivering to a Maildir. A test module imports the fixtures and uses the
names (so that no import clean-up removes them):

    from tests.support.mail import mail_fixture, settings_fixture

    USES_FIXTURES = (mail_fixture, settings_fixture)  # pytest finds them by name: mail, settings

``mail`` is a ``MailService``; ``settings`` has ephemeral ports and a Maildir outbox.
"""

from __future__ import annotations

import asyncio
import mailbox
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from consent_store.enums import Channel
from intake.core import Core
from intake.services.dispatch import Dispatcher
from intake.settings import Settings
from mail_ingest import server as smtp_server
from mail_ingest.outbound import EmailSender
from tests.conftest import make_settings
from tests.support.smtp_client import Reply, SmtpClient, send_one
from web import server as web_server

DOMAIN = "intake.test"
INTAKE = f"intake@{DOMAIN}"


def mail_settings(tmp_path: Path, db_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db_url,
        "smtp_port": 0,
        "web_port": 0,
        "outbound": f"maildir:{tmp_path / 'outbox'}",
        "smtp_connections_per_minute": 0,
        "smtp_messages_per_minute": 0,
        "smtp_max_connections_per_client": 0,
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path, db_url: str) -> Settings:
    return mail_settings(tmp_path, db_url)


@dataclass
class MailService:
    core: Core
    smtp: smtp_server.RunningSmtp
    web: web_server.RunningWeb
    dispatcher: Dispatcher
    http: aiohttp.ClientSession
    maildir: Path
    _seen: set[str] = field(default_factory=set)

    @property
    def host(self) -> str:
        return self.smtp.host

    async def client(self) -> SmtpClient:
        client = await SmtpClient.connect(self.smtp.host, self.smtp.port)
        await client.ehlo()
        return client

    async def send(
        self, content: bytes, *, mail_from: str = "kandidaat@example.org", to: Sequence[str] = (INTAKE,)
    ) -> Reply:
        return await send_one(self.smtp.host, self.smtp.port, mail_from, to, content)

    async def settle(self) -> None:
        """Process every accepted message and deliver every queued answer."""
        async with asyncio.timeout(30):
            await self.smtp.worker.drain()
            await self.dispatcher.run_once()

    def new_mail(self) -> list[EmailMessage]:
        """Mail delivered to the Maildir since the last call."""
        box = mailbox.Maildir(self.maildir, create=True)
        fresh = []
        for key in sorted(box.keys()):
            if key in self._seen:
                continue
            self._seen.add(key)
            with box.get_file(key) as handle:
                fresh.append(BytesParser(policy=policy.default).parse(handle))  # type: ignore[arg-type]
        return fresh  # type: ignore[return-value]

    def link(self, mail: EmailMessage, path: str) -> str:
        """The link to ``path`` (e.g. "/c/") in a mail's text, pointing at the running web server."""
        text = body_text(mail)
        public = self.core.settings.public_url
        found = re.search(re.escape(public + path) + r"[\w.\-]+", text)
        assert found, f"no {path} link in the mail"
        return self.web.url + found.group(0)[len(public) :]

    async def get(self, url: str, **kwargs: Any) -> tuple[int, str]:
        async with self.http.get(url, allow_redirects=False, **kwargs) as response:
            return response.status, await response.text()

    async def post(self, url: str, data: dict[str, str] | Iterable[tuple[str, str]]) -> tuple[int, str]:
        async with self.http.post(url, data=data, allow_redirects=False) as response:
            return response.status, await response.text()


def body_text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture(name="mail")
async def mail_fixture(core: Core, tmp_path: Path) -> AsyncIterator[MailService]:
    smtp = await smtp_server.start(core)
    web = await web_server.start(core)
    dispatcher = Dispatcher(core, {Channel.EMAIL: EmailSender(core.settings, clock=core.clock)})
    try:
        async with aiohttp.ClientSession() as http:
            yield MailService(core, smtp, web, dispatcher, http, tmp_path / "outbox")
    finally:
        await web.stop()
        await smtp.stop()


def message(
    body: str | None = "Ik zoek een coach die me helpt bij een overstap naar ander werk.",
    *,
    sender: str = "Kim Kandidaat <kandidaat@example.org>",
    subject: str = "Hulp bij mijn loopbaan",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
    charset: str = "utf-8",
) -> bytes:
    """A well-formed mail to intake@, as bytes with CRLF line endings."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = INTAKE
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = message_id or make_msgid(domain="example.org")
    if body is not None:
        mail.set_content(body, charset=charset)
        if html is not None:
            mail.add_alternative(html, subtype="html")
    elif html is not None:
        mail.set_content(html, subtype="html")
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    for name, value in (headers or {}).items():  # after the content: set_content drops Content-*
        mail[name] = value
    return mail.as_bytes(policy=policy.SMTP)


def delivery_report(original_id: str, recipient: str, status: str = "5.1.1", action: str = "failed") -> bytes:
    """A delivery status notification (RFC 3464) about our mail ``original_id`` to ``recipient``."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        "To: bounces@intake.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.org')}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: noreply@intake.test\r\nTo: {recipient}\r\nMessage-ID: {original_id}\r\n\r\n"
        "--B--\r\n"
    ).encode()


def complaint(original_id: str, recipient: str | None) -> bytes:
    """An ARF report (RFC 5965) as feedback loops send them; some leave out the recipient."""
    rcpt = f"Original-Rcpt-To: {recipient}\r\n" if recipient else ""
    return (
        "From: Feedback Loop <fbl@isp.example>\r\nTo: bounces@intake.test\r\nSubject: complaint\r\n"
        f"Message-ID: {make_msgid(domain='isp.example')}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\r\n\r\n'
        "--F\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
        "--F\r\nContent-Type: message/feedback-report\r\n\r\n"
        f"Feedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\nVersion: 1\r\n{rcpt}\r\n"
        "--F\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: noreply@intake.test\r\nTo: redacted@isp.example\r\nMessage-ID: {original_id}\r\n"
        "Subject: Nieuws\r\n\r\nredacted\r\n"
        "--F--\r\n"
    ).encode()


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = values.get("action", "")
            self.forms.append({"action": action, "fields": [], "checkboxes": {}, "buttons": []})
        elif self.forms and tag == "input":
            if values.get("type") == "checkbox":
                self.forms[-1]["checkboxes"][values["name"]] = "checked" in values
            else:
                self.forms[-1]["fields"].append((values["name"], values.get("value", "")))
        elif self.forms and tag == "button":
            self.forms[-1]["buttons"].append((values.get("name", ""), values.get("value", "")))
        elif self.forms and tag == "option" and "selected" in values:
            self.forms[-1]["fields"].append(("topic", values["value"]))


def forms(html: str) -> list[dict[str, Any]]:
    """The forms of a page: action, hidden and selected fields, checkboxes (ticked?), buttons."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


async def run_cli(core: Core, tmp_path: Path, *args: str) -> Any:
    """The operator CLI against the test database (in a thread: it runs its own event loop)."""
    from typer.testing import CliRunner

    from intake.cli import app

    env = {
        "INTAKE_DATABASE_URL": core.settings.resolved_database_url,
        "INTAKE_MASTER_KEY": core.settings.master_key.get_secret_value(),  # type: ignore[union-attr]
        "INTAKE_SECRET_KEY": core.settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
        "INTAKE_VAR_DIR": str(tmp_path / "cli-var"),
        "COLUMNS": "250",
    }
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def rows(core: Core, model: Any) -> list[Any]:
    """Every row of a table (tests look at what was stored)."""
    from sqlalchemy import select

    async with core.uow() as uow:
        return list((await uow.session.scalars(select(model))).all())


async def execute_sql(core: Core, statements: Sequence[str]) -> None:
    """Run SQL on the test's database outside the service (to make it fail, or repair it)."""
    from sqlalchemy import text

    async with core.engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))
