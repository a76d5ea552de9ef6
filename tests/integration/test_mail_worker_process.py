"""Mail processed in worker processes (``INTAKE_MAIL_WORKER_PROCESSES``), as ``intake run`` does
it: in over SMTP, processed by the child, the answer in the outbox and counted in the metrics."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from consent_store.models import IntakeRequest, OutboxMessage
from intake import metrics
from intake.core import Core
from intake.settings import Settings, to_json
from mail_ingest import server as smtp_server
from tests.support.anonymiser import load
from tests.support.mail import INTAKE, mail_settings, message
from tests.support.smtp_client import send_one


async def _answers(core: Core) -> int:
    async with core.reader() as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "auto_reply")
            )
            or 0
        )


def _processed(core: Core) -> float:
    value = metrics.of(core).registry.get_sample_value(
        "intake_mail_processed_total", {"kind": "request", "outcome": "draft"}
    )
    return value or 0.0


def _settings(tmp_path: Path, db_url: str) -> Settings:
    return mail_settings(tmp_path, db_url, mail_worker_processes=1, outbox_poll_seconds=0.2)


async def test_mail_is_processed_by_the_worker_process(
    tmp_path: Path, db_url: str, engine: AsyncEngine
) -> None:
    core = Core(_settings(tmp_path, db_url), engine=engine, anonymiser=load())
    async with asyncio.timeout(120):  # a hang fails the test instead of stalling the suite
        running = await smtp_server.start(core)
        try:
            (child,) = running.processes.pids if running.processes else []
            assert child != os.getpid()
            senders = [f"kandidaat{i}@example.org" for i in range(3)]
            for sender in senders:
                reply = await send_one(running.host, running.port, sender, [INTAKE], message(sender=sender))
                assert reply.code == 250
            while await _answers(core) < len(senders) or _processed(core) < len(senders):  # noqa: ASYNC110 - another process's work
                await asyncio.sleep(0.05)
        finally:
            await running.stop()
    assert _processed(core) == len(senders)
    async with core.reader() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(IntakeRequest)) == len(senders)
    assert running.processes is not None and running.processes.pids == []  # stopped with the server


async def test_a_dead_worker_process_is_started_again(
    tmp_path: Path, db_url: str, engine: AsyncEngine
) -> None:
    core = Core(_settings(tmp_path, db_url), engine=engine, anonymiser=load())
    async with asyncio.timeout(120):
        running = await smtp_server.start(core)
        try:
            assert running.processes is not None
            (first,) = running.processes.pids
            os.kill(first, signal.SIGKILL)
            reply = await send_one(running.host, running.port, "kandidaat@example.org", [INTAKE], message())
            assert reply.code == 250  # accepting does not need the worker
            while await _answers(core) < 1:  # noqa: ASYNC110 - another process's work
                await asyncio.sleep(0.05)
            (second,) = running.processes.pids
            assert second != first
        finally:
            await running.stop()


async def test_the_worker_process_exits_when_its_server_goes_away(tmp_path: Path, db_url: str) -> None:
    """End of file on its stdin (the server stopped, or was killed): it exits by itself."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mail_ingest.worker_process",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(to_json(_settings(tmp_path, db_url)).encode() + b"\n")
    async with asyncio.timeout(120):
        assert await child.stdout.readline() == b'{"ready": true}\n'
        child.stdin.close()
        assert await child.wait() == 0
