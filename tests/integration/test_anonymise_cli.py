"""The CLI contract, through the real ``intake anonymise`` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

INTAKE = [str(Path(sys.executable).with_name("intake"))]
TIMEOUT = 120


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INTAKE_")}
    env.update(extra)
    return env


def run(*args: str, stdin: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*INTAKE, "anonymise", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environment(**env),
        check=False,
    )


FIRST_TEXT = "Hoi, ik ben Jan de Vries. Ik heb een burn-out. Bel 06-12345678."


def test_jsonl_contract_with_bad_lines():
    long_text = "Jan " * 400  # 1,600 characters: over the limit set below
    lines = [
        json.dumps({"id": "a1", "text": FIRST_TEXT, "lang": "nl"}),
        "{not json",
        json.dumps({"id": 7, "no_text": True}),
        json.dumps({"id": "too-long", "text": long_text}),
        json.dumps({"text": "My name is Sarah Okafor, I work at Monzo."}),
        json.dumps({"id": "fr", "text": "Bonjour", "lang": "fr"}),
        "",
        json.dumps({"id": "last", "text": ""}),
    ]
    result = run("--jsonl", stdin="\n".join(lines) + "\n", INTAKE_ANONYMISER_MAX_CHARS="1000")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)

    first = out[0]
    assert set(first) == {"id", "redacted", "spans", "special_category", "categories"}
    assert first["id"] == "a1"
    assert first["redacted"] == "Hoi, ik ben [NAAM-1]. Ik heb een burn-out. Bel [TELEFOON-1]."
    assert first["spans"] == [
        {"start": 12, "end": 24, "label": "PERSON"},
        {"start": 51, "end": 62, "label": "PHONE"},
    ]
    assert first["special_category"] is True and first["categories"] == ["mental_health"]

    assert out[1] == {"id": None, "error": "invalid_json", "message": out[1]["message"]}
    assert out[2]["id"] == 7 and out[2]["error"] == "invalid_json"
    assert out[3]["id"] == "too-long" and out[3]["error"] == "text_too_long"
    assert "Jan" not in out[3]["message"]
    assert out[4]["id"] is None and "[NAME-1]" in out[4]["redacted"]
    assert out[5]["error"] == "unsupported_language"
    assert out[6]["error"] == "invalid_json"
    assert out[7] == {"id": "last", "redacted": "", "spans": [], "special_category": False, "categories": []}


def test_jsonl_output_flows_before_input_ends():
    process = subprocess.Popen(
        [*INTAKE, "anonymise", "--jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        answers: list[str] = []
        reader = threading.Thread(target=lambda: answers.append(process.stdout.readline()))
        reader.start()
        process.stdin.write(json.dumps({"id": 1, "text": "Groet, Fatima"}) + "\n")
        process.stdin.flush()
        reader.join(TIMEOUT)  # stdin is still open: the answer must come anyway
        assert answers and json.loads(answers[0])["redacted"] == "Groet, [NAAM-1]"
        process.stdin.write(json.dumps({"id": 2, "text": "Hi Tom"}) + "\n")
        process.stdin.close()
        assert json.loads(process.stdout.readline())["id"] == 2
        assert process.wait(TIMEOUT) == 0
    finally:
        process.kill()


def test_text_mode_prints_the_redacted_text():
    result = run("Beste Anna, mijn mail is anna.visser@example.nl.", stdin="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Beste [NAAM-1], mijn mail is [E-MAIL-1]."


@pytest.mark.parametrize("args", [("--lang", "de", "Hallo")])
def test_text_mode_errors_are_one_line(args):
    result = run(*args, stdin="")
    assert result.returncode == 1
    assert "not supported" in result.stderr and "Traceback" not in result.stderr
