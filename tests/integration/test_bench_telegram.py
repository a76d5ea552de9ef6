"""``bench telegram`` still runs: its bots in their own processes, against the stand-in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_telegram_benchmark_runs_every_row_to_the_end() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "telegram", "--users=3", "--coaches=2", "--repeat=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for row in ("no-op aiogram handler", "one answer per update", "intake bot, whole stack"):
        assert row in done.stdout
    assert "30 │" in done.stdout  # 3 candidates x 10 steps, every one handled
