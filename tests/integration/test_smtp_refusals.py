"""Each refusal of the SMTP server, with its exact code, over real sessions on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from consent_store.models import InboundMail
from intake.core import Core
from intake.settings import Settings
from tests.support.mail import (
    INTAKE,
    MailService,
    mail_fixture,
    mail_settings,
    message,
)
from tests.support.smtp_client import SmtpClient

USES_FIXTURES = (mail_fixture,)  # pytest finds them by name: mail, settings

MAX_CONNECTIONS = 2
CONNECTIONS_PER_MINUTE = 4
MESSAGES_PER_MINUTE = 3
MAX_RECIPIENTS = 3


@pytest.fixture(name="settings")
def limited_settings(tmp_path: Path, db_url: str) -> Settings:
    return mail_settings(
        tmp_path,
        db_url,
        smtp_max_connections_per_client=MAX_CONNECTIONS,
        smtp_connections_per_minute=CONNECTIONS_PER_MINUTE,
        smtp_messages_per_minute=MESSAGES_PER_MINUTE,
        smtp_max_recipients=MAX_RECIPIENTS,
    )


async def _stored(core: Core) -> int:
    async with core.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(InboundMail)) or 0)


async def test_ehlo_advertises_size_smtputf8_and_8bitmime(mail: MailService, core: Core) -> None:
    client = await SmtpClient.connect(mail.smtp.host, mail.smtp.port)
    try:
        assert client.greeting is not None and client.greeting.code == 220
        assert client.greeting.text.startswith("intake.test")
        ehlo = await client.ehlo()
        assert ehlo.code == 250
        assert f"SIZE {core.settings.smtp_max_bytes}" in ehlo.lines
        assert "SMTPUTF8" in ehlo.lines and "8BITMIME" in ehlo.lines
        assert not any(line.startswith("STARTTLS") for line in ehlo.lines)  # no certificate configured
    finally:
        await client.quit()


@pytest.mark.parametrize(
    "recipient",
    ["info@intake.test", "intake@example.org", "intake+extra@intake.test", "postmaster@intake.test"],
)
async def test_unknown_recipient_is_refused_with_550(mail: MailService, core: Core, recipient: str) -> None:
    client = await mail.client()
    try:
        assert (await client.command("MAIL FROM:<kandidaat@example.org>")).code == 250
        reply = await client.command(f"RCPT TO:<{recipient}>")
        assert (reply.code, reply.text) == (550, "5.1.1 No such recipient here")
        assert (await client.command(f"RCPT TO:<{INTAKE}>")).code == 250  # the session goes on
    finally:
        await client.quit()


async def test_declared_size_over_the_limit_is_refused_with_552(mail: MailService, core: Core) -> None:
    client = await mail.client()
    try:
        too_big = core.settings.smtp_max_bytes + 1
        reply = await client.command(f"MAIL FROM:<kandidaat@example.org> SIZE={too_big}")
        assert reply.code == 552
        ok = await client.command(f"MAIL FROM:<kandidaat@example.org> SIZE={too_big - 1}")
        assert ok.code == 250
    finally:
        await client.quit()


async def test_data_over_the_limit_gets_552_and_nothing_is_stored(mail: MailService, core: Core) -> None:
    big = b"\x00" * (8 * 1024 * 1024)  # base64: 10.9 MB
    raw = message("x" * 100, attachments=[("big.bin", big, "application/octet-stream")])
    assert len(raw) > core.settings.smtp_max_bytes
    client = await mail.client()
    try:
        reply = await client.send("kandidaat@example.org", [INTAKE], raw)
        assert reply.code == 552
        again = await client.send("kandidaat@example.org", [INTAKE], message("Nu kort."))
        assert again.code == 250  # the envelope was reset; the session is usable
    finally:
        await client.quit()
    assert await _stored(core) == 1


async def test_too_many_recipients_get_452(mail: MailService) -> None:
    client = await mail.client()
    try:
        await client.command("MAIL FROM:<kandidaat@example.org>")
        codes = [(await client.command(f"RCPT TO:<{INTAKE}>")).code for _ in range(MAX_RECIPIENTS + 1)]
        assert codes == [250] * MAX_RECIPIENTS + [452]
    finally:
        await client.quit()


async def test_message_rate_per_client_gets_450(mail: MailService, core: Core) -> None:
    client = await mail.client()
    try:
        for n in range(MESSAGES_PER_MINUTE):
            assert (await client.send("kandidaat@example.org", [INTAKE], message(f"Vraag {n}"))).code == 250
        reply = await client.command("MAIL FROM:<kandidaat@example.org>")
        assert (reply.code, reply.text) == (450, "4.7.1 Too many messages from your address, try again later")
    finally:
        await client.quit()
    assert await _stored(core) == MESSAGES_PER_MINUTE


async def test_concurrent_connections_per_client_get_421(mail: MailService) -> None:
    open_ = [await SmtpClient.connect(mail.smtp.host, mail.smtp.port) for _ in range(MAX_CONNECTIONS)]
    try:
        assert all(c.greeting and c.greeting.code == 220 for c in open_)
        refused = await SmtpClient.connect(mail.smtp.host, mail.smtp.port)
        assert refused.greeting is not None and refused.greeting.code == 421
        assert refused.greeting.text.startswith("4.7.0")
        assert await refused.reader.read() == b""  # and closed
        await refused.close()
    finally:
        for client in open_:
            await client.quit()


async def test_connection_rate_per_client_gets_421(mail: MailService) -> None:
    for _ in range(CONNECTIONS_PER_MINUTE):
        client = await SmtpClient.connect(mail.smtp.host, mail.smtp.port)
        assert client.greeting is not None and client.greeting.code == 220
        await client.quit()
    refused = await SmtpClient.connect(mail.smtp.host, mail.smtp.port)
    assert refused.greeting is not None and refused.greeting.code == 421
    await refused.close()


async def test_command_sequence_errors(mail: MailService) -> None:
    client = await mail.client()
    try:
        assert (await client.command("DATA")).code == 503
        assert (await client.command(f"RCPT TO:<{INTAKE}>")).code == 503
        assert (await client.command("MAIL FROM:")).code == 501
    finally:
        await client.quit()
