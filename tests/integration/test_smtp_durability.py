"""Nothing accepted is lost, nothing is half-stored, nothing is processed twice.

The database really fails here (a trigger that raises, an unreachable server); a worker
really crashes (it claims a message and never finishes it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from consent_store.models import InboundKind, InboundMail, IntakeRequest, OutboxMessage
from intake.core import Core
from intake.services import mail_intake, mail_queue
from mail_ingest import parse
from mail_ingest import server as smtp_server
from tests.conftest import make_settings
from tests.support.mail import (
    INTAKE,
    MailService,
    execute_sql,
    mail_fixture,
    message,
    rows,
    run_cli,
    settings_fixture,
)
from tests.support.smtp_client import send_one

USES_FIXTURES = (mail_fixture, settings_fixture)  # pytest finds them by name: mail, settings

_FAIL_ON_BOUNCE = {
    "sqlite": [
        """CREATE TRIGGER fail_bounce BEFORE INSERT ON inbound_mail WHEN NEW.kind = 'bounce'
           BEGIN SELECT RAISE(ABORT, 'disk full'); END"""
    ],
    "postgresql": [
        """CREATE FUNCTION fail_bounce() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN IF NEW.kind = 'bounce' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$""",
        """CREATE TRIGGER fail_bounce BEFORE INSERT ON inbound_mail
           FOR EACH ROW EXECUTE FUNCTION fail_bounce()""",
    ],
}
_REPAIR = {
    "sqlite": ["DROP TRIGGER fail_bounce"],
    "postgresql": ["DROP TRIGGER fail_bounce ON inbound_mail", "DROP FUNCTION fail_bounce()"],
}


async def test_database_failure_while_storing_gives_451_and_no_trace(mail: MailService, core: Core) -> None:
    dialect = core.engine.dialect.name
    raw = message("Ik zoek een coach.")
    # Two recipients: the first row is written, the second fails. Neither may remain.
    to = [INTAKE, "bounces@intake.test"]
    await execute_sql(core, _FAIL_ON_BOUNCE[dialect])
    try:
        reply = await mail.send(raw, to=to)
        assert (reply.code, reply.text) == (451, "4.3.0 Temporary failure, please try again later")
        assert "disk full" not in str(reply)
        assert await rows(core, InboundMail) == []
        client = await mail.client()  # the envelope was reset: the same session can go on
        try:
            assert (await client.command("MAIL FROM:<kandidaat@example.org>")).code == 250
        finally:
            await client.quit()
    finally:
        await execute_sql(core, _REPAIR[dialect])

    retry = await mail.send(raw, to=to)  # what the sending server does after a 451
    assert retry.code == 250
    assert sorted(m.kind for m in await rows(core, InboundMail)) == [InboundKind.BOUNCE, InboundKind.REQUEST]
    await mail.settle()
    assert len(await rows(core, IntakeRequest)) == 1


async def test_unreachable_database_gives_451(tmp_path: Path) -> None:
    from tests.support.anonymiser import load

    settings = make_settings(
        tmp_path,
        database_url="postgresql+asyncpg://intake@127.0.0.1:9/stopped",  # nothing listens on port 9
        smtp_port=0,
    )
    core = Core(settings, anonymiser=load())
    running = await smtp_server.start(core)
    try:
        reply = await send_one(running.host, running.port, "a@example.org", [INTAKE], message("Hallo"))
        assert (reply.code, reply.text) == (451, "4.3.0 Temporary failure, please try again later")
    finally:
        await running.stop()
        await core.close()


async def test_a_crashed_worker_loses_nothing_and_does_nothing_twice(mail: MailService, core: Core) -> None:
    await mail.smtp.stop_worker()  # accepted mail stays queued
    assert (await mail.send(message("Ik zoek een loopbaancoach."))).code == 250

    # A worker claims the message and dies before finishing it.
    (crashed,) = await mail_queue.claim(core, [InboundKind.REQUEST])
    assert await mail.smtp.worker.run_once() == 0
    assert await rows(core, IntakeRequest) == []  # still leased to the dead worker

    lease = timedelta(seconds=core.settings.mail_lease_seconds)
    core.clock.advance(lease + timedelta(seconds=1))  # type: ignore[attr-defined]
    await mail.settle()  # another worker takes it over
    assert len(await rows(core, IntakeRequest)) == 1
    assert len(await rows(core, OutboxMessage)) == 1
    (processed,) = await rows(core, InboundMail)
    assert processed.raw is None  # the content is gone with the processing

    # The first worker comes back to life and finishes its old claim: nothing happens.
    late_mail = parse.request(crashed.raw, crashed.mail_from)
    late = await mail_intake.answer_request(core, crashed.claim, late_mail)
    assert late.outcome == "claim_lost"
    assert len(await rows(core, IntakeRequest)) == 1
    assert len(mail.new_mail()) == 1


async def test_processing_failure_is_retried_then_given_up(
    mail: MailService, core: Core, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await mail.smtp.stop_worker()
    assert (await mail.send(message("Ik zoek een coach."))).code == 250
    worker = mail.smtp.worker

    # A handler bug (not a mock of the thing under test: the queue's retry path is).
    async def broken(core: Core, batch: Sequence[mail_queue.Claimed]) -> list[str]:
        raise RuntimeError("bug")

    monkeypatch.setitem(worker.handlers, InboundKind.REQUEST, broken)
    for _ in range(core.settings.mail_max_attempts):
        await worker.run_once()
        core.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    (failed,) = await rows(core, InboundMail)
    assert failed.state.value == "failed" and failed.last_error == "RuntimeError (gave up)"
    assert failed.raw is not None  # kept, encrypted, for the operator to look at and requeue

    shown = await run_cli(core, tmp_path, "mail", "queue")
    assert shown.exit_code == 0, shown.output
    assert str(failed.id) in shown.output and "RuntimeError (gave up)" in shown.output
    assert "kandidaat" not in shown.output

    monkeypatch.undo()  # the bug is fixed
    retried = await run_cli(core, tmp_path, "mail", "retry", str(failed.id))
    assert retried.exit_code == 0, retried.output
    # The CLI runs on the real clock: bring the test's clock up to it.
    core.clock.advance(datetime.now(UTC) - core.clock.now() + timedelta(seconds=1))  # type: ignore[attr-defined]
    await mail.settle()
    assert len(await rows(core, IntakeRequest)) == 1
    again = await run_cli(core, tmp_path, "mail", "retry", str(failed.id))
    assert again.exit_code == 1 and "no failed mail with that id" in again.output
