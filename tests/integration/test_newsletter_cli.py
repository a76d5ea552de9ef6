"""``intake newsletter`` as an operator runs it: a real process against the test database."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from consent_store.enums import Actor, Channel, ConsentAction, NewsletterState, OutboxState
from consent_store.models import AuditEvent, OutboxMessage
from intake.core import Core
from intake.services import newsletter
from tests.integration.test_ledger_cli import intake_cli
from tests.integration.test_newsletter import (
    email_subscriber,
    is_suppressed,
    newsletter_events,
    shown,
    subscription_of,
    telegram_subscriber,
)


def cell(output: str, label: str) -> int:
    found = re.search(rf"{re.escape(label)}\s*│\s*(\d+)", output)
    assert found, (label, output)
    return int(found.group(1))


async def test_unsubscribing_one_person(core: Core) -> None:
    anna = await email_subscriber(core, "anna@example.org")
    bram = await telegram_subscriber(core, 5550123)

    first = intake_cli(core, "newsletter", "unsubscribe", "Anna@Example.org", "--reason", "phoned in")
    assert first.returncode == 0, first.stderr
    assert "unsubscribed; the address is suppressed" in first.stdout
    again = intake_cli(core, "newsletter", "unsubscribe", "anna@example.org")
    assert "was already unsubscribed" in again.stdout
    stranger = intake_cli(core, "newsletter", "unsubscribe", "stranger@example.org")
    assert stranger.returncode == 0 and "is not on the newsletter" in stranger.stdout
    by_pseudonym = intake_cli(core, "newsletter", "unsubscribe", bram.pseudonym)
    assert by_pseudonym.returncode == 0 and "unsubscribed" in by_pseudonym.stdout

    assert await is_suppressed(core, "stranger@example.org") and await is_suppressed(core, "5550123")
    assert (
        await subscription_of(core, bram.subject_id, Channel.TELEGRAM)
    ).state is NewsletterState.UNSUBSCRIBED
    [grant, withdrawal] = await newsletter_events(core, anna.pseudonym)
    assert grant.action is ConsentAction.GRANTED
    assert (withdrawal.action, withdrawal.actor, withdrawal.channel, withdrawal.actor_reason) == (
        ConsentAction.WITHDRAWN,
        Actor.OPERATOR,
        Channel.OPERATOR,
        "phoned in",
    )
    assert withdrawal.evidence.startswith("cli:")

    for args, message in [
        (["0612345678"], "not phone numbers"),
        (["K-NOPE00"], "No such person"),
        ([], "give one address"),
        (["a@example.org", "--file", "x.csv"], "give one address"),
    ]:
        bad = intake_cli(core, "newsletter", "unsubscribe", *args)
        assert bad.returncode == 1 and message in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr


async def test_unsubscribing_a_list(core: Core, tmp_path: Path) -> None:
    on = [await email_subscriber(core, f"list{i}@example.org") for i in range(3)]
    off = await email_subscriber(core, "off@example.org")
    await newsletter.unsubscribe(core, subject_id=off.subject_id, channel=Channel.WEB, evidence="click")
    csv_file = tmp_path / "klachten.csv"
    csv_file.write_text(
        "naam;e-mailadres;datum\n"  # a header, semicolons as Dutch spreadsheets write them
        'Anna;"LIST0@example.org";2026-01-02\n'
        "Bram;list1@example.org;2026-01-02\n"
        "Cees;geen adres;2026-01-03\n"  # line 4: invalid
        "\n"
        "Dirk;off@example.org;2026-01-04\n"
        "Eva;unknown@example.org;2026-01-04\n"
        "Fien;list0@example.org;2026-01-05\n"  # listed twice
        "Gijs;@example.org;2026-01-05\n",  # line 9: invalid
        encoding="utf-8",
    )
    result = intake_cli(core, "newsletter", "unsubscribe", "--file", str(csv_file), "--reason", "complaints")
    assert result.returncode == 1  # some lines need attention; everything else was done
    assert "2 line(s) hold no valid e-mail address or Telegram id: 4, 9" in result.stderr
    assert "every other address was processed" in result.stderr and "Traceback" not in result.stderr
    assert (cell(result.stdout, "unsubscribed"), cell(result.stdout, "already off")) == (2, 2)
    assert (
        cell(result.stdout, "unknown (suppressed all the same)"),
        cell(result.stdout, "invalid lines"),
    ) == (1, 2)
    [*_, withdrawal] = await newsletter_events(core, on[0].pseudonym)
    assert (withdrawal.evidence, withdrawal.actor_reason, withdrawal.actor) == (
        "klachten.csv line 2",
        "complaints",
        Actor.OPERATOR,
    )
    assert (await subscription_of(core, on[2].subject_id)).state is NewsletterState.ACTIVE  # not listed
    assert await is_suppressed(core, "unknown@example.org")

    plain = tmp_path / "plain.txt"
    plain.write_text("# bounces from the old tool\nlist2@example.org\n5550999\n", encoding="utf-8")
    result = intake_cli(core, "newsletter", "unsubscribe", "--file", str(plain))
    assert result.returncode == 0, result.stderr
    assert (
        cell(result.stdout, "unsubscribed"),
        cell(result.stdout, "unknown (suppressed all the same)"),
    ) == (1, 1)
    assert await is_suppressed(core, "5550999")


async def test_list_export_send_resume_and_stats(core: Core, tmp_path: Path) -> None:
    readers = [await email_subscriber(core, f"reader{i}@example.org", language="en") for i in range(3)]
    await newsletter.subscribe_email(
        core,
        address="waiting@example.org",
        language="nl",
        shown=shown(core),
        evidence="form",
    )

    masked = intake_cli(core, "newsletter", "list")
    assert masked.returncode == 0, masked.stderr
    assert "r***@example.org" in masked.stdout and "reader0@example.org" not in masked.stdout
    assert "showing 4 of 4" in masked.stdout
    full = intake_cli(
        core, "newsletter", "list", "--status", "active", "--show-addresses", "--reason", "check"
    )
    assert "reader0@example.org" in full.stdout and "waiting@" not in full.stdout
    assert "showing 3 of 3" in full.stdout

    target = tmp_path / "export.csv"
    exported = intake_cli(core, "newsletter", "export", "--format", "csv", "-o", str(target))
    assert exported.returncode == 0 and "exported 3 subscriber(s)" in exported.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    lines = target.read_text().splitlines()
    assert lines[0] == "email,language,confirmed_at" and sorted(line.split(",")[0] for line in lines[1:]) == [
        r.address for r in readers
    ]
    async with core.uow() as uow:
        audits = [(a.action, a.detail) for a in (await uow.session.scalars(select(AuditEvent))).all()]
    assert [action for action, _ in audits] == ["newsletter_list", "newsletter_export"]  # masked: not audited

    issue = tmp_path / "issue"
    issue.mkdir()
    (issue / "nl.txt").write_text("Nieuws van {{ controller_name }}.\n")
    (issue / "en.txt").write_text("News from {{ controller_name }}.\n")
    dry = intake_cli(core, "newsletter", "send", str(issue), "--subject", "Nieuws", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert cell(dry.stdout, "would be queued") == 3 and "dry run: nothing queued" in dry.stdout
    sent = intake_cli(
        core, "newsletter", "send", str(issue), "--subject", "Nieuws", "--subject-en", "News", "--rate", "50"
    )
    assert sent.returncode == 0, sent.stderr
    assert cell(sent.stdout, "queued") == 3 and cell(sent.stdout, "in en") == 3
    send_id = re.search(r"--resume ([0-9a-f-]{36})", sent.stderr).group(1)  # type: ignore[union-attr]
    resumed = intake_cli(core, "newsletter", "send", str(issue), "--resume", send_id)
    assert resumed.returncode == 0, resumed.stderr
    assert (
        cell(resumed.stdout, "already queued earlier (resume)") == 3 and cell(resumed.stdout, "queued") == 0
    )
    async with core.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == newsletter.ISSUE_KIND)
            )
        ).all()
    assert len(rows) == 3 and {r.state for r in rows} == {OutboxState.PENDING}

    stats = intake_cli(core, "newsletter", "stats")
    assert stats.returncode == 0, stats.stderr
    assert re.search(r"email\s*│\s*1\s*│\s*3\s*│\s*0", stats.stdout), stats.stdout  # pending, active, off
    assert send_id in stats.stdout and "Nieuws" in stats.stdout

    for args, message in [
        (["send", str(issue)], "--subject is required"),
        (["send", str(tmp_path / "nothing")], "no template at"),
        (["send", str(issue), "--resume", "not-an-id"], "not a send id"),
        (["export", "--format", "xlsx"], "the only export format is csv"),
    ]:
        bad = intake_cli(core, "newsletter", *args)
        assert bad.returncode == 1 and message in bad.stderr, (args, bad.stderr)
