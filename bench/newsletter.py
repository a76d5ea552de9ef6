"""Newsletter at scale: a bulk unsubscribe from a file, and rendering + queueing a send.

Both stream in batches, so their memory must not grow with the list: each is measured at
10,000 and at 100,000 subscribers side by side. Every measurement runs in a fresh process
(peak memory is the growth of that process's peak RSS over its state after start-up),
against a database filled by a bulk insert beforehand.

    make bench BENCH_ARGS=newsletter
    python -m bench newsletter --sizes=1000,10000 --postgres=postgresql+asyncpg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from consent_store.enums import (
    Actor,
    Channel,
    ConsentAction,
    ContactKind,
    NewsletterState,
    Purpose,
)
from consent_store.ledger import GENESIS_HASH, compute_hash, event_content, head_mac
from consent_store.migrate import upgrade
from consent_store.models import (
    ConsentEvent,
    ContactPoint,
    LedgerHead,
    NewsletterSubscription,
    Subject,
    SubjectKey,
)
from intake.core import Core
from intake.services.subjects import contact_aad
from intake.settings import Settings, generate_key

console = Console()
OPERATIONS = {"unsubscribe": "bulk unsubscribe from a file", "send": "render + queue a send"}
INSERT_CHUNK = 5000


def _settings(database_url: str, var_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        var_dir=var_dir,
        secret_key=os.environ["BENCH_SECRET_KEY"],  # type: ignore[arg-type]
        master_key=os.environ["BENCH_MASTER_KEY"],  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )


def _address(i: int) -> str:
    return f"reader{i:07d}@example.org"


# Setup: subscribers by bulk insert, not through 100,000 service calls ------------------------------


async def populate(core: Core, size: int) -> None:
    await upgrade(core.engine)
    keyring = core.keyring
    texts = {lang: core.texts.wording(Purpose.NEWSLETTER, lang) for lang in ("nl", "en")}
    now = datetime.now(UTC)
    prev_hash = GENESIS_HASH
    async with core.engine.begin() as connection:
        for start in range(0, size, INSERT_CHUNK):
            subjects, keys, points, subscriptions, events = [], [], [], [], []
            for i in range(start, min(start + INSERT_CHUNK, size)):
                subject_id, language = uuid.uuid4(), "en" if i % 4 == 0 else "nl"
                pseudonym = f"K-B{i:07d}"
                address = _address(i)
                cipher, wrapped = keyring.new_data_key(str(subject_id))
                subjects.append(
                    {
                        "id": subject_id,
                        "pseudonym": pseudonym,
                        "locale": language,
                        "state": "active",
                        "created_at": now,
                        "last_active_at": now,
                    }
                )
                keys.append({"subject_id": subject_id, "wrapped_key": wrapped, "created_at": now})
                points.append(
                    {
                        "id": uuid.uuid4(),
                        "subject_id": subject_id,
                        "kind": ContactKind.EMAIL,
                        "ciphertext": cipher.encrypt_text(
                            address, contact_aad(subject_id, ContactKind.EMAIL)
                        ),
                        "blind_index": keyring.blind_index("email", address),
                        "unreachable": False,
                        "created_at": now,
                    }
                )
                subscriptions.append(
                    {
                        "id": uuid.uuid4(),
                        "subject_id": subject_id,
                        "channel": Channel.EMAIL,
                        "address_index": keyring.blind_index("email", address),
                        "state": NewsletterState.ACTIVE,
                        "language": language,
                        "created_at": now,
                        "confirmed_at": now,
                    }
                )
                wording = texts[language]
                event = ConsentEvent(
                    seq=i + 1,
                    id=uuid.uuid4(),
                    subject_pseudonym=pseudonym,
                    purpose=Purpose.NEWSLETTER,
                    action=ConsentAction.GRANTED,
                    policy_version=core.texts.notice_version,
                    wording_version=wording.version,
                    wording_sha256=wording.sha256,
                    language=language,
                    channel=Channel.WEB,
                    evidence="bench",
                    actor=Actor.SUBJECT,
                    actor_reason=None,
                    occurred_at=now,
                    prev_hash=prev_hash,
                )
                prev_hash = compute_hash(event_content(event), prev_hash)
                event.hash = prev_hash
                events.append(
                    {column.key: getattr(event, column.key) for column in ConsentEvent.__table__.columns}
                )
            for model, rows in (
                (Subject, subjects),
                (SubjectKey, keys),
                (ContactPoint, points),
                (NewsletterSubscription, subscriptions),
                (ConsentEvent, events),
            ):
                await connection.execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]
        await connection.execute(
            LedgerHead.__table__.update()  # type: ignore[attr-defined]
            .where(LedgerHead.id == 1)
            .values(length=size, last_hash=prev_hash, mac=head_mac(keyring.ledger_mac_key, size, prev_hash))
        )


# The measured operations (each in its own process) ---------------------------------------------------


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def measure(operation: str, database_url: str, var_dir: Path, size: int) -> dict[str, Any]:
    from intake.services import newsletter_admin, newsletter_sending

    core = Core(_settings(database_url, var_dir))
    template_dir = var_dir / "issue"
    template_dir.mkdir(parents=True, exist_ok=True)
    (template_dir / "nl.txt").write_text("Hallo,\n\nDit is {{ subject }} van {{ controller_name }}.\n" * 5)
    (template_dir / "en.txt").write_text("Hello,\n\nThis is {{ subject }} from {{ controller_name }}.\n" * 5)
    (template_dir / "nl.html").write_text("<html><body>" + "<p>{{ subject }}</p>" * 5 + "</body></html>")
    (template_dir / "en.html").write_text("<html><body>" + "<p>{{ subject }}</p>" * 5 + "</body></html>")
    listing = var_dir / "unsubscribe.csv"
    with listing.open("w") as out:
        out.write("email\n")
        for i in range(size):
            out.write(_address(i) + "\n")
    template = newsletter_sending.load_template(template_dir)
    async with core.uow() as uow:  # warm up the connection pool and the ORM
        await uow.newsletter.count_active()
    baseline = _peak_kib()
    started = time.perf_counter()
    if operation == "send":
        send_id = await newsletter_sending.start(
            core, template, subjects={"nl": "Nieuws", "en": "News"}, rate=50, operator="bench"
        )
        report = await newsletter_sending.run(core, send_id, template)
        detail = {"queued": report.queued}
    else:
        with listing.open(encoding="utf-8", newline="") as handle:
            bulk = await newsletter_admin.unsubscribe_listed(
                core,
                newsletter_admin.read_addresses(handle),
                source=listing.name,
                operator="bench",
                reason=None,
            )
        detail = {"unsubscribed": bulk.unsubscribed}
    seconds = time.perf_counter() - started
    await core.close()
    return {"seconds": seconds, "peak_mib": (_peak_kib() - baseline) / 1024, **detail}


def _worker(args: argparse.Namespace) -> int:
    var_dir = Path(args.var_dir)
    if args.worker == "populate":

        async def fill() -> None:
            core = Core(_settings(args.database_url, var_dir))
            await populate(core, args.size)
            await core.close()

        asyncio.run(fill())
        print(json.dumps({}))
    else:
        print(json.dumps(asyncio.run(measure(args.worker, args.database_url, var_dir, args.size))))
    return 0


# The driver -----------------------------------------------------------------------------------------------


def _run_worker(
    worker: str, database_url: str, var_dir: Path, size: int, env: dict[str, str]
) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.newsletter",
            "--worker",
            worker,
            "--database-url",
            database_url,
            "--var-dir",
            str(var_dir),
            "--size",
            str(size),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{worker} ({size}) failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _fresh_database(root: Path, size: int, postgres: str | None) -> tuple[str, Any]:
    if postgres is None:
        return f"sqlite+aiosqlite:///{root / f'bench-{size}.db'}", None
    from tests.support import databases

    url = asyncio.run(databases.create_postgres_database(postgres))
    return url, lambda: asyncio.run(databases.drop_postgres_database(postgres, url))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench newsletter")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated subscriber counts")
    parser.add_argument("--postgres", help="a PostgreSQL URL to create throwaway databases next to")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args)

    sizes = [int(s) for s in args.sizes.split(",")]
    env = {**os.environ, "BENCH_SECRET_KEY": generate_key(), "BENCH_MASTER_KEY": generate_key()}
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-newsletter-") as tmp:
        root = Path(tmp)
        for size in sizes:
            for operation in ("send", "unsubscribe"):  # unsubscribing also cancels the queued issue
                if operation == "send":
                    database_url, drop = _fresh_database(root, size, args.postgres)
                    console.print(f"[dim]{size:,} subscribers: bulk insert...[/]")
                    _run_worker("populate", database_url, root / str(size), size, env)
                console.print(f"[dim]{size:,} subscribers: {OPERATIONS[operation]}...[/]")
                results[operation, size] = _run_worker(operation, database_url, root / str(size), size, env)
            if drop is not None:
                drop()

    engine = "PostgreSQL" if args.postgres else "SQLite"
    table = Table(title=f"newsletter at scale ({engine}; one process per measurement)", title_justify="left")
    table.add_column("operation")
    for size in sizes:
        table.add_column(f"{size:,}: time", justify="right")
        table.add_column(f"{size:,}: per second", justify="right")
        table.add_column(f"{size:,}: peak memory", justify="right")
    for operation, label in OPERATIONS.items():
        cells = [label]
        for size in sizes:
            result = results[operation, size]
            cells += [
                f"{result['seconds']:.1f} s",
                f"{size / result['seconds']:,.0f}",
                f"{result['peak_mib']:.1f} MiB",
            ]
        table.add_row(*cells)
    console.print(table)
    for operation in OPERATIONS:
        counts = {
            size: {k: v for k, v in results[operation, size].items() if k not in ("seconds", "peak_mib")}
            for size in sizes
        }
        console.print(f"[dim]{operation}: {counts}[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
