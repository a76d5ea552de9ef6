"""The generated word lists in ``anonymiser/data`` (see ``build_data.py``), loaded once."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib import resources

from anonymiser.model import LANGUAGES


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """All keys are lower case; place keys are words joined by single spaces."""

    first_names: dict[str, str]  # name -> "m", "f" or "u" (unknown / both)
    surnames: frozenset[str]
    places: frozenset[str]
    countries: frozenset[str]
    common_words: dict[str, frozenset[str]]  # per language
    vocabulary: dict[str, frozenset[str]]  # more words per language, incl. lower-cased proper nouns
    longest_place: int  # in words
    place_first_words: frozenset[str]  # first words of the places of more than one word


def _lines(name: str) -> list[str]:
    raw = resources.files("anonymiser.data").joinpath(name).read_bytes()
    return [line for line in gzip.decompress(raw).decode("utf-8").split("\n") if line]


@cache
def load_gazetteer() -> Gazetteer:
    first_names: dict[str, str] = {}
    for line in _lines("first_names.tsv.gz"):
        name, _, gender = line.partition("\t")
        key = name.lower()
        previous = first_names.get(key)
        first_names[key] = gender if previous in (None, gender) else "u"
    places = frozenset(line.lower() for line in _lines("places.txt.gz"))
    return Gazetteer(
        first_names=first_names,
        surnames=frozenset(line.lower() for line in _lines("surnames.txt.gz")),
        places=places,
        countries=frozenset(line.lower() for line in _lines("countries.txt.gz")),
        common_words={language: frozenset(_lines(f"common_{language}.txt.gz")) for language in LANGUAGES},
        vocabulary={language: frozenset(_lines(f"vocabulary_{language}.txt.gz")) for language in LANGUAGES},
        longest_place=max(key.count(" ") + 1 for key in places),
        place_first_words=frozenset(key.split(" ", 1)[0] for key in places if " " in key),
    )
