"""``intake anonymise``: redact one text for a person, or a JSON-lines stream for programs.

``--jsonl`` reads JSON lines from stdin (``"text"``, optional ``"id"`` and ``"lang"``) and
writes exactly one JSON line per input line, in order. Lines are processed in batches of
what has arrived (at most ``--batch-size``) and each batch is flushed, so a long-running
producer sees results while it is still writing. A bad line gets an error line in its
place and the stream goes on.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from intake.cli import command, console, err_console
from intake.errors import IntakeError, InvalidInput
from intake.settings import load_settings

if TYPE_CHECKING:  # spaCy takes over a second to import: only `intake anonymise` loads it
    from anonymiser import Analysis, Anonymiser

READ_CHUNK = 1 << 16


class InvalidJsonLine(InvalidInput):
    """The line is not a JSON object with a "text" string."""

    code = "invalid_json"


class InternalError(IntakeError):
    """The text could not be analysed (a bug); the stream goes on."""

    code = "internal_error"


@dataclass(frozen=True, slots=True)
class Request:
    id: Any
    text: str
    lang: str | None


def load_anonymiser() -> Anonymiser:
    from anonymiser import Anonymiser

    settings = load_settings()
    return Anonymiser.load(
        model_nl=settings.spacy_model_nl,
        model_en=settings.spacy_model_en,
        max_chars=settings.anonymiser_max_chars,
    )


@command()
def anonymise(
    text: Annotated[str | None, typer.Argument(help="The text; read from stdin when left out.")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Read and write JSON lines (for programs).")] = False,
    lang: Annotated[
        str | None, typer.Option("--lang", help="nl or en (with --jsonl: for lines without one).")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Most lines per batch.")] = 64,
) -> None:
    """Remove names, contact details, addresses, numbers and other identifying details."""
    anonymiser = load_anonymiser()
    if jsonl:
        stream_jsonl(anonymiser, sys.stdin.buffer, sys.stdout.buffer, batch_size, default_lang=lang)
        return
    analysis = anonymiser.analyse(sys.stdin.read() if text is None else text, lang)
    console.print(analysis.redacted, markup=False, highlight=False, emoji=False, soft_wrap=True)
    if analysis.special_category:
        err_console.print(f"special categories: {', '.join(analysis.categories)}", highlight=False)


def stream_jsonl(
    anonymiser: Anonymiser, source: BinaryIO, sink: BinaryIO, batch_size: int, default_lang: str | None = None
) -> None:
    for lines in _batches(source, batch_size):
        for output in _process(anonymiser, lines, default_lang):
            sink.write(output)
        sink.flush()


def _batches(source: BinaryIO, batch_size: int) -> Iterator[list[bytes]]:
    """Complete lines as they arrive: whatever one read returns, in batches of at most
    ``batch_size``; never waits for more input while complete lines are pending."""
    fd = source.fileno()
    pending = b""
    while True:
        chunk = os.read(fd, READ_CHUNK)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for start in range(0, len(lines), batch_size):
            yield lines[start : start + batch_size]
    if pending:
        yield [pending]


def _process(anonymiser: Anonymiser, lines: list[bytes], default_lang: str | None) -> list[bytes]:
    outputs: list[bytes | None] = [None] * len(lines)
    valid: list[tuple[int, Request]] = []
    for index, line in enumerate(lines):
        try:
            request = _parse(line, default_lang)
            anonymiser.check(request.text, request.lang)
        except IntakeError as error:
            outputs[index] = _encode(_error(_id_of(line), error))
            continue
        valid.append((index, request))
    for index, result in _analyse(anonymiser, [request for _, request in valid]):
        outputs[valid[index][0]] = _encode(result)
    return [output for output in outputs if output is not None]


def _analyse(anonymiser: Anonymiser, requests: list[Request]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Analyse a batch; should it fail, analyse one by one so that only the bad line fails."""
    items = [(r.text, r.lang) for r in requests]
    try:
        analyses = list(anonymiser.analyse_many(items, batch_size=max(1, len(items))))
    except Exception:
        analyses = []
    if len(analyses) == len(requests):
        for index, (request, analysis) in enumerate(zip(requests, analyses, strict=True)):
            yield index, _result(request.id, analysis)
        return
    for index, request in enumerate(requests):
        try:
            yield index, _result(request.id, anonymiser.analyse(request.text, request.lang))
        except Exception:
            yield index, _error(request.id, InternalError())


def _parse(line: bytes, default_lang: str | None) -> Request:
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidJsonLine("the line is not valid UTF-8 JSON") from None
    if not isinstance(record, dict):
        raise InvalidJsonLine("the line must be a JSON object")
    text = record.get("text")
    if not isinstance(text, str):
        raise InvalidJsonLine('the line needs "text", a string')
    lang = record.get("lang") or default_lang
    if lang is not None and lang not in ("nl", "en"):
        from anonymiser.errors import UnsupportedLanguage

        raise UnsupportedLanguage(lang if isinstance(lang, str) else "given")
    return Request(id=record.get("id"), text=text, lang=lang)


def _id_of(line: bytes) -> Any:
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record.get("id") if isinstance(record, dict) else None


def _result(request_id: Any, analysis: Analysis) -> dict[str, Any]:
    return {
        "id": request_id,
        "redacted": analysis.redacted,
        "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in analysis.spans],
        "special_category": analysis.special_category,
        "categories": list(analysis.categories),
    }


def _error(request_id: Any, error: IntakeError) -> dict[str, Any]:
    return {"id": request_id, "error": error.code, "message": error.message}


def _encode(record: dict[str, Any]) -> bytes:
    try:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from the input: escape it
        return (json.dumps(record) + "\n").encode("ascii")
