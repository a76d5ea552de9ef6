"""Dates at day precision, Dutch and English: "12-03-1985", "2025-04-17", "3 maart",
"28 feb. 2025", "March 3rd, 1990", "the 3rd of June", "21/3" after a weekday or "op"/"on".
A weekday in front stays outside the span; a month alone ("sinds maart") is no date.

Every date has a day number, so the patterns are anchored on digits (fast) and the month
name around it is checked against a word list."""

from __future__ import annotations

import re

from anonymiser.state import DocState, Priority
from anonymiser.vocab import MONTH_ABBREVIATIONS, MONTHS, WEEKDAYS

_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_YEAR = r"(?:(?:19|20)\d{2}|'\d{2})"
NUMERIC = re.compile(
    rf"(?=\d)(?<![\d.,/-]){_DAY}([-/.])(?:1[0-2]|0?[1-9])\1(?:(?:19|20)\d{{2}}|\d{{2}})(?![\d/-]|\.\d)"
    r"|(?=\d)(?<![\d.,/-])(?:19|20)\d{2}-(?:1[0-2]|0[1-9])-(?:[12]\d|3[01]|0[1-9])(?![\d-])"
)
DAY = re.compile(rf"(?=\d)(?<![\w.,/-]){_DAY}(?P<ordinal>st|nd|rd|th|e|ste|de)?(?![\w/-]|[.,]\d)")
# After a day: "[of] maart[,] [2025]"; before a day: "March "; a short "21/3" after these.
MONTH_AFTER = re.compile(r"[ \t]+(?:of[ \t]+)?(?P<month>[a-z]{3,9})(?P<period>\.)?(?![\w])")
MONTH_BEFORE = re.compile(r"(?P<month>[a-z]{3,9})\.?[ \t]+$")
YEAR_AFTER = re.compile(rf",?[ \t]+{_YEAR}(?!\d)")
SHORT_NUMERIC = re.compile(rf"(?=\d)(?<![\w/.,-]){_DAY}[-/](?:1[0-2]|0?[1-9])(?![\d/-])")
WORD_BEFORE = re.compile(r"(?P<word>[a-z/]{2,9})\.?,?[ \t]+$")
SHORT_DATE_INTRODUCERS = WEEKDAYS | {
    "op",
    "on",
    "per",
    "tot",
    "vanaf",
    "from",
    "until",
    "till",
    "by",
    "t/m",
    "voor",
    "na",
}
NOT_AFTER_MONTH_DAY = re.compile(r"\s*(?:%|uur|hours?|jaar|years?|km|kg|euro|€|x\b)")
ALL_MONTHS = MONTHS | MONTH_ABBREVIATIONS


def detect(state: DocState, lang: str) -> None:
    if not state.has_digit:
        return
    text, lower = state.text, state.lower_text
    for match in NUMERIC.finditer(text):
        state.add(*match.span(), "DATE", Priority.PATTERN)
    for match in DAY.finditer(text):
        start, end = match.span()
        after = MONTH_AFTER.match(lower, end)
        if after and _is_month(after.group("month"), after.group("period")):
            # "3 maart", "24th April", "3rd of February", "28 feb. 2025"
            abbreviated = after.group("period") and after.group("month") in MONTH_ABBREVIATIONS
            date_end = after.end() if abbreviated else after.end("month")
            year = YEAR_AFTER.match(text, after.end())
            state.add(start, year.end() if year else date_end, "DATE", Priority.PATTERN)
            continue
        before = MONTH_BEFORE.search(lower, max(0, start - 12), start)
        english_ordinal = match.group("ordinal") in (None, "st", "nd", "rd", "th")
        if before and before.group("month") in ALL_MONTHS and english_ordinal:
            if NOT_AFTER_MONTH_DAY.match(lower, end):
                continue
            if lang == "en" and before.group("month") == "may" and text[before.start()].islower():
                continue  # "may 3 people join" is a verb, not a date
            year = YEAR_AFTER.match(text, end)
            state.add(before.start(), year.end() if year else end, "DATE", Priority.PATTERN)
    for match in SHORT_NUMERIC.finditer(text):
        before = WORD_BEFORE.search(lower, max(0, match.start() - 14), match.start())
        if before and before.group("word") in SHORT_DATE_INTRODUCERS:
            state.add(*match.span(), "DATE", Priority.PATTERN)


def _is_month(word: str, period: str | None) -> bool:
    return word in MONTHS or (word in MONTH_ABBREVIATIONS and (period is not None or len(word) >= 3))
