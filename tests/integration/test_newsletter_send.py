"""Sending an issue through the real dispatcher into a Maildir: list headers, the visible
link, leaving while a send runs, resuming, rate, and the export for mailing tools."""

from __future__ import annotations

import csv
import io
import mailbox
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consent_store.enums import (
    Actor,
    Channel,
    ConsentAction,
    OutboxState,
    Purpose,
)
from consent_store.models import AuditEvent, NewsletterSendRecipient, OutboxMessage, Suppression
from intake.clock import ManualClock
from intake.core import Core
from intake.ports import Delivery
from intake.services import consent, newsletter, newsletter_admin, newsletter_sending, subjects
from intake.services.dispatch import Dispatcher
from intake.services.newsletter_sending import NewsletterTemplate, TemplateProblem
from mail_ingest.outbound import EmailSender
from tests.integration.test_newsletter import (
    Subscriber,
    email_subscriber,
    outbox_messages,
    shown,
    telegram_subscriber,
)

TEXT_NL = "Hallo! Dit is {{ subject }} van {{ controller_name }} ({{ language }}).\n"
TEXT_EN = "Hello! This is {{ subject }} from {{ controller_name }} ({{ language }}).\n"
HTML = "<html><body><h1>{{ subject }}</h1><p>{{ controller_name }} &amp; co</p></body></html>"


def write_template(directory: Path, *, html: bool = True) -> NewsletterTemplate:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nl.txt").write_text(TEXT_NL)
    (directory / "en.txt").write_text(TEXT_EN)
    if html:
        (directory / "nl.html").write_text(HTML)
        (directory / "en.html").write_text(HTML.replace("co<", "company<"))
    return newsletter_sending.load_template(directory)


def maildir(core: Core) -> list[tuple[bytes, EmailMessage]]:
    box = mailbox.Maildir(core.settings.var_dir / "outbox", create=False)
    raw = [box.get_bytes(key) for key in box.iterkeys()]
    return [(data, message_from_bytes(data, policy=policy.default)) for data in raw]  # type: ignore[misc]


def header_line(raw: bytes, name: str) -> str:
    """The header exactly as written (unfolded), not as a parser decodes it."""
    head = raw.split(b"\n\n", 1)[0].replace(b"\n ", b" ").decode("ascii")
    return next(line.split(": ", 1)[1] for line in head.splitlines() if line.startswith(f"{name}: "))


async def suppress_by_hand(core: Core, address: str) -> None:
    """What an imported suppression list does: the address is listed, the subscription untouched."""
    async with core.uow() as uow:
        uow.suppressions.add(
            Suppression(
                address_hash=core.keyring.suppression_hash(address),
                reason="imported",
                created_at=core.clock.now(),
            )
        )
        await uow.commit()


def sender(core: Core) -> EmailSender:
    return EmailSender(core.settings, clock=core.clock)


async def subscribers(core: Core, count: int, prefix: str = "reader") -> list[Subscriber]:
    return [
        await email_subscriber(core, f"{prefix}{i:02d}@example.org", language="en" if i % 3 == 0 else "nl")
        for i in range(count)
    ]


async def send(
    core: Core, template: NewsletterTemplate, *, rate: float | None = None, **kwargs: object
) -> newsletter_sending.SendReport:
    send_id = await newsletter_sending.start(
        core,
        template,
        subjects=newsletter_sending.subject_lines("Nieuws in november", "News in November"),
        rate=rate,
        operator="tester",
    )
    return await newsletter_sending.run(core, send_id, template, **kwargs)  # type: ignore[arg-type]


async def drop_confirmation_mails(core: Core) -> None:
    """The confirmation mails of the fixtures were confirmed without being sent: deliver
    them (the dispatcher withholds them now) so that the Maildir holds only issues."""
    stats = await Dispatcher(core, {Channel.EMAIL: sender(core)}).run_once()
    assert stats.sent == 0 and stats.errors == {"cancelled: no sign-up waiting": stats.cancelled}


async def test_every_issue_has_list_headers_a_visible_link_and_its_own_token(
    core: Core, tmp_path: Path
) -> None:
    readers = await subscribers(core, 4)
    await telegram_subscriber(core, 777001)
    await drop_confirmation_mails(core)
    report = await send(core, write_template(tmp_path / "issue"))
    assert (report.queued, report.skipped) == (5, 0)
    assert report.languages == {"en": 2, "nl": 3}

    stats = await Dispatcher(core, {Channel.EMAIL: sender(core)}).run_once()
    assert stats.sent == 4  # the Telegram copy waits for the bot's sender
    mails = maildir(core)
    assert sorted(m["To"] for _, m in mails) == sorted(r.address for r in readers)
    for raw, mail in mails:
        reader = next(r for r in readers if r.address == mail["To"])
        token = core.tokens.unsubscribe(reader.subscription_id)
        url = f"http://127.0.0.1:8080/u/{token}"
        assert header_line(raw, "List-Unsubscribe") == f"<{url}>, <mailto:unsubscribe+{token}@intake.test>"
        assert header_line(raw, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
        assert header_line(raw, "List-Id") == "Intake demo practice newsletter <newsletter.intake.test>"
        english = mail["Subject"] == "News in November"
        assert english or mail["Subject"] == "Nieuws in november"
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert url in text and f'href="{url}"' in html
        assert ("Unsubscribe with one click" if english else "Afmelden kan met één klik") in text
        assert ("company" if english else "&amp; co") in html and html.index(url) < html.index("</body>")
    telegram = [
        (r, m) for r, m in await outbox_messages(core, newsletter.ISSUE_KIND) if r.channel is Channel.TELEGRAM
    ]
    [(_, message)] = telegram
    assert message.headers == {} and "/afmelden" in message.text and "/u/" in message.text

    # The header's token is the reader's: using it takes exactly that reader off.
    _, first = mails[0]
    token = header_line(mails[0][0], "List-Unsubscribe").split("/u/")[1].split(">")[0]
    await newsletter.unsubscribe_by_token(core, token, channel=Channel.WEB, evidence="one-click")
    left = next(r for r in readers if r.address == first["To"])
    async with core.uow() as uow:
        assert not await uow.ledger.is_granted(left.pseudonym, Purpose.NEWSLETTER)
        assert sum([await uow.ledger.is_granted(r.pseudonym, Purpose.NEWSLETTER) for r in readers]) == 3


async def test_a_template_that_shows_the_link_itself_gets_no_second_one(core: Core, tmp_path: Path) -> None:
    await subscribers(core, 1)
    await drop_confirmation_mails(core)
    single = tmp_path / "issue.txt"
    single.write_text("Nieuws.\n\nAfmelden: {{ unsubscribe_url }}\n")
    await send(core, newsletter_sending.load_template(single))
    await Dispatcher(core, {Channel.EMAIL: sender(core)}).run_once()
    [(_, mail)] = maildir(core)
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.count("/u/") == 1 and mail.get_body(("html",)) is None


async def test_broken_templates_are_refused_before_anything_is_queued(core: Core, tmp_path: Path) -> None:
    await subscribers(core, 1)
    missing = tmp_path / "missing"
    missing.mkdir()
    (missing / "nl.txt").write_text("x")
    with pytest.raises(TemplateProblem, match=r"en\.txt"):
        newsletter_sending.load_template(missing)
    syntax = tmp_path / "syntax.txt"
    syntax.write_text("Hallo {{ subject }\n")
    with pytest.raises(TemplateProblem, match="line 1"):
        newsletter_sending.load_template(syntax)
    unknown = tmp_path / "unknown.txt"
    unknown.write_text("Beste {{ first_name }},\n")  # we store no names
    with pytest.raises(TemplateProblem, match="first_name"):
        await send(core, newsletter_sending.load_template(unknown))
    assert await outbox_messages(core, newsletter.ISSUE_KIND) == []
    assert (await newsletter_sending.recent(core)) == []


async def test_leaving_while_a_send_runs(core: Core, tmp_path: Path) -> None:
    readers = await subscribers(core, 12)
    await drop_confirmation_mails(core)
    in_send_order = sorted(readers, key=lambda r: r.subscription_id)  # sends page by subscription id
    queued_first, reached_later = in_send_order[0], in_send_order[10]

    async def leave_after_the_first_batch(done: int, total: int) -> None:
        if done == 4:  # between two batches of the running send, two readers leave
            assert total == 12
            await newsletter.unsubscribe_by_address(
                core, queued_first.address, channel=Channel.EMAIL, evidence="mail", actor=Actor.SUBJECT
            )
            await newsletter.unsubscribe_by_token(
                core,
                core.tokens.unsubscribe(reached_later.subscription_id),
                channel=Channel.WEB,
                evidence="c",
            )

    report = await send(
        core, write_template(tmp_path / "t"), batch_size=4, progress=leave_after_the_first_batch
    )
    assert report.queued == 11  # everyone but the one who left before their batch came
    assert report.skipped == 0  # they were no longer active, so not even looked at
    stats = await Dispatcher(core, {Channel.EMAIL: sender(core)}).run_once()
    assert stats.sent == 10 and stats.cancelled == 0  # the one already queued was cancelled on leaving
    received = {m["To"] for _, m in maildir(core)}
    assert received == {r.address for r in readers} - {queued_first.address, reached_later.address}
    rows = [r for r, _ in await outbox_messages(core, newsletter.ISSUE_KIND)]
    cancelled = [r for r in rows if r.state is OutboxState.CANCELLED]
    assert [r.recipient_id for r in cancelled] == [queued_first.subject_id]
    assert cancelled[0].last_error == "cancelled: unsubscribed"


async def test_a_message_claimed_before_its_reader_left_is_not_sent(core: Core, tmp_path: Path) -> None:
    readers = await subscribers(core, 3)
    await drop_confirmation_mails(core)
    await send(core, write_template(tmp_path / "t", html=False))
    rows = [r for r, _ in await outbox_messages(core, newsletter.ISSUE_KIND)]
    last = next(r for r in readers if r.subject_id == rows[-1].recipient_id)

    class LeavingWhileSending:
        """The Maildir sender; while it delivers the first issue, the last reader leaves
        (their message is already claimed by this dispatcher round)."""

        channel = Channel.EMAIL

        def __init__(self) -> None:
            self.inner = sender(core)
            self.calls = 0

        async def send(self, delivery: Delivery) -> str | None:
            self.calls += 1
            if self.calls == 1:
                assert await newsletter.unsubscribe_by_address(
                    core, last.address, channel=Channel.EMAIL, evidence="mail", actor=Actor.SUBJECT
                )
            return await self.inner.send(delivery)

    stats = await Dispatcher(core, {Channel.EMAIL: LeavingWhileSending()}, concurrency=1).run_once()
    assert (stats.sent, stats.cancelled) == (2, 1)
    assert stats.errors == {"cancelled: unsubscribed": 1}
    assert last.address not in {m["To"] for _, m in maildir(core)}


async def test_a_message_claimed_by_a_crashed_dispatcher_is_checked_again(core: Core, tmp_path: Path) -> None:
    readers = await subscribers(core, 2)
    await drop_confirmation_mails(core)
    await send(core, write_template(tmp_path / "t", html=False))
    async with core.uow() as uow:  # a dispatcher claims both, then dies
        claimed = await uow.outbox.claim_due(
            core.clock.now(), channels=[Channel.EMAIL], limit=10, lease=timedelta(minutes=5)
        )
        await uow.commit()
    assert len(claimed) == 2
    await suppress_by_hand(core, readers[0].address)
    await consent.withdraw(
        core, subject_id=readers[1].subject_id, purpose=Purpose.NEWSLETTER, channel=Channel.WEB, evidence="e"
    )
    core.clock.advance(timedelta(minutes=6))  # type: ignore[attr-defined]
    stats = await Dispatcher(core, {Channel.EMAIL: sender(core)}).run_once()
    assert (stats.sent, stats.cancelled) == (0, 2)
    assert stats.errors == {"cancelled: suppressed": 1, "cancelled: unsubscribed": 1}
    assert maildir(core) == []


async def test_resuming_never_queues_anyone_twice(core: Core, tmp_path: Path) -> None:
    readers = await subscribers(core, 9)
    await drop_confirmation_mails(core)
    template = write_template(tmp_path / "t")
    send_id = await newsletter_sending.start(
        core, template, subjects={"nl": "N", "en": "E"}, rate=None, operator="t"
    )

    class Crash(Exception):
        pass

    def crash_after_two_batches(done: int, total: int) -> None:
        if done >= 4:
            raise Crash

    with pytest.raises(Crash):
        await newsletter_sending.run(core, send_id, template, batch_size=2, progress=crash_after_two_batches)
    resumed = await newsletter_sending.run(core, send_id, template, batch_size=2)
    assert (resumed.already_queued, resumed.queued) == (4, 5)
    again = await newsletter_sending.run(core, send_id, template, batch_size=2)
    assert (again.already_queued, again.queued) == (9, 0)

    other = tmp_path / "other.txt"
    other.write_text("Something else\n")
    with pytest.raises(TemplateProblem, match="differs"):
        await newsletter_sending.run(core, send_id, newsletter_sending.load_template(other))

    await Dispatcher(core, {Channel.EMAIL: sender(core)}).run_once()
    received = [m["To"] for _, m in maildir(core)]
    assert sorted(received) == sorted(r.address for r in readers)  # each exactly once
    async with core.uow() as uow:
        recorded = await uow.newsletter.send(send_id)
        assert recorded is not None and recorded.queued == 9 and recorded.finished_at is not None
        assert await uow.session.scalar(select(func.count()).select_from(NewsletterSendRecipient)) == 9


async def test_queue_time_checks_and_dry_run(core: Core, tmp_path: Path) -> None:
    readers = await subscribers(core, 5)
    await drop_confirmation_mails(core)
    # An address suppressed by an imported list, and a consent withdrawn in the ledger
    # while the subscription row still says active: both must be skipped.
    await suppress_by_hand(core, readers[0].address)
    async with core.uow() as uow:
        subject = await subjects.get(uow, readers[1].subject_id)
        await consent.append(
            uow,
            core,
            subject,
            purpose=Purpose.NEWSLETTER,
            action=ConsentAction.WITHDRAWN,
            wording=core.texts.wording(Purpose.NEWSLETTER, "nl"),
            channel=Channel.OPERATOR,
            evidence="test",
        )
        await uow.commit()
    await newsletter.handle_bounce(core, readers[2].address, newsletter.BounceKind.HARD, evidence="dsn")
    template = write_template(tmp_path / "t")
    preview = await newsletter_sending.dry_run(core, template, subjects={"nl": "N", "en": "E"})
    assert (preview.queued, preview.skipped_suppressed, preview.skipped_withdrawn) == (2, 1, 1)
    assert await outbox_messages(core, newsletter.ISSUE_KIND) == []
    report = await send(core, template)
    assert (report.queued, report.skipped_suppressed, report.skipped_withdrawn) == (2, 1, 1)
    assert {r.recipient_id for r, _ in await outbox_messages(core, newsletter.ISSUE_KIND)} == {
        readers[3].subject_id,
        readers[4].subject_id,
    }


async def test_the_rate_spreads_delivery(core: Core, clock: ManualClock, tmp_path: Path) -> None:
    await subscribers(core, 6)
    await drop_confirmation_mails(core)
    report = await send(core, write_template(tmp_path / "t", html=False), rate=2.0)
    assert report.last_due == clock.now() + timedelta(seconds=2.5)
    dispatcher = Dispatcher(core, {Channel.EMAIL: sender(core)})
    assert (await dispatcher.run_once()).sent == 1
    clock.advance(timedelta(seconds=1))
    assert (await dispatcher.run_once()).sent == 2
    clock.advance(timedelta(seconds=2))
    assert (await dispatcher.run_once()).sent == 3


async def test_export_holds_only_confirmed_consenting_unsuppressed_addresses(core: Core) -> None:
    readers = await subscribers(core, 4)
    await telegram_subscriber(core, 777002)
    await newsletter.subscribe_email(
        core, address="pending@example.org", language="nl", shown=shown(core), evidence="f"
    )
    await newsletter.unsubscribe_by_address(
        core, readers[0].address, channel=Channel.EMAIL, evidence="e", actor=Actor.SUBJECT
    )
    await suppress_by_hand(core, readers[1].address)
    out = io.StringIO()
    rows = await newsletter_admin.export_csv(
        core, out, operator="tester", reason="mailing tool", batch_size=2
    )
    exported = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows == 2
    assert {(r["email"], r["language"]) for r in exported} == {
        ("reader02@example.org", "nl"),
        ("reader03@example.org", "en"),
    }
    assert all(r["confirmed_at"].startswith("2026-") for r in exported)
    async with core.uow() as uow:
        [audit] = (await uow.session.scalars(select(AuditEvent))).all()
    assert (audit.actor, audit.action, audit.detail) == (
        "operator:tester",
        "newsletter_export",
        "csv: mailing tool",
    )
    assert "@" not in audit.detail


async def test_issues_for_an_erased_reader_are_cancelled(core: Core, tmp_path: Path) -> None:
    from intake.services import privacy

    readers = await subscribers(core, 2)
    await drop_confirmation_mails(core)
    await send(core, write_template(tmp_path / "t", html=False))
    await privacy.erase(
        core, subject_id=readers[0].subject_id, actor=Actor.SUBJECT, channel=Channel.WEB, reason="x"
    )
    stats = await Dispatcher(core, {Channel.EMAIL: sender(core)}).run_once()
    assert stats.sent == 1
    assert [m["To"] for _, m in maildir(core)] == [readers[1].address]
    async with core.uow() as uow:
        states = (
            await uow.session.scalars(select(OutboxMessage.state).where(OutboxMessage.kind == "newsletter"))
        ).all()
    assert sorted(states) == sorted([OutboxState.CANCELLED, OutboxState.SENT])


async def test_list_headers_survive_an_smtp_relay(core: Core, tmp_path: Path) -> None:
    from tests.support.smtp_relay import Relay

    [reader] = await subscribers(core, 1)
    await drop_confirmation_mails(core)
    await send(core, write_template(tmp_path / "t", html=False))
    async with Relay() as relay:
        core.settings.outbound = relay.url
        assert (await Dispatcher(core, {Channel.EMAIL: sender(core)}).run_once()).sent == 1
    [mail] = relay.handler.received
    raw = dict(mail.raw_items())  # as it came over the wire, before any decoding
    token = core.tokens.unsubscribe(reader.subscription_id)
    unfolded = " ".join(str(raw["List-Unsubscribe"]).split())
    assert unfolded == f"<http://127.0.0.1:8080/u/{token}>, <mailto:unsubscribe+{token}@intake.test>"
