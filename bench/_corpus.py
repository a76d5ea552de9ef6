"""Annotated corpora for the anonymiser benchmark: the shared dev corpus (JSON lines) and
this repository's held-out sets, written in a readable markup::

    ### a001 nl chat special=no
    hoi, ik ben [[Bram Kuijpers|PERSON]] uit [[Zutphen|LOCATION]].
"""

from __future__ import annotations

import re
from pathlib import Path

from anonymiser.evaluation import GoldMessage
from anonymiser.model import LABELS, Span

HEADER = re.compile(r"^### (?P<id>\S+) (?P<lang>nl|en) (?P<channel>chat|email) special=(?P<special>yes|no)$")
MARK = re.compile(r"\[\[(?P<text>[^\]|]+)\|(?P<label>[A-Z]+)\]\]")
DATA_DIR = Path(__file__).with_name("data")


def parse_markup(source: str) -> list[GoldMessage]:
    messages: list[GoldMessage] = []
    header: re.Match[str] | None = None
    body: list[str] = []

    def flush() -> None:
        if header is None:
            return
        raw = "\n".join(body).strip("\n")
        text, entities = _unmark(raw, header.group("id"))
        messages.append(
            GoldMessage(
                id=header.group("id"),
                lang=header.group("lang"),
                text=text,
                special_category=header.group("special") == "yes",
                entities=tuple(entities),
            )
        )

    for line in source.splitlines():
        match = HEADER.match(line)
        if match:
            flush()
            header, body = match, []
        elif header is not None:
            body.append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError("text before the first ### header")
    flush()
    return messages


def _unmark(raw: str, message_id: str) -> tuple[str, list[Span]]:
    parts: list[str] = []
    entities: list[Span] = []
    length = 0
    position = 0
    for match in MARK.finditer(raw):
        if match.group("label") not in LABELS:
            raise ValueError(f"{message_id}: unknown label {match.group('label')}")
        parts.append(raw[position : match.start()])
        length += match.start() - position
        surface = match.group("text")
        entities.append(Span(length, length + len(surface), match.group("label")))
        parts.append(surface)
        length += len(surface)
        position = match.end()
    parts.append(raw[position:])
    text = "".join(parts)
    if "[[" in text or "]]" in text:
        raise ValueError(f"{message_id}: unbalanced markup")
    return text, entities


def load_markup(path: Path) -> list[GoldMessage]:
    return parse_markup(path.read_text(encoding="utf-8"))
