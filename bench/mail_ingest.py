"""E-mail intake throughput, end to end, next to a no-op aiosmtpd server measured in the same run.

N messages over C concurrent SMTP sessions, from a load generator in its own process:
postfix's ``smtp-source`` when installed (Debian: ``apt-get install postfix``), else the
asyncio client in ``bench._smtp_load`` (``--client`` chooses). They load the server
differently: smtp-source opens a connection per message and sends every message from one
address with a short body; the asyncio client keeps each session's connection and sends
real-looking requests from a different address each (a new person per mail, more to
anonymise). The no-op rate differs accordingly. The intake side is the whole
service as ``intake run`` composes it (runner.start): a message counts once it was accepted,
committed, processed into a held draft, and its automatic answer is in the outbox; the table
also shows when the answers were delivered (Maildir). Goal: >= 0.3 of the no-op rate, on
SQLite and on PostgreSQL.

    make bench BENCH_ARGS="mail_ingest --messages=2000 --sessions=16 --client=asyncio"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from aiosmtpd.smtp import SMTP, Envelope, Session
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from consent_store.enums import Channel
from consent_store.models import OutboxMessage
from intake.settings import Settings, generate_key

DOMAIN = "intake.localhost"
ROOT = Path(__file__).resolve().parent.parent
console = Console(width=130)


@dataclass(frozen=True)
class Measured:
    label: str
    accepted_seconds: float
    processed_seconds: float | None = None
    delivered_seconds: float | None = None
    refused: int = 0
    cpu_per_message: float | None = None  # server CPU (SMTP + worker processes) until queued, ms
    worker_cpu_per_message: float | None = None  # the worker processes' part of it, ms


class _NoOp:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


CLIENTS = ("auto", "smtp-source", "asyncio")
client_choice = "auto"  # --client: auto takes smtp-source when it is installed


async def _load(port: int, messages: int, sessions: int, run: str) -> dict[str, object]:
    smtp_source = shutil.which("smtp-source") if client_choice != "asyncio" else None
    if client_choice == "smtp-source" and smtp_source is None:
        raise SystemExit("smtp-source is not installed (Debian: apt-get install postfix)")
    if smtp_source:
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            smtp_source, "-s", str(sessions), "-m", str(messages), "-c", "-f", "kandidaat@example.org",
            "-t", f"intake@{DOMAIN}", f"127.0.0.1:{port}",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await process.wait()
        return {"seconds": time.monotonic() - started, "codes": {}, "client": "smtp-source"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench._smtp_load", "127.0.0.1", str(port),
        "--messages", str(messages), "--sessions", str(sessions), "--domain", DOMAIN, "--run", run,
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    out, _ = await process.communicate()
    result: dict[str, object] = json.loads(out)
    result["client"] = "asyncio client"
    return result


async def measure_noop(messages: int, sessions: int) -> tuple[Measured, str]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(_NoOp(), hostname=DOMAIN, data_size_limit=10 * 1024 * 1024, enable_SMTPUTF8=True),
        "127.0.0.1",
        0,
    )
    try:
        result = await _load(server.sockets[0].getsockname()[1], messages, sessions, "noop")
    finally:
        server.close()
        await server.wait_closed()
    return Measured("no-op aiosmtpd", float(result["seconds"])), str(result["client"])  # type: ignore[arg-type]


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a running process of ours (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_settings(directory: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "var_dir": directory,
        "database_url": database_url,
        "secret_key": generate_key(),
        "master_key": generate_key(),
        "mail_domain": DOMAIN,
        "smtp_port": 0,
        "outbound": f"maildir:{directory / 'outbox'}",
        "smtp_max_connections_per_client": 0,
        "smtp_connections_per_minute": 0,
        "smtp_messages_per_minute": 0,
        "auto_replies_per_day": 0,  # smtp-source sends every message from one address
        "outbox_poll_seconds": 0.2,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def measure_intake(
    messages: int,
    sessions: int,
    database_url: str,
    directory: Path,
    *,
    deliver: bool = True,
    processes: int | None = None,
    accept_only: bool = False,
) -> Measured:
    """The SMTP adapter with its worker process(es) on a migrated database, as ``intake run``
    starts them (``mail_worker_processes`` as the settings say);
    then the outbox dispatcher delivers the answers (timed separately: it is the outbox's
    throughput, shared with every other message the service sends).

    ``accept_only``: the worker process is paused (SIGSTOP) during the load, so this measures
    what no implementation of the issue can skip: receiving each message and committing it
    durably before the 250. Nothing is processed; only the accept rate counts."""
    from consent_store.migrate import upgrade
    from intake.core import Core
    from intake.services.dispatch import Dispatcher
    from mail_ingest import server as smtp_server
    from mail_ingest.outbound import EmailSender
    from tests.support.anonymiser import load

    overrides = {} if processes is None else {"mail_worker_processes": processes}
    if accept_only:
        overrides = {"mail_worker_processes": 1}
    core = Core(bench_settings(directory, database_url, **overrides), anonymiser=load())
    await upgrade(core.engine)
    smtp = await smtp_server.start(core)
    workers = smtp.processes.pids if smtp.processes else []
    started = time.monotonic()
    cpu_started = time.process_time()
    worker_cpu_started = sum(_cpu_seconds(pid) for pid in workers)
    cpu_used = worker_cpu = 0.0
    processed_at: float | None = None
    for pid in workers if accept_only else ():
        os.kill(pid, signal.SIGSTOP)
    load_task = asyncio.create_task(_load(smtp.port, messages, sessions, "intake"))
    try:
        if accept_only:
            result = await load_task
            cpu_used = time.process_time() - cpu_started
            for pid in workers:
                os.kill(pid, signal.SIGCONT)
            await smtp.stop()
            codes = result.get("codes", {})
            return Measured(
                "intake, accept only",
                float(result["seconds"]),  # type: ignore[arg-type]
                refused=sum(v for k, v in codes.items() if k != "250"),  # type: ignore[union-attr]
                cpu_per_message=cpu_used / messages * 1000,
            )
        async with asyncio.timeout(max(120.0, messages / 5)):
            while processed_at is None:
                await asyncio.sleep(0.05)
                async with core.uow() as uow:
                    answers = await uow.session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.kind == "auto_reply")
                    )
                if answers == messages:
                    processed_at = time.monotonic()
                    worker_cpu = sum(_cpu_seconds(pid) for pid in workers) - worker_cpu_started
                    cpu_used = time.process_time() - cpu_started + worker_cpu
            result = await load_task
        await smtp.stop()
        delivered_seconds = None
        if deliver:
            dispatcher = Dispatcher(core, {Channel.EMAIL: EmailSender(core.settings)})
            delivering = time.monotonic()
            sent = 0
            while sent < messages:
                sent += (await dispatcher.run_once()).sent
            delivered_seconds = time.monotonic() - delivering
    finally:
        load_task.cancel()
        await core.close()
    codes = result.get("codes", {})
    refused = sum(v for k, v in codes.items() if k != "250")  # type: ignore[union-attr]
    return Measured(
        "intake",
        float(result["seconds"]),  # type: ignore[arg-type]
        processed_at - started if processed_at else None,
        delivered_seconds,
        refused,
        cpu_used / messages * 1000,
        worker_cpu / messages * 1000,
    )


async def fresh_postgres(base_url: str) -> str:
    from tests.support.databases import create_migrated_postgres

    return await create_migrated_postgres(base_url)


async def drop_postgres(base_url: str, url: str) -> None:
    from tests.support.databases import drop_postgres_database

    await drop_postgres_database(base_url, url)


async def _intake_once(
    database: str, postgres: str | None, args: argparse.Namespace, deliver: bool, accept_only: bool = False
) -> Measured:
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        directory = Path(tmp)
        url = f"sqlite+aiosqlite:///{directory / 'intake.db'}"
        if database != "sqlite":
            assert postgres is not None
            url = await fresh_postgres(postgres)
        try:
            return await measure_intake(
                args.messages,
                args.sessions,
                url,
                directory,
                deliver=deliver,
                processes=args.worker_processes,
                accept_only=accept_only,
            )
        finally:
            if database != "sqlite":
                assert postgres is not None
                await drop_postgres(postgres, url)


async def run(args: argparse.Namespace) -> int:
    from tests.support.anonymiser import load

    anonymiser = type(load()).__name__
    table = Table(
        title=f"E-mail intake: {args.messages} messages over {args.sessions} sessions, median of"
        f" {args.repeat} runs (anonymiser: {anonymiser})",
        title_justify="left",
    )
    columns = (
        "database",
        "server",
        "accepted/s",
        "in outbox/s",
        "delivered/s",
        "CPU ms/msg",
        "of it worker",
        "vs no-op",
        "goal",
    )
    for column in columns:
        table.add_column(column, justify="right" if column not in ("database", "server", "goal") else "left")
    postgres = (
        args.postgres
        or os.environ.get("INTAKE_BENCH_DATABASE_URL")
        or os.environ.get("INTAKE_TEST_DATABASE_URL")
    )
    databases = ["sqlite"] + (["postgresql"] if postgres else [])
    failed = False
    client = ""
    n = args.messages
    for database in databases:
        noops, intakes, accepting = [], [], []
        for attempt in range(args.repeat):  # interleaved: a busy neighbour slows all alike
            noop, client = await measure_noop(n, args.sessions)
            noops.append(noop)
            intakes.append(await _intake_once(database, postgres, args, deliver=attempt == 0))
            accepting.append(await _intake_once(database, postgres, args, deliver=False, accept_only=True))
        noop_rate = median(n / m.accepted_seconds for m in noops)
        accepted = median(n / m.accepted_seconds for m in intakes)
        end_to_end = median(n / m.processed_seconds if m.processed_seconds else 0.0 for m in intakes)
        delivered = intakes[0].delivered_seconds
        cpu = median(m.cpu_per_message or 0.0 for m in intakes)
        worker_cpu = median(m.worker_cpu_per_message or 0.0 for m in intakes)
        refused = sum(m.refused for m in intakes)
        ratio = end_to_end / noop_rate
        ok = ratio >= 0.3 and not refused
        failed |= not ok
        table.add_row(database, "no-op aiosmtpd", f"{noop_rate:,.0f}", "", "", "", "", "1.00", "")
        floor = median(n / m.accepted_seconds for m in accepting)
        table.add_row(
            database,
            "intake, accept only",
            f"{floor:,.0f}",
            "",
            "",
            f"{median(m.cpu_per_message or 0.0 for m in accepting):.2f}",
            "",
            f"{floor / noop_rate:.2f}",
            "(no processing)",
        )
        table.add_row(
            database,
            "intake",
            f"{accepted:,.0f}",
            f"{end_to_end:,.0f}",
            f"{n / delivered:,.0f}" if delivered else "-",
            f"{cpu:.2f}",
            f"{worker_cpu:.2f}",
            f"{ratio:.2f}",
            ("[green]>= 0.3 ok[/]" if ok else "[red]below 0.3[/]")
            + (f" ({refused} refused)" if refused else ""),
        )
    console.print(table)
    console.print(
        f"[dim]load: {client}, in its own process. no-op: aiosmtpd answering 250 at once, measured"
        " in the same run. intake: the SMTP adapter and its worker process(es) as `intake run` starts"
        " them;"
        " accepted = 250 after the commit, in outbox = processed into a held draft with its"
        " answer queued (the end-to-end rate; vs no-op compares it). delivered: the outbox"
        " dispatcher sending those answers to the Maildir afterwards (first run). CPU: the SMTP"
        " process and the worker process(es) together, until the answers were queued; 'of it"
        " worker': the worker processes' part. accept only: the same, with the worker process"
        " paused: receiving and durably committing each message before its 250, which any"
        " implementation must do; its rate bounds the end-to-end rate from above.[/]"
    )
    if "postgresql" not in databases:
        console.print("[yellow]PostgreSQL skipped: set INTAKE_TEST_DATABASE_URL or pass --postgres URL[/]")
    return 1 if failed and args.strict else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench mail_ingest")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--worker-processes",
        type=int,
        help="INTAKE_MAIL_WORKER_PROCESSES for the intake side (default: the setting's default)",
    )
    parser.add_argument("--postgres", help="base PostgreSQL URL (a scratch database is created next to it)")
    parser.add_argument(
        "--client", choices=CLIENTS, default="auto", help="load generator (auto: smtp-source when installed)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    global client_choice
    client_choice = args.client
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
