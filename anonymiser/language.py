"""Cheap language detection for Dutch vs English: count function words of each language."""

from __future__ import annotations

import re

# Frequent words that are common in one language and rare in the other.
DUTCH = frozenset(
    {
        "de",
        "het",
        "een",
        "ik",
        "je",
        "jij",
        "u",
        "niet",
        "en",
        "van",
        "dat",
        "die",
        "met",
        "voor",
        "op",
        "mijn",
        "mn",
        "ben",
        "wil",
        "naar",
        "heb",
        "heeft",
        "zijn",
        "ook",
        "maar",
        "wel",
        "dan",
        "nog",
        "als",
        "bij",
        "om",
        "er",
        "kan",
        "kunnen",
        "graag",
        "werk",
        "hoe",
        "wat",
        "waar",
        "geen",
        "nu",
        "al",
        "sinds",
        "jaar",
        "dit",
        "deze",
        "zou",
        "hallo",
        "hoi",
        "groet",
        "beste",
        "bedankt",
        "mij",
        "me",
        "ze",
        "we",
        "wij",
        "ons",
        "onze",
        "uit",
        "ga",
        "gaat",
        "zoek",
        "weet",
    }
)
ENGLISH = frozenset(
    {
        "the",
        "a",
        "and",
        "i",
        "you",
        "not",
        "to",
        "of",
        "that",
        "with",
        "for",
        "my",
        "am",
        "want",
        "have",
        "has",
        "is",
        "are",
        "was",
        "but",
        "also",
        "if",
        "at",
        "can",
        "would",
        "like",
        "work",
        "how",
        "what",
        "where",
        "no",
        "now",
        "since",
        "year",
        "years",
        "this",
        "these",
        "hi",
        "hello",
        "thanks",
        "regards",
        "dear",
        "me",
        "we",
        "our",
        "from",
        "it",
        "be",
        "do",
        "don't",
        "i'm",
        "im",
        "job",
        "looking",
        "help",
        "just",
        "so",
        "about",
        "your",
    }
)
WORD = re.compile(r"[a-zA-Z']+")
SAMPLE_CHARS = 4000


def detect_language(text: str, default: str = "nl") -> str:
    dutch = english = 0
    for match in WORD.finditer(text[:SAMPLE_CHARS]):
        word = match.group().lower()
        if word in DUTCH:
            dutch += 1
        if word in ENGLISH:
            english += 1
    if dutch == english:
        return default
    return "nl" if dutch > english else "en"
