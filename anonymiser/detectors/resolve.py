"""Choose the final spans: drop protected ones, then keep the strongest of overlapping
candidates (higher priority, then longer), and never let a span cross a line break."""

from __future__ import annotations

from anonymiser.model import Span
from anonymiser.state import Candidate, DocState, Priority

ENTITY_LABELS = frozenset({"PERSON", "ORGANIZATION", "LOCATION"})


def _split_lines(text: str, candidate: Candidate) -> list[Candidate]:
    segment = text[candidate.start : candidate.end]
    if "\n" not in segment:
        return [candidate]
    pieces = []
    start = candidate.start
    for offset, char in enumerate(segment):
        if char == "\n":
            if candidate.start + offset > start:
                pieces.append(Candidate(start, candidate.start + offset, candidate.label, candidate.priority))
            start = candidate.start + offset + 1
    if candidate.end > start:
        pieces.append(Candidate(start, candidate.end, candidate.label, candidate.priority))
    return pieces


def resolve(state: DocState) -> tuple[Span, ...]:
    text = state.text
    kept: list[Candidate] = []
    for candidate in state.candidates:
        if (
            candidate.label in ENTITY_LABELS
            and candidate.priority < Priority.PATTERN
            and state.is_protected(candidate.start, candidate.end)
        ):
            continue
        kept.extend(_split_lines(text, candidate))
    kept.sort(key=lambda c: (-c.priority, -(c.end - c.start), c.start))
    taken = bytearray(len(text) + 1)
    chosen: list[Candidate] = []
    for candidate in kept:
        if any(taken[candidate.start : candidate.end]):
            continue
        taken[candidate.start : candidate.end] = b"\x01" * (candidate.end - candidate.start)
        chosen.append(candidate)
    chosen.sort(key=lambda c: c.start)
    return tuple(Span(c.start, c.end, c.label) for c in chosen)
