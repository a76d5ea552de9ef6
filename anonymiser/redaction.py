"""Replace spans with typed placeholders in the text's language, numbered per distinct value
("[NAAM-1]" for every mention of the same person). Line breaks inside a span are kept."""

from __future__ import annotations

import re
from collections.abc import Sequence

from anonymiser.model import Span

PLACEHOLDERS = {
    "nl": {
        "PERSON": "NAAM",
        "EMAIL": "E-MAIL",
        "PHONE": "TELEFOON",
        "ADDRESS": "ADRES",
        "POSTCODE": "POSTCODE",
        "LOCATION": "PLAATS",
        "DATE": "DATUM",
        "ID": "NUMMER",
        "URL": "URL",
        "USERNAME": "GEBRUIKERSNAAM",
        "ORGANIZATION": "ORGANISATIE",
    },
    "en": {
        "PERSON": "NAME",
        "EMAIL": "EMAIL",
        "PHONE": "PHONE",
        "ADDRESS": "ADDRESS",
        "POSTCODE": "POSTCODE",
        "LOCATION": "PLACE",
        "DATE": "DATE",
        "ID": "NUMBER",
        "URL": "URL",
        "USERNAME": "USERNAME",
        "ORGANIZATION": "ORGANISATION",
    },
}


def _value_key(label: str, value: str) -> str:
    if label in ("PHONE", "ID", "POSTCODE"):
        return re.sub(r"\W", "", value).lower()
    return " ".join(value.lower().split())


class _Numbering:
    """Numbers per label; a shorter mention of a person ("Sophie") reuses the number of a
    longer one seen in the same message ("Sophie de Ridder")."""

    def __init__(self, spans: Sequence[Span], text: str) -> None:
        self.numbers: dict[tuple[str, str], int] = {}
        self.counts: dict[str, int] = {}
        people = [_value_key("PERSON", text[s.start : s.end]) for s in spans if s.label == "PERSON"]
        self.full_names = sorted({p for p in people if " " in p}, key=len, reverse=True)

    def number(self, label: str, value: str) -> int:
        key = _value_key(label, value)
        if label == "PERSON" and " " not in key:
            for full in self.full_names:
                if key in full.split():
                    key = full
                    break
        if (label, key) not in self.numbers:
            self.counts[label] = self.counts.get(label, 0) + 1
            self.numbers[(label, key)] = self.counts[label]
        return self.numbers[(label, key)]


def redact(text: str, spans: Sequence[Span], language: str) -> str:
    names = PLACEHOLDERS[language]
    numbering = _Numbering(spans, text)
    parts: list[str] = []
    position = 0
    for span in spans:
        value = text[span.start : span.end]
        parts.append(text[position : span.start])
        parts.append(f"[{names[span.label]}-{numbering.number(span.label, value)}]")
        parts.append("".join(char for char in value if char in "\r\n"))
        position = span.end
    parts.append(text[position:])
    return "".join(parts)
