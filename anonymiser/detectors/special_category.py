"""Special categories of personal data (health, religion, sexual orientation, ...).

Words are checked against prefix, whole-word and compound-stem lexicons; word sequences,
care providers that are the writer's own ("mijn psycholoog", "the GP says"), party names
and partners of the writer's own gender are found with spaCy's PhraseMatcher.
"""

from __future__ import annotations

import re
from itertools import product

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from anonymiser.special_terms import (
    CASED_NOT_SPECIAL,
    CASED_PHRASES,
    CASED_WORDS,
    CONTEXTUAL_WORDS,
    NOT_SPECIAL,
    OCCUPATIONAL,
    PARTNERS,
    PHRASES,
    POSSESSIVES,
    PREFIXES,
    PROVIDER_VERBS,
    PROVIDERS,
    STEMS,
    WORDS,
)
from anonymiser.state import DocState

_OCCUPATIONAL = re.compile(OCCUPATIONAL)
EXCLUDED = "not_special"
CONTEXT_WINDOW = 5  # words before a contextual word ("wachtlijst bij de GGZ")


def _first_chars(words: list[str]) -> str:
    return "".join(sorted({re.escape(w[0]) for w in words}))


STEM_CATEGORY = {stem: category for category, stems in STEMS.items() for stem in stems}
STEM_PATTERN = re.compile(
    f"(?=[{_first_chars(list(STEM_CATEGORY))}])(?:{'|'.join(map(re.escape, STEM_CATEGORY))})"
)
WORD_CATEGORY = {word: category for category, words in WORDS.items() for word in words}
CASED_WORD_CATEGORY = {word: category for category, words in CASED_WORDS.items() for word in words}
PREFIX_KEY = 3


class SpecialCategoryDetector:
    def __init__(self, nlp: Language) -> None:
        # Prefixes indexed by their first three letters: one dict lookup per word.
        self.prefixes: dict[str, list[tuple[str, str]]] = {}
        for category, prefixes in PREFIXES.items():
            for prefix in prefixes:
                self.prefixes.setdefault(prefix[:PREFIX_KEY], []).append((prefix, category))
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.cased = PhraseMatcher(nlp.vocab, attr="ORTH")
        make = nlp.make_doc
        for category, phrases in PHRASES.items():
            self.lower.add(category, [make(p) for p in phrases])
        for category, providers in PROVIDERS.items():
            owned = [f"{a} {b}" for a, b in product(POSSESSIVES, providers)]
            acting = [f"{a} {b}" for a, b in product(providers, PROVIDER_VERBS)]
            self.lower.add(category, [make(p) for p in owned + acting])
        for gender, partners in PARTNERS.items():
            self.lower.add(f"partner_{gender}", [make(f"{a} {b}") for a, b in product(POSSESSIVES, partners)])
        self.lower.add(EXCLUDED, [make(p) for p in NOT_SPECIAL])
        for category, phrases in CASED_PHRASES.items():
            self.cased.add(category, [make(p) for p in phrases])
        self.cased.add(EXCLUDED, [make(p) for p in CASED_NOT_SPECIAL])

    def categories(self, doc: Doc, state: DocState) -> tuple[str, ...]:
        lower_text = state.lower_text
        found: set[str] = set()
        excluded: list[tuple[int, int]] = []
        phrase_hits: list[tuple[str, int]] = []
        for matcher in (self.lower, self.cased):
            for match_id, start, end in matcher(doc):
                name = doc.vocab.strings[match_id]
                span = doc[start:end]
                if name == EXCLUDED:
                    excluded.append((span.start_char, span.end_char))
                else:
                    phrase_hits.append((name, span.start_char))

        def counts(position: int) -> bool:
            if any(s <= position < e for s, e in excluded):
                return False
            return not _OCCUPATIONAL.search(lower_text, max(0, position - 60), position)

        for name, position in phrase_hits:
            if not counts(position):
                continue
            if name.startswith("partner_"):
                if state.writer_gender == name[-1]:
                    found.add("sexual_orientation")
            else:
                found.add(name)
        words = state.words
        for index, word in enumerate(words):
            lower = word.lower
            for prefix, category in self.prefixes.get(lower[:PREFIX_KEY], ()):
                if category not in found and lower.startswith(prefix) and counts(word.start):
                    found.add(category)
            category = WORD_CATEGORY.get(lower)
            if category and category not in found and counts(word.start):
                found.add(category)
            category = CASED_WORD_CATEGORY.get(word.text)
            if category and category not in found and counts(word.start):
                found.add(category)
            contextual = CONTEXTUAL_WORDS.get(lower)
            if contextual and contextual[0] not in found:
                window = {w.lower for w in words[max(0, index - CONTEXT_WINDOW) : index]}
                if window & contextual[1]:
                    found.add(contextual[0])
        for match in STEM_PATTERN.finditer(lower_text):
            category = STEM_CATEGORY[match.group()]
            if category not in found and counts(match.start()):
                found.add(category)
        return tuple(sorted(found))
