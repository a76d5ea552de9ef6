"""A name, organisation or place found once is redacted wherever else it occurs in the
message ("Tunde", "Loopwise", "Kees" after "roepnaam Kees")."""

from __future__ import annotations

import re

from anonymiser.lexicon import Lexicon
from anonymiser.state import DocState, Priority
from anonymiser.vocab import NAME_PARTICLES

PROPAGATED_LABELS = ("PERSON", "ORGANIZATION", "LOCATION")
MIN_PRIORITY = Priority.GAZETTEER


class Propagation:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def detect(self, state: DocState) -> None:
        detect_with(state, self.lexicon)


def detect_with(state: DocState, lexicon: Lexicon) -> None:
    text = state.text
    surfaces: dict[str, str] = {}
    for candidate in state.candidates:
        if candidate.label not in PROPAGATED_LABELS or candidate.priority < MIN_PRIORITY:
            continue
        surface = text[candidate.start : candidate.end]
        surfaces.setdefault(surface, candidate.label)
        if candidate.label == "PERSON":
            for part in re.split(r"[\s]+", surface):
                part = part.strip(".,")
                if len(part) > 1 and part.lower().replace("’", "'") not in NAME_PARTICLES and "." not in part:
                    surfaces.setdefault(part, "PERSON")
    if not surfaces:
        return
    existing = {(c.start, c.end) for c in state.candidates}
    by_first_word: dict[str, list[tuple[str, str]]] = {}
    for surface, label in surfaces.items():
        by_first_word.setdefault(surface.split()[0], []).append((surface, label))
    for word in state.words:
        key = word.text
        if key not in by_first_word and key.endswith(("'s", "’s")):
            key = key[:-2]  # "Darren's contact"
        for surface, label in by_first_word.get(key, ()):
            end = word.start + len(surface)
            if (word.start, end) in existing:
                continue
            if text[word.start : end] != surface or (end < len(text) and text[end].isalnum()):
                continue
            if state.is_protected(word.start, end):
                continue
            function_word = word.lower in lexicon.stop_words and word.after_break
            if label == "PERSON" and " " not in surface and function_word:
                continue  # "Will" found as a name; "Will you ..." at a sentence start is not
            state.add(word.start, end, label, Priority.PROPAGATED)
