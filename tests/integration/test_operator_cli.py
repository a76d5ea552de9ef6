"""The operator CLI in a real process: coaches, data-subject requests, outbox, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from intake.core import Core
from intake.services import coaches
from tests.integration.test_ledger_cli import intake_cli
from tests.support import scenario


async def test_coach_lifecycle(core: Core) -> None:
    added = intake_cli(
        core,
        "coach",
        "add",
        "--name",
        "Noor Bakker",
        "--topic",
        "career",
        "--topic",
        "leadership",
        "--language",
        "nl",
        "--language",
        "en",
        "--telegram-id",
        "5550001",
        "--capacity",
        "3",
    )
    assert added.returncode == 0, added.stderr
    code = added.stdout.split()[2]
    assert code.startswith("C-")
    listed = intake_cli(core, "coach", "list")
    assert "Noor Bakker" in listed.stdout and "career, leadership" in listed.stdout
    gone = intake_cli(core, "coach", "deactivate", code)
    assert gone.returncode == 0 and "deactivated" in gone.stdout
    assert [c.active for c in await coaches.list_all(core)] == [False]


async def test_bad_input_gives_a_message_and_exit_code_not_a_traceback(core: Core) -> None:
    cases = [
        (["coach", "add", "--name", "X", "--topic", "astrology", "--telegram-id", "1"], "unknown topic"),
        (["coach", "add", "--name", "X"], "Telegram user id or an e-mail"),
        (["coach", "add", "--name", "X", "--email", "not-an-address"], "not a valid e-mail"),
        (["coach", "deactivate", "C-NOPE00"], "No such coach"),
        (["subject", "show", "K-NOPE00", "--reason", "x"], "No such person"),
        (["subject", "show", "0612", "--reason", "x"], "not a valid phone"),
    ]
    for args, message in cases:
        result = intake_cli(core, *args)
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


async def test_subject_access_export_and_erasure(core: Core, tmp_path: Path) -> None:
    await scenario.telegram_coaches(core, 1)
    who = await scenario.candidate(core, "dsr@example.org")
    await scenario.submitted(core, who)

    shown = intake_cli(core, "subject", "show", "dsr@example.org", "--reason", "verzoek 12")
    assert shown.returncode == 0 and "dsr@example.org" in shown.stdout and who.pseudonym in shown.stdout

    target = tmp_path / "export.json"
    exported = intake_cli(
        core, "subject", "export", who.pseudonym, "--reason", "verzoek 12", "-o", str(target)
    )
    assert exported.returncode == 0, exported.stderr
    data = json.loads(target.read_text())
    assert data["pseudonym"] == who.pseudonym and data["contacts"][0]["value"] == "dsr@example.org"
    assert target.stat().st_mode & 0o777 == 0o600

    erased = intake_cli(core, "subject", "erase", "dsr@example.org", "--reason", "verzoek 13", "--yes")
    assert erased.returncode == 0 and f"erased {who.pseudonym}" in erased.stdout
    again = intake_cli(core, "subject", "show", "dsr@example.org", "--reason", "x")
    assert again.returncode == 1 and "No such person" in again.stderr
    proof = intake_cli(core, "consent", "show", who.pseudonym)
    assert proof.returncode == 0 and "withdrawn" in proof.stdout  # the proof outlives the person


async def test_outbox_listing_shows_no_personal_data(core: Core) -> None:
    await scenario.telegram_coaches(core, 1)
    who = await scenario.candidate(core, "outbox.person@example.org")
    await scenario.submitted(core, who)
    listed = intake_cli(core, "outbox")
    assert listed.returncode == 0 and "offer" in listed.stdout and "pending 2" in listed.stdout
    assert "outbox.person" not in listed.stdout
