"""The first-accept-wins rule across OS processes sharing one PostgreSQL database."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from consent_store.models import Handover, Offer
from intake.core import Core
from tests.conftest import make_settings
from tests.support import scenario

COACHES = 30
ROUNDS = 50
WORKERS = 2
ROOT = Path(__file__).parents[2]


@pytest.fixture
def db_url(postgres_database):  # type: ignore[no-untyped-def]
    if postgres_database is None:
        pytest.skip("needs INTAKE_TEST_DATABASE_URL (CI sets it)")
    return postgres_database


@pytest.fixture
def settings(tmp_path, db_url):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, database_url=db_url, offer_fanout=COACHES, match_confirmation="none")


class Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def send(self, message: dict[str, object]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        await self.process.stdin.drain()

    async def receive(self) -> dict[str, object]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=60)
        assert line, "worker died"
        return json.loads(line)


async def _start_worker(core: Core) -> Worker:
    settings = core.settings
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "INTAKE_DATABASE_URL": settings.resolved_database_url,
        "INTAKE_MASTER_KEY": settings.master_key.get_secret_value(),  # type: ignore[union-attr]
        "INTAKE_SECRET_KEY": settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
        "INTAKE_MATCH_CONFIRMATION": "none",
        "INTAKE_VAR_DIR": str(settings.var_dir),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.accept_worker",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    return Worker(process)


@pytest.mark.slow
async def test_two_processes_thirty_coaches_one_winner_fifty_times(core: Core) -> None:
    await scenario.telegram_coaches(core, COACHES, capacity=10_000)
    workers = [await _start_worker(core) for _ in range(WORKERS)]
    try:
        for _ in range(ROUNDS):
            who = await scenario.candidate(core)
            submitted = await scenario.submitted(core, who)
            async with core.uow() as uow:
                offers = (
                    await uow.session.scalars(select(Offer).where(Offer.request_id == submitted.request_id))
                ).all()
            pairs = [[str(o.id), str(o.coach_id)] for o in offers]
            for index, worker in enumerate(workers):
                await worker.send({"offers": pairs[index::WORKERS]})
            for worker in workers:
                assert await worker.receive() == {"ready": True}
            for worker in workers:
                await worker.send({"go": True})
            answers = [await worker.receive() for worker in workers]

            won = [offer for answer in answers for offer in answer["won"]]  # type: ignore[attr-defined]
            assert len(won) == 1
            assert sum(int(answer["taken"]) for answer in answers) == COACHES - 1  # type: ignore[call-overload]
            winner = next(o for o in offers if str(o.id) == won[0])
            async with core.uow() as uow:
                handovers = (
                    await uow.session.scalars(
                        select(Handover).where(Handover.request_id == submitted.request_id)
                    )
                ).all()
            assert [h.coach_id for h in handovers] == [winner.coach_id]
    finally:
        for worker in workers:
            await worker.send({"quit": True})
            await worker.process.wait()
