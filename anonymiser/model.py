"""The result types of the anonymiser (a fixed contract: the core depends on them)."""

from __future__ import annotations

from dataclasses import dataclass

LABELS = (
    "PERSON",
    "EMAIL",
    "PHONE",
    "ADDRESS",
    "POSTCODE",
    "LOCATION",
    "DATE",
    "ID",
    "URL",
    "USERNAME",
    "ORGANIZATION",
)
DIRECT_LABELS = ("PERSON", "EMAIL", "PHONE", "ADDRESS", "POSTCODE", "ID", "URL", "USERNAME")
QUASI_LABELS = ("LOCATION", "DATE", "ORGANIZATION")
CATEGORIES = (
    "health",
    "mental_health",
    "ethnicity",
    "religion",
    "sexual_orientation",
    "sex_life",
    "political_opinion",
    "trade_union",
    "genetic",
    "biometric",
)
LANGUAGES = ("nl", "en")


@dataclass(frozen=True, slots=True)
class Span:
    """``text[start:end]`` (Python str offsets) identifies someone; ``label`` says how."""

    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class Analysis:
    language: str
    redacted: str
    spans: tuple[Span, ...]
    special_category: bool
    categories: tuple[str, ...]
