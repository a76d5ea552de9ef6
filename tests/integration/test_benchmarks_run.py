"""The throughput benchmarks still run to the end (small loads; their figures are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},  # no INTAKE_*: SQLite only
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_telegram_benchmark_runs_every_row_to_the_end() -> None:
    out = _bench("telegram", "--users=3", "--coaches=2", "--repeat=1")
    for row in ("no-op aiogram handler", "one answer per update", "intake bot, whole stack"):
        assert row in out
    assert "30 │" in out  # 3 candidates x 10 steps, every one handled


def test_the_mail_benchmark_runs_every_row_to_the_end() -> None:
    out = _bench("mail_ingest", "--messages=40", "--sessions=4", "--repeat=1")
    for row in ("no-op aiosmtpd", "intake, accept", "intake "):
        assert row in out
    assert "refused" not in out and "PostgreSQL skipped" in out
