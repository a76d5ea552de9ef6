"""A last resort for proper names no other rule explains: a capitalised word in the middle
of a sentence that is no ordinary word, name or place we know ("Ik lig in Heliomare",
"a meeting with Siebrand"). Mid-sentence capitals mark proper names in Dutch and English;
ordinary words, languages, nationalities, job titles and months are excluded. These are
the weakest candidates: every other rule wins where they overlap."""

from __future__ import annotations

from anonymiser.lexicon import Lexicon
from anonymiser.special_terms import is_special_term
from anonymiser.state import DocState, Priority
from anonymiser.words import joined_by_space

MIN_LENGTH = 3


class UnknownNameRules:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def _unknown(self, state: DocState, index: int) -> bool:
        word = state.words[index]
        if not word.is_title or not word.is_alpha or word.after_break or len(word.text) < MIN_LENGTH:
            return False
        if index > 0 and self.lexicon.job(state.words[index - 1]):
            return False  # "Teamleider Inkoop": a department after a job title
        lexicon = self.lexicon
        if lexicon.ordinary(word) or lexicon.never_name(word):
            return False
        if lexicon.nationality(word) or lexicon.job(word):
            return False
        if lexicon.org_head(word) or "'" in word.text[1:] or is_special_term(word.lower):
            return False
        head, _, tail = word.text.rpartition("-")
        if head and tail.islower():
            return False  # "Wajong-uitkering", "KvK-nummer": a compound with an ordinary word
        return not state.in_pattern(word) and not state.is_protected(word.start, word.end)

    def detect(self, state: DocState) -> None:
        words = state.words
        index = 0
        while index < len(words):
            word = words[index]
            if not word.is_title or word.after_break or not self._unknown(state, index):
                index += 1
                continue
            last = index
            while (
                last + 1 < len(words)
                and joined_by_space(words[last], words[last + 1])
                and words[last + 1].is_title
                and not self.lexicon.never_name(words[last + 1])
            ):
                last += 1
            span = words[index : last + 1]
            known_name = any(self.lexicon.surname(w) or self.lexicon.first_name(w) for w in span)
            label = "PERSON" if known_name else "ORGANIZATION"
            state.add(words[index].start, words[last].end, label, Priority.NER)
            index = last + 1
