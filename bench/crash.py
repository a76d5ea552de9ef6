"""Crash test: ``kill -9`` the service while mail is being delivered to it, restart it, and check
that every message that got ``250`` was processed exactly once.

The service (``intake run``'s composition, in ``bench._crash_server``) runs as its own process;
a load generator (another process) sends N messages over concurrent sessions and, like a real
MTA, sends again what got no reply or a 4xx. The service is killed with SIGKILL several times
during the load and started again each time. At the end every acknowledged message must have
exactly one request and one automatic answer:

    acknowledged N, stored N, lost 0, duplicated 0

    make crash-test                       # SQLite, and PostgreSQL when INTAKE_TEST_DATABASE_URL is set
    make bench BENCH_ARGS="crash --messages=3000 --kills=5"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from bench.mail_ingest import DOMAIN, ROOT, drop_postgres, fresh_postgres
from consent_store.db import create_engine, session_factory
from consent_store.models import InboundKind, InboundMail, InboundState, IntakeRequest, OutboxMessage
from intake.settings import generate_key

console = Console()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    env: dict[str, str]
    log: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench._crash_server"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self) -> None:
        async with asyncio.timeout(60):
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"intake run exited with {self.process.returncode}; see {self.log}")
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    greeting = await reader.readline()
                    writer.close()
                    if greeting.startswith(b"220"):
                        return
                except OSError:
                    pass
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)  # no clean-up, no flush: a power cut
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass(frozen=True)
class Outcome:
    database: str
    kills: int
    seconds: float
    acknowledged: int
    stored: int
    lost: int
    duplicated: int
    resent: int

    @property
    def line(self) -> str:
        return (
            f"acknowledged {self.acknowledged}, stored {self.stored}, "
            f"lost {self.lost}, duplicated {self.duplicated}"
        )


async def _acked(path: Path) -> set[int]:
    text = await asyncio.to_thread(lambda: path.read_text("ascii") if path.exists() else "")
    return {int(line) for line in text.split() if line.strip()}


async def run_once(database: str, url: str, directory: Path, args: argparse.Namespace) -> Outcome:
    run = f"{int(time.time())}"
    port = _free_port()
    env = {
        **os.environ,
        "INTAKE_ENV": "development",
        "INTAKE_VAR_DIR": str(directory / "var"),
        "INTAKE_DATABASE_URL": url,
        "INTAKE_SECRET_KEY": generate_key(),
        "INTAKE_MASTER_KEY": generate_key(),
        "INTAKE_MAIL_DOMAIN": DOMAIN,
        "INTAKE_SMTP_PORT": str(port),
        "INTAKE_WEB_PORT": str(_free_port()),
        "INTAKE_OUTBOUND": f"maildir:{directory / 'outbox'}",
        "INTAKE_SMTP_MAX_CONNECTIONS_PER_CLIENT": "0",
        "INTAKE_SMTP_CONNECTIONS_PER_MINUTE": "0",
        "INTAKE_SMTP_MESSAGES_PER_MINUTE": "0",
        "INTAKE_OUTBOX_POLL_SECONDS": "0.5",
        "INTAKE_MAIL_LEASE_SECONDS": "5",  # a killed worker's claims come back quickly
    }
    env.pop("INTAKE_TELEGRAM_TOKEN", None)
    server = Server(env, directory / "server.log", port)
    acked_file = directory / "acked.txt"
    started = time.monotonic()
    server.start()
    await server.ready()
    load = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench._smtp_load", "127.0.0.1", str(port),
        "--messages", str(args.messages), "--sessions", str(args.sessions), "--domain", DOMAIN,
        "--run", run, "--retry", "--acked", str(acked_file), "--deadline", "600",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    kills = 0
    rng = random.Random()
    try:
        for kill in range(args.kills):
            target = args.messages * (kill + 1) // (args.kills + 1)
            async with asyncio.timeout(300):
                while len(await _acked(acked_file)) < target and load.returncode is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            await asyncio.sleep(rng.uniform(0, 0.2))  # somewhere in a commit, or not
            if load.returncode is not None:
                break
            server.kill()
            kills += 1
            await asyncio.sleep(rng.uniform(0.2, 1.0))
            server.start()
            await server.ready()
        out, _ = await load.communicate()
        result = json.loads(out)
        async with asyncio.timeout(300):  # let the restarted service finish the queue
            while await _unfinished(url):  # noqa: ASYNC110 - polling another process's work
                await asyncio.sleep(0.2)
    finally:
        if load.returncode is None:
            load.kill()
        server.stop()
    acked = await _acked(acked_file)
    requests, answers, stored_rows = await _processed(url, run)
    seconds = time.monotonic() - started
    lost = sum(1 for i in acked if requests.get(f"<bench-{run}-{i}@example.org>", 0) == 0)
    duplicated = (
        sum(1 for count in requests.values() if count > 1)  # two requests from one mail
        + sum(1 for n in answers.values() if n > 1)  # two answers to one candidate
        + max(0, stored_rows - args.messages)  # a mail stored twice
    )
    stored = sum(1 for i in acked if requests.get(f"<bench-{run}-{i}@example.org>", 0) >= 1)
    resent = sum(int(v) for k, v in result.get("codes", {}).items() if k != "250")
    return Outcome(database, kills, seconds, len(acked), stored, lost, duplicated, resent)


async def _unfinished(url: str) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(InboundMail)
                    .where(
                        InboundMail.kind == InboundKind.REQUEST,
                        InboundMail.state.in_([InboundState.QUEUED, InboundState.PROCESSING]),
                    )
                )
                or 0
            )
    finally:
        await engine.dispose()


async def _processed(url: str, run: str) -> tuple[Counter[str], Counter[str], int]:
    """Requests per Message-ID of this run, automatic answers per candidate, stored mails."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            refs = await session.scalars(
                select(IntakeRequest.source_ref).where(IntakeRequest.source_ref.like(f"<bench-{run}-%"))
            )
            answers = await session.scalars(
                select(OutboxMessage.recipient_id).where(OutboxMessage.kind == "auto_reply")
            )
            stored = await session.scalar(
                select(func.count()).select_from(InboundMail).where(InboundMail.kind == InboundKind.REQUEST)
            )
            return (
                Counter(r for r in refs.all() if r),
                Counter(str(a) for a in answers.all()),
                int(stored or 0),
            )
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> int:
    postgres = (
        args.postgres
        or os.environ.get("INTAKE_BENCH_DATABASE_URL")
        or os.environ.get("INTAKE_TEST_DATABASE_URL")
    )
    outcomes = []
    for database in ["sqlite"] + (["postgresql"] if postgres else []):
        with tempfile.TemporaryDirectory(prefix="intake-crash-") as tmp:
            directory = Path(tmp)
            if database == "sqlite":
                outcomes.append(
                    await run_once(
                        database, f"sqlite+aiosqlite:///{directory / 'intake.db'}", directory, args
                    )
                )
            else:
                assert postgres is not None
                url = await fresh_postgres(postgres)
                try:
                    outcomes.append(await run_once(database, url, directory, args))
                finally:
                    await drop_postgres(postgres, url)
    table = Table(
        title=f"Crash test: kill -9 during {args.messages} messages over {args.sessions} sessions",
        title_justify="left",
    )
    for column in ("database", "kills", "acknowledged", "stored", "lost", "duplicated", "retries", "seconds"):
        table.add_column(column, justify="left" if column == "database" else "right")
    for o in outcomes:
        table.add_row(
            o.database, str(o.kills), str(o.acknowledged), str(o.stored), str(o.lost), str(o.duplicated),
            str(o.resent), f"{o.seconds:.0f}",
        )  # fmt: skip
    console.print(table)
    for o in outcomes:
        colour = "green" if not (o.lost or o.duplicated) and o.acknowledged == args.messages else "red"
        console.print(f"[{colour}]{o.database}: {o.line}[/]")
    console.print(
        "[dim]retries: attempts without a 250 (connection refused or lost while the service was down, 4xx),"
        " each followed by sending again; a copy stored before is acknowledged and not stored again[/]"
    )
    if not postgres:
        console.print("[yellow]PostgreSQL skipped: set INTAKE_TEST_DATABASE_URL or pass --postgres URL[/]")
    failed = any(o.lost or o.duplicated or o.acknowledged != args.messages for o in outcomes)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench crash")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--postgres", help="base PostgreSQL URL (a scratch database is created next to it)")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
