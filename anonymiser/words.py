"""A word view of a document, the same for Dutch and English.

spaCy's Dutch and English tokenizers split hyphenated names differently ("Okonkwo-Reid",
"'s-Hertogenbosch"); the name, place and organisation rules need one stable notion of a
word, with the line it is on and what separates it from its neighbours.
"""

from __future__ import annotations

import re

WORD = re.compile(r"'[sStT](?![\w'])(?:-[^\W_]+)*|[^\W_]+(?:[-'’.][^\W_]+)*")
SENTENCE_BREAK = re.compile(r"[.!?:;\n…>•*|\[\](){}\"“”]")
INITIALS = re.compile(r"(?:[A-Z]\.)*[A-Z]")
DIGIT = re.compile(r"\d")
# Characters between words that do not end a chat "sentence" (an emoji does).
SOFT_GAP = frozenset(" \t\u00a0,-–—'’/&+%€$#@_~=")


class Word:
    """One word of a document. A plain class with ``__slots__`` and a positional
    constructor: documents have thousands of words, and this is the cheapest to build."""

    __slots__ = (
        "after_break",
        "end",
        "gap_before",
        "index",
        "is_alpha",
        "is_capitalised",
        "is_initials",
        "is_title",
        "is_upper",
        "line",
        "line_start",
        "lower",
        "start",
        "text",
    )

    def __init__(
        self,
        index: int,
        text: str,
        start: int,
        end: int,
        lower: str,
        line: int,
        gap_before: str,
        line_start: bool,
        after_break: bool,
        is_capitalised: bool,
        is_title: bool,
        is_upper: bool,
        is_alpha: bool,
        is_initials: bool,
    ) -> None:
        self.index = index
        self.text = text
        self.start = start
        self.end = end
        self.lower = lower  # lower case, typographic apostrophes made straight
        self.line = line
        self.gap_before = gap_before  # the characters between the previous word and this one
        self.line_start = line_start
        self.after_break = after_break  # first of a line, or after sentence punctuation or an emoji
        self.is_capitalised = is_capitalised  # starts with a capital
        self.is_title = is_title  # starts with a capital and is not all capitals (unless one letter)
        self.is_upper = is_upper  # all capitals, at least two letters
        self.is_alpha = is_alpha  # no digits
        self.is_initials = is_initials  # "J", "J.P", "A.C" (callers check the period after it)

    @property
    def has_digit(self) -> bool:
        return not self.is_alpha

    def __repr__(self) -> str:
        return f"Word({self.index}, {self.start}, {self.end})"  # not the word: it may be a name


def _is_break(gap: str) -> bool:
    if gap == " ":
        return False
    if SENTENCE_BREAK.search(gap):
        return True
    return any(char not in SOFT_GAP for char in gap)


def split_words(text: str) -> list[Word]:
    # The hottest loop of the anonymiser (every word of every text): plain locals, and the
    # costlier tests only where they can be true.
    words: list[Word] = []
    append = words.append
    initials = INITIALS.fullmatch
    digit = DIGIT.search
    previous_end = 0
    line = 0
    previous_line = -1
    for match in WORD.finditer(text):
        start, end = match.span()
        gap = text[previous_end:start]
        if gap == " ":
            line_start = after_break = line != previous_line
        else:
            if "\n" in gap:
                line += gap.count("\n")
            line_start = line != previous_line
            after_break = line_start or _is_break(gap)
        surface = match.group()
        lower = surface.lower()
        if "’" in lower:
            lower = lower.replace("’", "'")
        alpha = surface.isalpha() or digit(surface) is None
        if surface[0].isupper():
            upper = len(surface) > 1 and surface.isupper()
            short = len(surface) < 8
            word = Word(
                len(words),
                surface,
                start,
                end,
                lower,
                line,
                gap,
                line_start,
                after_break,
                True,
                not upper,
                upper,
                alpha,
                short and initials(surface) is not None,
            )
        else:
            word = Word(
                len(words),
                surface,
                start,
                end,
                lower,
                line,
                gap,
                line_start,
                after_break,
                False,
                False,
                False,
                alpha,
                False,
            )
        append(word)
        previous_end = end
        previous_line = line
    return words


def joined_by_space(left: Word, right: Word) -> bool:
    """The two words are neighbours on one line with only spaces between them."""
    if right.index != left.index + 1 or left.line != right.line:
        return False
    return right.gap_before.strip(" \t\u00a0") == ""
