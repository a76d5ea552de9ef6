from __future__ import annotations

import pytest

from anonymiser import Analysis, Anonymiser


@pytest.fixture(scope="session")
def anonymiser() -> Anonymiser:
    """Loaded once per test session (loading takes about a second)."""
    return Anonymiser.load()


class Checker:
    """Short assertions on what the anonymiser redacts."""

    def __init__(self, anonymiser: Anonymiser) -> None:
        self.anonymiser = anonymiser

    def analyse(self, text: str, lang: str | None = None) -> Analysis:
        return self.anonymiser.analyse(text, lang)

    def found(self, text: str, lang: str | None = None) -> dict[str, str]:
        """Redacted surface text -> label."""
        analysis = self.analyse(text, lang)
        return {text[s.start : s.end]: s.label for s in analysis.spans}

    def redacted(self, text: str, surface: str, lang: str | None = None, label: str | None = None) -> bool:
        """Every non-space character of ``surface`` is inside some span (of ``label``)."""
        analysis = self.analyse(text, lang)
        start = text.index(surface)
        needed = {i for i in range(start, start + len(surface)) if not text[i].isspace()}
        covered = {
            i for s in analysis.spans if label is None or s.label == label for i in range(s.start, s.end)
        }
        return needed <= covered

    def kept(self, text: str, surface: str, lang: str | None = None) -> bool:
        """No character of ``surface`` is redacted."""
        analysis = self.analyse(text, lang)
        start = text.index(surface)
        return not any(s.start < start + len(surface) and start < s.end for s in analysis.spans)


@pytest.fixture(scope="session")
def check(anonymiser: Anonymiser) -> Checker:
    return Checker(anonymiser)
