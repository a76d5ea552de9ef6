"""Phone numbers: a loose pattern finds digit runs, ``phonenumbers`` decides."""

from __future__ import annotations

import re
from enum import Enum

import phonenumbers

from anonymiser.state import DocState, Priority

# Digits with the separators people use: spaces, dashes, dots, slashes, "(0)", brackets.
CANDIDATE = re.compile(r"(?=[+(\d])(?<![\w+/.-])\(?(?:\+|00)?\d[\d\u00a0 ()./–-]{6,34}\d(?![\w/-]|\.\d)")
BRACKETED_COUNTRY_CODE = re.compile(r"\((\+\d{1,3})\)")  # "(+44) 7700 900123"
SEPARATOR_BETWEEN_NUMBERS = re.compile(r"\s+/\s+|\s{2,}|\s+-\s+(?=\+|0)")
# National numbers are checked against these regions; international ones against their own.
REGIONS = ("NL", "BE", "GB", "IE", "DE", "FR")
MIN_DIGITS, MAX_DIGITS = 9, 15


class Verdict(Enum):
    VALID = "valid"
    POSSIBLE = "possible"  # international format and the right length for its country
    NO = "no"


def judge(number: str) -> Verdict:
    cleaned = BRACKETED_COUNTRY_CODE.sub(r"\1", number.replace("(0)", "").replace("–", "-"))
    digits = sum(char.isdigit() for char in cleaned)
    if not MIN_DIGITS <= digits <= MAX_DIGITS:
        return Verdict.NO
    stripped = cleaned.lstrip("( ")
    if not stripped.startswith(("+", "00", "0")):
        return Verdict.NO  # BSNs, NHS numbers, amounts: a national phone number starts with 0
    international = stripped.startswith(("+", "00"))
    possible = False
    for region in (None, "NL") if international else REGIONS:
        try:
            parsed = phonenumbers.parse(cleaned, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return Verdict.VALID
        possible = possible or (international and phonenumbers.is_possible_number(parsed))
    return Verdict.POSSIBLE if possible else Verdict.NO


def _pieces(candidate: str, offset: int) -> list[tuple[int, int]]:
    """Split "0183-44 19 20 / 06 46 71 02 88" into its numbers."""
    pieces = []
    start = 0
    for match in SEPARATOR_BETWEEN_NUMBERS.finditer(candidate):
        pieces.append((start, match.start()))
        start = match.end()
    pieces.append((start, len(candidate)))
    return [(offset + s, offset + e) for s, e in pieces]


def _add(state: DocState, start: int, end: int, verdict: Verdict) -> bool:
    if verdict is Verdict.NO:
        return False
    # A number that is only "possible" yields to checksum-validated identifiers.
    state.add(start, end, "PHONE", Priority.VALIDATED if verdict is Verdict.VALID else Priority.PATTERN)
    return True


def detect(state: DocState, lang: str) -> None:
    if not state.has_digit:
        return
    text = state.text
    for match in CANDIDATE.finditer(text):
        start, end = match.span()
        if text[start] == "(" and not BRACKETED_COUNTRY_CODE.match(text, start):
            start += 1  # "(+31 6 ...)": the bracket belongs to the sentence
        if _add(state, start, end, judge(text[start:end])):
            continue
        for piece_start, piece_end in _pieces(text[start:end], start):
            piece = text[piece_start:piece_end].strip(" ()")
            if piece:
                _add(state, piece_start, piece_end, judge(piece))
