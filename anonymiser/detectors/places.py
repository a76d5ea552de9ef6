"""Places: the place gazetteer (multi-word names, "Amsterdam-Noord"), and capitalised words
after the phrases that introduce where someone lives ("woon in", "uit", "wijk", "live in",
"moved to", "... ward"). Countries are never redacted. A place that is also an ordinary
word or a name ("Boom", "Best", "Deal", "Reading") needs a preposition in front."""

from __future__ import annotations

from anonymiser.lexicon import Lexicon
from anonymiser.state import DocState, Priority
from anonymiser.vocab import LOCATION_PREPOSITIONS
from anonymiser.words import Word, joined_by_space

DISTRICT_SUFFIXES = frozenset(
    {
        "noord",
        "zuid",
        "oost",
        "west",
        "centrum",
        "zuidoost",
        "noordoost",
        "noordwest",
        "zuidwest",
        "nieuw-west",
        "north",
        "south",
        "east",
        "central",
        "city",
    }
)
# Phrases after which a capitalised word we do not know is a place.
PLACE_INTRODUCERS = (
    ("woon", "in"),
    ("woont", "in"),
    ("wonen", "in"),
    ("woonachtig", "in"),
    ("wijk",),
    ("buurt",),
    ("regio",),
    ("omgeving",),
    ("live", "in"),
    ("living", "in"),
    ("lives", "in"),
    ("based", "in"),
    ("moved", "to"),
    ("moving", "to"),
    ("move", "to"),
    ("relocated", "to"),
    ("relocating", "to"),
    ("moved", "from"),
    ("relocated", "from"),
    ("moving", "from"),
    ("near",),
    ("uit",),
    ("te",),
    ("from",),
    ("verhuisd", "naar"),
    ("verhuizen", "naar"),
    ("groetjes", "uit"),
    ("groeten", "uit"),
    ("stay", "in"),
    ("staying", "in"),
    ("grew", "up", "in"),
    ("opgegroeid", "in"),
    ("born", "in"),
    ("geboren", "in"),
    ("in",),
)
INTRODUCERS_BY_LAST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _phrase in PLACE_INTRODUCERS:
    INTRODUCERS_BY_LAST_WORD.setdefault(_phrase[-1], []).append(_phrase)
# These also precede languages, people and subjects ("in English", "from Sarah").
GENERIC_INTRODUCERS = frozenset({("in",), ("from",), ("uit",), ("te",)})
# After these even an ordinary word is a place ("wijk Transvaal", "woon in Best").
RESIDENCE_INTRODUCERS = frozenset(
    {
        ("wijk",),
        ("buurt",),
        ("regio",),
        ("woon", "in"),
        ("woont", "in"),
        ("live", "in"),
        ("living", "in"),
    }
)
# Words that may follow "in X" when X is a place ("in Keizerslanden en ...").
PLACE_FOLLOWERS = frozenset(
    {
        "en",
        "and",
        "of",
        "or",
        "maar",
        "but",
        "als",
        "as",
        "want",
        "omdat",
        "dus",
        "so",
    }
)
WARD_WORDS = frozenset({"ward", "district", "borough", "parish", "wijk"})
MAX_UNKNOWN_PLACE_WORDS = 3


class PlaceRules:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.longest = lexicon.gazetteer.longest_place

    # --- the gazetteer ----------------------------------------------------------------

    def gazetteer(self, state: DocState) -> None:
        words = state.words
        index = 0
        while index < len(words):
            word = words[index]
            if not (word.is_capitalised or word.lower.startswith(("'s", "'t"))) or state.in_pattern(word):
                index += 1
                continue
            last = self._longest_place(words, index)
            if last is None:
                last = self._district(words, index)
            if last is None or not self._place_here(words, index, last):
                index += 1
                continue
            priority = Priority.CONTEXT if self._after_preposition(words, index) else Priority.GAZETTEER
            state.add(words[index].start, words[last].end, "LOCATION", priority)
            index = last + 1

    def _place_here(self, words: list[Word], first: int, last: int) -> bool:
        """A single word that is also a name or an ordinary word needs support: a preposition
        in front ("woon in Best") or a line of its own ("Amersfoort" under a signature)."""
        if first < last:
            return True
        word = words[first]
        if self.lexicon.never_name(word):
            return False  # "in March", "Dear", "Hallo"
        lexicon = self.lexicon
        if not (lexicon.common(word) or lexicon.first_name(word) or lexicon.surname(word)):
            return True
        alone = self._alone_on_line(words, first, last) and not lexicon.common(word)
        return self._after_preposition(words, first) or alone

    def _longest_place(self, words: list[Word], index: int) -> int | None:
        first = words[index].lower
        if first not in self.lexicon.gazetteer.place_first_words:
            if self.lexicon.country(first):
                return None
            return index if self.lexicon.place(first) else None
        key = ""
        best = None
        for last in range(index, min(len(words), index + self.longest)):
            if last > index and not joined_by_space(words[last - 1], words[last]):
                break
            key = words[last].lower if last == index else f"{key} {words[last].lower}"
            if self.lexicon.country(key):
                return None
            if self.lexicon.place(key) and (last == index or words[last].is_capitalised):
                best = last
        return best

    def _district(self, words: list[Word], index: int) -> int | None:
        """'Amsterdam-Noord', 'Rotterdam-Zuid': a known place with a district suffix."""
        base, _, suffix = words[index].lower.rpartition("-")
        if base and suffix in DISTRICT_SUFFIXES and self.lexicon.place(base):
            return index
        return None

    def _after_preposition(self, words: list[Word], index: int) -> bool:
        """'in Best', 'uit het Westland'."""
        if index == 0 or not joined_by_space(words[index - 1], words[index]):
            return False
        previous = words[index - 1].lower
        if previous in LOCATION_PREPOSITIONS:
            return True
        article = previous in ("het", "de", "the")
        return article and index > 1 and words[index - 2].lower in LOCATION_PREPOSITIONS

    def _alone_on_line(self, words: list[Word], first: int, last: int) -> bool:
        following = words[last + 1] if last + 1 < len(words) else None
        if following is None or following.line != words[last].line or following.gap_before.strip() == ",":
            return words[first].line_start
        return False

    # --- places we do not know --------------------------------------------------------

    def introduced(self, state: DocState) -> None:
        words = state.words
        for index in range(1, len(words)):
            word = words[index]
            phrases = INTRODUCERS_BY_LAST_WORD.get(words[index - 1].lower)
            if not phrases or not word.is_title or not word.is_alpha or state.in_pattern(word):
                continue
            if not joined_by_space(words[index - 1], word):
                continue
            for phrase in phrases:
                size = len(phrase)
                if index >= size and tuple(w.lower for w in words[index - size : index]) == phrase:
                    if not (phrase in GENERIC_INTRODUCERS and word.after_break):
                        self._unknown_place(state, words, index, phrase)
                    break

    def _unknown_place(self, state: DocState, words: list[Word], index: int, phrase: tuple[str, ...]) -> None:
        last = index
        while (
            last + 1 < len(words)
            and last + 1 - index < MAX_UNKNOWN_PLACE_WORDS
            and joined_by_space(words[last], words[last + 1])
            and words[last + 1].is_title
            and words[last + 1].is_alpha
            and not self.lexicon.never_name(words[last + 1])
        ):
            last += 1
        span = words[index : last + 1]
        if self._not_a_place(words, span, last, phrase):
            return
        state.add(span[0].start, span[-1].end, "LOCATION", Priority.CONTEXT)

    def _not_a_place(self, words: list[Word], span: list[Word], last: int, phrase: tuple[str, ...]) -> bool:
        lexicon = self.lexicon
        word = span[0]
        key = " ".join(w.lower for w in span)
        if lexicon.country(key) or lexicon.place(key) or any(lexicon.never_name(w) for w in span):
            return True  # a country stays; a known place was found by the gazetteer
        if lexicon.nationality(word) or lexicon.job(word):
            return True
        if phrase in GENERIC_INTRODUCERS:
            if lexicon.ordinary(word, compounds=False) or lexicon.first_name(word) or len(span) > 1:
                return True  # "in English", "from Sarah", "in Product Management"
            following = words[last + 1] if last + 1 < len(words) else None
            if (
                following is not None
                and following.line == word.line
                and not following.gap_before.strip()
                and following.text == following.lower
                and following.lower not in PLACE_FOLLOWERS
            ):
                return True  # "in Keizerslanden." is a place, "in Excel werken" is not
        return lexicon.common(word) and phrase not in RESIDENCE_INTRODUCERS

    def districts(self, state: DocState) -> None:
        """'Utrecht, Kanaleneiland.': an unknown capitalised word after a place and a comma."""
        words = state.words
        located = {(c.start, c.end) for c in state.candidates if c.label == "LOCATION"}
        for index in range(1, len(words)):
            word, previous = words[index], words[index - 1]
            if (previous.start, previous.end) not in located or word.gap_before.strip() != ",":
                continue
            if word.line != previous.line or not word.is_title or not word.is_alpha:
                continue
            if self.lexicon.common(word) or self.lexicon.never_name(word) or self.lexicon.first_name(word):
                continue
            following = words[index + 1] if index + 1 < len(words) else None
            if following is None or following.line != word.line or following.gap_before.strip():
                state.add(word.start, word.end, "LOCATION", Priority.CONTEXT)

    def wards(self, state: DocState) -> None:
        """'Nelson ward', 'Hackney borough'."""
        words = state.words
        for index in range(1, len(words)):
            word, previous = words[index], words[index - 1]
            if (
                word.lower in WARD_WORDS
                and word.text == word.lower
                and previous.is_title
                and joined_by_space(previous, word)
                and not previous.after_break
            ):
                state.add(previous.start, previous.end, "LOCATION", Priority.CONTEXT)

    def detect(self, state: DocState) -> None:
        self.gazetteer(state)
        self.introduced(state)
        self.districts(state)
        self.wards(state)
