"""Dates as people read them, in Dutch and English ("12 januari 2026", "12 January 2026")."""

from __future__ import annotations

from datetime import date

_MONTHS = {
    "nl": ("januari februari maart april mei juni juli augustus september oktober november december").split(),
    "en": ("January February March April May June July August September October November December").split(),
}


def long_date(day: date, language: str) -> str:
    months = _MONTHS.get(language, _MONTHS["en"])
    return f"{day.day} {months[day.month - 1]} {day.year}"
