"""Outbound mail through an SMTP relay (4xx retried, 5xx failed and shown), and delivery
reports to bounces@ marking an address undeliverable."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from consent_store.enums import Channel, OutboxState
from consent_store.models import ContactPoint, InboundMail, OutboxMessage
from intake.core import Core
from intake.services.dispatch import Dispatcher
from mail_ingest.outbound import EmailSender
from tests.support import scenario
from tests.support.mail import (
    MailService,
    delivery_report,
    mail_fixture,
    message,
    rows,
    run_cli,
    settings_fixture,
)

USES_FIXTURES = (mail_fixture, settings_fixture)  # pytest finds them by name: mail, settings


async def _unreachable(core: Core) -> list[bool]:
    return [p.unreachable for p in await rows(core, ContactPoint)]


async def test_delivery_report_marks_the_address_undeliverable_without_answering(
    mail: MailService, core: Core
) -> None:
    assert (await mail.send(message("Ik zoek een coach."))).code == 250
    await mail.settle()
    (answer,) = mail.new_mail()
    assert answer["Return-Path"] == "<bounces@intake.test>"
    outbox_before = len(await rows(core, OutboxMessage))

    # A forged report about someone's address, for mail we never sent: ignored.
    bounces = ["bounces@intake.test"]
    forged = delivery_report("<never-sent@intake.test>", "kandidaat@example.org")
    forged_reply = await mail.send(forged, mail_from="", to=bounces)
    assert forged_reply.code == 250
    await mail.settle()
    assert await _unreachable(core) == [False]

    report = await mail.send(
        delivery_report(answer["Message-ID"], "kandidaat@example.org"), mail_from="", to=bounces
    )
    assert report.code == 250
    await mail.settle()
    assert await _unreachable(core) == [True]
    assert len(await rows(core, OutboxMessage)) == outbox_before
    assert mail.new_mail() == []
    outcomes = [m.outcome for m in await rows(core, InboundMail)]
    assert sorted(outcomes) == ["bounce:marked", "bounce:unmatched", "draft"]


class _Relay:
    """A mail server that defers the first attempt for one address and refuses another."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []
        self.deferred: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("gone@"):
            return "550 5.1.1 <gone@example.org>: Recipient address rejected"
        if address not in self.deferred:
            self.deferred.add(address)
            return "451 4.7.1 Greylisted, please try again"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
async def relay() -> Any:
    handler = _Relay()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="relay.test"), "127.0.0.1", 0)
    handler.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    yield handler
    server.close()
    await server.wait_closed()


async def test_relay_4xx_is_retried_with_backoff_and_5xx_fails_visibly(
    core: Core, relay: Any, tmp_path: Path
) -> None:
    await scenario.telegram_coaches(core, 1)
    kept = await scenario.candidate(core, "kim@example.org")
    gone = await scenario.candidate(core, "gone@example.org")
    await scenario.submitted(core, kept)
    await scenario.submitted(core, gone)
    settings = core.settings.model_copy(update={"outbound": f"smtp://127.0.0.1:{relay.port}?starttls=no"})
    dispatcher = Dispatcher(core, {Channel.EMAIL: EmailSender(settings, clock=core.clock)})

    first = await dispatcher.run_once()
    assert (first.retried, first.failed, first.sent) == (1, 1, 0)
    mails = [r for r in await rows(core, OutboxMessage) if r.channel is Channel.EMAIL]
    assert sorted((r.state.value, r.last_error) for r in mails) == [
        ("failed", "smtp 550"),
        ("pending", "smtp 451"),
    ]
    pending = next(r for r in mails if r.state is OutboxState.PENDING)
    assert pending.next_attempt_at > core.clock.now()  # backoff

    core.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    second = await dispatcher.run_once()
    assert second.sent == 1
    (envelope,) = relay.received
    assert envelope.mail_from == "bounces@intake.test" and envelope.rcpt_tos == ["kim@example.org"]
    assert b"Auto-Submitted: auto-generated" in envelope.original_content
    assert b"@intake.test>" in envelope.original_content  # Message-ID on our domain

    points = {p.subject_id: p.unreachable for p in await rows(core, ContactPoint)}
    assert points == {kept.id: False, gone.id: True}

    result = await run_cli(core, tmp_path, "outbox")
    assert result.exit_code == 0, result.output
    assert "failed" in result.output and "smtp 550" in result.output
    assert "gone@example.org" not in result.output
