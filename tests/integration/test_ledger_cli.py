"""`intake consent verify` and `intake consent show` as an operator runs them: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from consent_store.enums import Purpose
from intake.core import Core
from tests.support import scenario

ROOT = Path(__file__).parents[2]


def intake_cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    settings = core.settings
    env = {
        **os.environ,
        "INTAKE_DATABASE_URL": settings.resolved_database_url,
        "INTAKE_MASTER_KEY": settings.master_key.get_secret_value(),  # type: ignore[union-attr]
        "INTAKE_SECRET_KEY": settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
        "INTAKE_VAR_DIR": str(settings.var_dir),
        "COLUMNS": "250",
    }
    return subprocess.run(
        [sys.executable, "-m", "intake.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _ledger_with_events(core: Core) -> scenario.Candidate:
    who = await scenario.candidate(core, "ledger@example.org", consents=(Purpose.CONTACT_HANDOVER,))
    await scenario.grant(core, who.id, Purpose.SPECIAL_CATEGORY)
    other = await scenario.candidate(core, consents=(Purpose.CONTACT_HANDOVER, Purpose.NEWSLETTER))
    await scenario.grant(core, other.id, Purpose.SPECIAL_CATEGORY)
    return who


async def _as_admin(core: Core, *statements: str) -> None:
    """What someone with direct database access could do: lift the guard and tamper."""
    async with core.engine.begin() as connection:
        if core.engine.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE consent_events DISABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER consent_events_no_update"))
            await connection.execute(text("DROP TRIGGER consent_events_no_delete"))
        for statement in statements:
            await connection.execute(text(statement))


async def test_an_intact_ledger_verifies(core: Core) -> None:
    await _ledger_with_events(core)
    result = intake_cli(core, "consent", "verify")
    assert result.returncode == 0, result.stderr
    assert "5 events, chain intact" in result.stdout


async def test_the_application_cannot_edit_the_ledger(core: Core) -> None:
    await _ledger_with_events(core)
    for statement in (
        "UPDATE consent_events SET action = 'withdrawn' WHERE seq = 2",
        "DELETE FROM consent_events",
    ):
        with pytest.raises(Exception, match="append-only"):
            async with core.engine.begin() as connection:
                await connection.execute(text(statement))


@pytest.mark.parametrize(
    ("statement", "broken_at"),
    [
        ("UPDATE consent_events SET action = 'withdrawn' WHERE seq = 2", 2),
        ("UPDATE consent_events SET evidence = 'forged' WHERE seq = 3", 3),
        ("DELETE FROM consent_events WHERE seq = 3", 3),
        ("DELETE FROM consent_events WHERE seq = 5", 5),  # the last one: caught by the MACed head
    ],
)
async def test_editing_or_deleting_a_ledger_row_is_detected(
    core: Core, statement: str, broken_at: int
) -> None:
    await _ledger_with_events(core)
    await _as_admin(core, statement)
    result = intake_cli(core, "consent", "verify")
    assert result.returncode == 1
    assert f"ledger broken at event {broken_at}" in result.stderr
    assert "Traceback" not in result.stderr


async def test_rewriting_the_tail_and_the_head_together_is_detected(core: Core) -> None:
    await _ledger_with_events(core)
    await _as_admin(
        core,
        "DELETE FROM consent_events WHERE seq = 5",
        "UPDATE ledger_head SET length = 4, last_hash = (SELECT hash FROM consent_events WHERE seq = 4)",
    )
    result = intake_cli(core, "consent", "verify")
    assert result.returncode == 1 and "ledger head was altered" in result.stderr


async def test_consent_show_prints_the_history_as_proof(core: Core) -> None:
    who = await _ledger_with_events(core)
    result = intake_cli(core, "consent", "show", "ledger@example.org", "--reason", "complaint 2026-17")
    assert result.returncode == 0, result.stderr
    assert who.pseudonym in result.stdout
    assert "special_category" in result.stdout and "contact_handover" in result.stdout
    assert "ledger@example.org" not in result.stdout  # the proof needs no contact details
    missing = intake_cli(core, "consent", "show", "nobody@example.org")
    assert (
        missing.returncode == 1 and "No such person" in missing.stderr and "Traceback" not in missing.stderr
    )
