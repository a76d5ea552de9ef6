"""Per-document state shared by the detector components: words, candidates, protections."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from enum import IntEnum

from spacy.tokens import Doc

from anonymiser.words import DIGIT, Word, split_words


class Priority(IntEnum):
    """Which candidate wins when two overlap (then the longer one)."""

    NER = 10
    PROPAGATED = 20
    GAZETTEER = 30
    CONTEXT = 40
    STRUCTURE = 50  # signatures, e-mail headers, titles, initials
    PATTERN = 70  # dates, context IDs, handles
    VALIDATED = 90  # checksums, phone numbers, e-mail, URLs, postcodes, addresses


@dataclass(frozen=True, slots=True)
class Candidate:
    start: int
    end: int
    label: str
    priority: int


@dataclass(slots=True)
class DocState:
    """What the detectors know about one document: its words, the spans proposed so far
    and the ranges that must stay (hard negatives)."""

    text: str = field(repr=False)  # the person's own words: never in a repr
    words: list[Word] = field(repr=False)
    candidates: list[Candidate] = field(default_factory=list)
    protected: list[tuple[int, int]] = field(default_factory=list)
    lower_text: str = field(default="", repr=False)  # same length as text (see below)
    writer_gender: str | None = None  # "m"/"f"/"u" from the writer's own name, when found
    _pattern_chars: bytearray | None = None
    _protected_chars: bytearray | None = None
    _word_starts: list[int] | None = None
    _has_digit: bool | None = None

    def __post_init__(self) -> None:
        lower = self.text.lower()
        # A few characters change length when lower-cased ("İ"); offsets must not move.
        self.lower_text = (
            lower
            if len(lower) == len(self.text)
            else "".join(char.lower() if len(char.lower()) == 1 else char for char in self.text)
        )

    @property
    def has_digit(self) -> bool:
        if self._has_digit is None:
            self._has_digit = DIGIT.search(self.text) is not None
        return self._has_digit

    def mentions(self, *needles: str) -> bool:
        """Any of these lower-case strings occurs: a cheap test before a costly pattern."""
        return any(needle in self.lower_text for needle in needles)

    def words_between(self, start: int, end: int) -> list[Word]:
        """The words lying completely inside [start, end)."""
        if self._word_starts is None:
            self._word_starts = [word.start for word in self.words]
        first = bisect_left(self._word_starts, start)
        last = bisect_left(self._word_starts, end)
        return [word for word in self.words[first:last] if word.end <= end]

    def add(self, start: int, end: int, label: str, priority: int) -> None:
        while end > start and self.text[end - 1].isspace():
            end -= 1
        while start < end and self.text[start].isspace():
            start += 1
        if end > start:
            self.candidates.append(Candidate(start, end, label, int(priority)))
            if priority >= Priority.PATTERN:
                self._pattern_chars = None

    def note_writer(self, gender: str) -> None:
        if self.writer_gender is None:
            self.writer_gender = gender

    def protect(self, start: int, end: int) -> None:
        self.protected.append((start, end))
        self._protected_chars = None

    def in_pattern(self, word: Word) -> bool:
        """The word lies inside an e-mail, URL, phone number, date, ID, address...."""
        if self._pattern_chars is None:
            marks = bytearray(len(self.text) + 1)
            for candidate in self.candidates:
                if candidate.priority >= Priority.PATTERN:
                    marks[candidate.start : candidate.end] = b"\x01" * (candidate.end - candidate.start)
            self._pattern_chars = marks
        return 1 in self._pattern_chars[word.start : word.end]

    def is_protected(self, start: int, end: int) -> bool:
        """Every non-space character in [start, end) lies in a protected range."""
        if not self.protected:
            return False
        if self._protected_chars is None:
            marks = bytearray(len(self.text) + 1)
            for p_start, p_end in self.protected:
                marks[p_start:p_end] = b"\x01" * (p_end - p_start)
            self._protected_chars = marks
        marks = self._protected_chars
        return all(marks[i] or self.text[i].isspace() for i in range(start, end))


STATE_KEY = "anonymiser.state"


def state_of(doc: Doc) -> DocState:
    """The working state of ``doc``, kept in ``doc.user_data`` (a plain dict: cheaper than
    a ``doc._`` extension, which every component reads)."""
    state = doc.user_data.get(STATE_KEY)
    if state is None:
        text = doc.text
        state = DocState(text=text, words=split_words(text))
        doc.user_data[STATE_KEY] = state
    return state


def attach(doc: Doc, state: DocState) -> None:
    doc.user_data[STATE_KEY] = state


def release_state(doc: Doc) -> None:
    doc.user_data.pop(STATE_KEY, None)
