"""The outbox dispatcher with real senders: a Maildir and an SMTP relay on loopback."""

from __future__ import annotations

import logging
import mailbox
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from consent_store.enums import Actor, Channel, ContactKind, OutboxState, RecipientKind
from consent_store.models import ContactPoint, OutboxMessage
from intake.core import Core
from intake.ports import Delivery
from intake.services import privacy
from intake.services.dispatch import Dispatcher
from mail_ingest.outbound import EmailSender
from tests.support import scenario
from tests.support.smtp_relay import Relay


async def _rows(core: Core) -> list[OutboxMessage]:
    async with core.uow() as uow:
        return list((await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def _email_coach_and_request(core: Core, coach_email: str = "coach@example.net") -> scenario.Candidate:
    from intake.services import coaches

    await coaches.add(core, display_name="Mail Coach", topic_codes=("career",), email=coach_email)
    who = await scenario.candidate(core, "candidate@example.org")
    await scenario.submitted(core, who)
    return who


async def test_maildir_delivery_happens_once(core: Core) -> None:
    await _email_coach_and_request(core)
    dispatcher = Dispatcher(core, {Channel.EMAIL: EmailSender(core.settings, clock=core.clock)})
    stats = await dispatcher.run_once()
    assert stats.sent == 2  # the offer to the coach, the receipt to the candidate
    assert (await dispatcher.run_once()).handled == 0  # nothing is sent twice
    box = mailbox.Maildir(core.settings.var_dir / "outbox", create=False)
    mails = sorted((m["To"], m["Subject"]) for m in box)
    assert [to for to, _ in mails] == ["candidate@example.org", "coach@example.net"]
    offer = next(m for m in box if m["To"] == "coach@example.net")
    assert offer["Message-ID"].endswith("@intake.test>") and offer["Date"]
    body = message_from_bytes(offer.as_bytes(), policy=policy.default).get_body(("plain",))
    assert body is not None and "/o/" in body.get_content()  # the accept link
    assert all(r.state is OutboxState.SENT and r.delivery_ref for r in await _rows(core))


async def test_temporary_relay_failures_are_retried_with_backoff(core: Core) -> None:
    async with Relay() as relay:
        core.settings.outbound = relay.url
        relay.handler.rcpt_answers["coach@example.net"] = "451 4.7.1 try again later"
        await _email_coach_and_request(core)
        dispatcher = Dispatcher(core, {Channel.EMAIL: EmailSender(core.settings, clock=core.clock)})
        stats = await dispatcher.run_once()
        assert (stats.sent, stats.retried) == (1, 1)
        waiting = next(r for r in await _rows(core) if r.recipient_kind is RecipientKind.COACH)
        assert waiting.state is OutboxState.PENDING and waiting.attempts == 1
        assert waiting.next_attempt_at > core.clock.now()
        assert (await dispatcher.run_once()).handled == 0  # not due yet

        del relay.handler.rcpt_answers["coach@example.net"]
        core.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        assert (await dispatcher.run_once()).sent == 1
        assert sorted(m["To"] for m in relay.handler.received) == [
            "candidate@example.org",
            "coach@example.net",
        ]


async def test_permanent_failures_are_recorded_and_mark_the_address(core: Core) -> None:
    async with Relay() as relay:
        core.settings.outbound = relay.url
        relay.handler.rcpt_answers["candidate@example.org"] = "550 5.1.1 no such user"
        who = await _email_coach_and_request(core)
        stats = await Dispatcher(
            core, {Channel.EMAIL: EmailSender(core.settings, clock=core.clock)}
        ).run_once()
        assert (stats.sent, stats.failed) == (1, 1)
        failed = next(r for r in await _rows(core) if r.state is OutboxState.FAILED)
        assert failed.recipient_kind is RecipientKind.SUBJECT and failed.last_error == "smtp 550"
        assert "example.org" not in (failed.last_error or "")
        async with core.uow() as uow:
            point = await uow.session.scalar(select(ContactPoint).where(ContactPoint.subject_id == who.id))
            assert point is not None and point.kind is ContactKind.EMAIL and point.unreachable


async def test_messages_of_an_erased_subject_are_never_sent(core: Core) -> None:
    who = await _email_coach_and_request(core)
    await privacy.erase(core, subject_id=who.id, actor=Actor.SUBJECT, channel=Channel.WEB, reason="test")
    stats = await Dispatcher(core, {Channel.EMAIL: EmailSender(core.settings, clock=core.clock)}).run_once()
    assert stats.sent == 1  # only the coach's "request withdrawn" notice, which carries no personal data
    rows = await _rows(core)
    assert {r.kind: r.state for r in rows if r.state is not OutboxState.CANCELLED} == {
        "offer_withdrawn": OutboxState.SENT
    }


async def test_channels_without_a_sender_wait(core: Core) -> None:
    await scenario.telegram_coaches(core, 1)
    who = await scenario.candidate(core)
    await scenario.submitted(core, who)
    stats = await Dispatcher(core, {Channel.EMAIL: EmailSender(core.settings, clock=core.clock)}).run_once()
    assert stats.sent == 1
    telegram = [r for r in await _rows(core) if r.channel is Channel.TELEGRAM]
    assert [r.state for r in telegram] == [OutboxState.PENDING]


class _CrashingSender:
    """A sender with a bug whose exception quotes the address, as some client libraries do."""

    async def send(self, delivery: Delivery) -> str:
        raise RuntimeError(f"cannot deliver to {delivery.address}")


async def test_a_crashing_sender_is_retried_and_the_log_holds_no_address(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    await _email_coach_and_request(core)
    with caplog.at_level(logging.DEBUG):
        stats = await Dispatcher(core, {Channel.EMAIL: _CrashingSender()}).run_once()
    assert (stats.sent, stats.retried) == (0, 2)
    assert all(r.state is OutboxState.PENDING and r.attempts == 1 for r in await _rows(core))
    assert "RuntimeError" in caplog.text
    assert "@example" not in caplog.text
