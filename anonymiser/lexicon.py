"""Word tests shared by the name, place and organisation detectors."""

from __future__ import annotations

from functools import cache

from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP_WORDS
from spacy.lang.nl.stop_words import STOP_WORDS as NL_STOP_WORDS

from anonymiser.gazetteer import Gazetteer, load_gazetteer
from anonymiser.vocab import (
    GREETINGS,
    JOB_WORDS,
    MONTH_ABBREVIATIONS,
    MONTHS_EN,
    MONTHS_NL,
    NATIONALITY_ENDINGS,
    NEVER_NAMES,
    ORG_HEADS,
    TITLES,
    WEEKDAYS_EN,
    WEEKDAYS_NL,
)
from anonymiser.words import Word

STOP_WORDS = {"nl": NL_STOP_WORDS, "en": EN_STOP_WORDS}
MIN_COMPOUND_PART = 4
# Months and weekdays of the text's language are no names ("Mei Lin" in English is one).
# "Jan" is a month abbreviation and one of the most common Dutch first names.
NOT_NAMES = NEVER_NAMES | (MONTH_ABBREVIATIONS - {"jan"}) | GREETINGS | TITLES
CALENDAR_WORDS = {"nl": MONTHS_NL | WEEKDAYS_NL, "en": MONTHS_EN | WEEKDAYS_EN}


class Lexicon:
    """Word tests for one language: "common" means an ordinary word of that language."""

    def __init__(self, gazetteer: Gazetteer, language: str) -> None:
        self.gazetteer = gazetteer
        self.language = language
        self.stop_words = frozenset(STOP_WORDS[language])
        self.common_words = gazetteer.common_words[language] | self.stop_words
        self.vocabulary = gazetteer.vocabulary[language]
        self.blocked = NOT_NAMES | CALENDAR_WORDS[language]

    def first_name(self, word: Word) -> bool:
        return word.lower in self.gazetteer.first_names

    def gender(self, word: Word) -> str:
        return self.gazetteer.first_names.get(word.lower, "u")

    def surname(self, word: Word) -> bool:
        return word.lower in self.gazetteer.surnames

    def common(self, word: Word) -> bool:
        return word.lower in self.common_words

    def ordinary(self, word: Word, compounds: bool = True) -> bool:
        """An ordinary word, perhaps capitalised, inflected ("Zweedse") or a compound
        ("Ontwikkelbudget": Dutch writes compounds as one word, and the word lists hold
        their parts). Place names are often such compounds ("Molenbeek"): ``compounds``."""
        lower = word.lower
        if lower in self.common_words or lower in self.vocabulary:
            return True
        if self.language != "nl":
            return False
        if any(base in self.common_words for base in _dutch_bases(lower)):
            return True
        if not compounds:
            return False
        known = self.common_words
        for split in range(MIN_COMPOUND_PART, len(lower) - MIN_COMPOUND_PART + 1):
            head, tail = lower[:split], lower[split:]
            if not (tail in known or tail in self.vocabulary):
                continue
            linked = head[-1] in "se" and head[:-1] in known  # "werkgever-s-budget"
            if head in known or linked or f"{head}en" in known:  # "ontwikkel(en)-budget"
                return True
        return False

    def never_name(self, word: Word) -> bool:
        lower = word.lower
        return lower in self.blocked or lower in self.gazetteer.countries

    def job(self, word: Word) -> bool:
        return any(part in JOB_WORDS for part in word.lower.split("-"))

    def org_head(self, word: Word) -> bool:
        return word.lower.rstrip(".") in ORG_HEADS

    def place(self, key: str) -> bool:
        return key in self.gazetteer.places

    def country(self, key: str) -> bool:
        return key in self.gazetteer.countries

    def nationality(self, word: Word) -> bool:
        """'Nederlander', 'Marokkaans', 'British', 'Surinaams-Hindostaans' (heuristic)."""
        last = word.lower.split("-")[-1]
        if not last.endswith(NATIONALITY_ENDINGS):
            return False
        if self.common(word):
            return True
        return word.is_title and len(last) > 5 and not self.first_name(word) and not self.surname(word)

    def name_like(self, word: Word) -> bool:
        """A capitalised word that can be part of a person's name."""
        return word.is_title and word.is_alpha and not self.never_name(word) and not self.org_head(word)


def _dutch_bases(lower: str) -> tuple[str, ...]:
    """Uninflected forms of a Dutch adjective: "zweedse" -> "zweeds", "creatieve" -> "creatief"."""
    if not lower.endswith("e"):
        return ()
    stem = lower[:-1]
    if stem.endswith("v"):
        return (stem, stem[:-1] + "f")
    if stem.endswith("z"):
        return (stem, stem[:-1] + "s")
    return (stem,)


@cache
def default_lexicon(language: str) -> Lexicon:
    return Lexicon(load_gazetteer(), language)
