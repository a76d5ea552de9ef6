"""Names of people: found from context (titles, initials, "ik ben", "my name is",
relations such as "mijn vrouw", greetings, "Tom here") and from the first-name gazetteer,
then extended over surnames, particles ("van 't", "de", "El") and hyphenated parts."""

from __future__ import annotations

from itertools import pairwise

from anonymiser.lexicon import Lexicon
from anonymiser.special_terms import is_special_term
from anonymiser.state import DocState, Priority
from anonymiser.vocab import (
    GENERIC_ADDRESSEES,
    GREETINGS,
    MONTHS,
    NAME_PARTICLES,
    POSSESSIVES,
    RELATIONS,
    TITLES,
)
from anonymiser.words import Word, joined_by_space

MAX_NAME_WORDS = 5
TRIGGERS = (
    ("ik", "ben"),
    ("mijn", "naam", "is"),
    ("mn", "naam", "is"),
    ("m'n", "naam", "is"),
    ("naam", "is"),
    ("ik", "heet"),
    ("roepnaam",),
    ("noem", "me"),
    ("noemen", "me"),
    ("spreekt", "met"),
    ("i'm",),
    ("im",),
    ("i", "am"),
    ("my", "name", "is"),
    ("my", "name's"),
    ("name's",),
    ("name", "is"),
    ("this", "is"),
    ("it's",),
    ("call", "me"),
    ("called",),
    ("known", "as"),
    ("aka",),
    ("namens",),
    ("on", "behalf", "of"),
    ("t.n.v",),
    ("t.a.v",),
)
SENTENCE_START_TRIGGERS = (("ben",), ("is",))  # chat: "ben joep uit Echt"
# Form fields: "Naam: ...", "Full name: ..." (only with the colon).
FIELD_LABELS = frozenset(
    {
        "naam",
        "name",
        "voornaam",
        "achternaam",
        "roepnaam",
        "contactpersoon",
        "aanvrager",
        "werknemer",
        "medewerker",
        "cliënt",
        "client",
        "patient",
        "patiënt",
        "deelnemer",
        "participant",
        "candidate",
        "kandidaat",
        "employee",
        "student",
        "sender",
        "afzender",
    }
)
SELF_INTRODUCTIONS = frozenset(
    {
        ("ik", "ben"),
        ("mijn", "naam", "is"),
        ("mn", "naam", "is"),
        ("m'n", "naam", "is"),
        ("ik", "heet"),
        ("i'm",),
        ("im",),
        ("i", "am"),
        ("my", "name", "is"),
        ("my", "name's"),
        ("name's",),
    }
)
# After these an unknown lower-case word is not taken for a name.
WEAK_TRIGGERS = frozenset({("this", "is"), ("it's",), ("namens",), ("on", "behalf", "of"), ("called",)})
TRIGGERS_BY_LAST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _trigger in TRIGGERS + SENTENCE_START_TRIGGERS:
    TRIGGERS_BY_LAST_WORD.setdefault(_trigger[-1], []).append(_trigger)
FULL = frozenset({"full", "volledige"})  # "Full name:", "Volledige naam:"
HERE_WORDS = frozenset({"here", "hier"})
CLAUSE_END = frozenset(",.!?;:()-–—…/\n")
CLAUSE_END_WORDS = frozenset({"uit", "from", "van", "and", "en", "here", "hier", "btw", "lol", "haha"})
# Titles that are also ordinary words: "coach Lisa" yes, "Sister Act" no.
AMBIGUOUS_TITLES = frozenset({"coach", "sister", "brother", "father"})
MAX_CHAT_NAME = 8  # letters of an unknown lower-case name ("mo")


class PersonRules:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    # --- word tests -------------------------------------------------------------------

    def _surname_like(self, word: Word, after_initials: bool = False) -> bool:
        """A capitalised word right after a name ("Robin Schaap", "Olivia Grant"): mid-
        sentence capitals mark names in both languages, so ordinary words count too, but
        not job titles that are no surname ("Manager"; "Kok" is both)."""
        if not self.lexicon.name_like(word) or (word.after_break and not after_initials):
            return False
        return not self.lexicon.job(word) or self.lexicon.surname(word)

    def _real_surname(self, word: Word) -> bool:
        """Known as a surname, or no ordinary word ("Harcourt", "Smith"; not "Careers")."""
        return self.lexicon.surname(word) or not self.lexicon.common(word)

    def _ends_clause(self, words: list[Word], index: int) -> bool:
        """Nothing name-like follows: punctuation, an emoji, a line end or the text end."""
        if index + 1 >= len(words):
            return True
        following = words[index + 1]
        return (
            following.after_break
            or any(char in CLAUSE_END for char in following.gap_before)
            or following.text.isdigit()
            or following.lower in CLAUSE_END_WORDS
        )

    def _month_name(self, words: list[Word], index: int) -> bool:
        word = words[index]
        return self.lexicon.first_name(word) and word.lower in MONTHS and self._ends_clause(words, index)

    def _country_name(self, words: list[Word], index: int) -> bool:
        """'im jordan, 23': a first name that is also a country, right after "I'm"."""
        word = words[index]
        country = self.lexicon.country(word.lower)
        return country and self.lexicon.first_name(word) and self._ends_clause(words, index)

    def _lower_name(self, words: list[Word], index: int, strong: bool) -> bool:
        """A lower-case chat name ("ik ben daan, 19"), only ever after a trigger."""
        word = words[index]
        if not word.is_alpha or len(word.text) < 2 or word.text != word.lower:
            return False
        if strong and (self._month_name(words, index) or self._country_name(words, index)):
            return True
        if self.lexicon.never_name(word) or self.lexicon.job(word) or word.lower in NAME_PARTICLES:
            return False
        known = self.lexicon.first_name(word)
        common = self.lexicon.common(word)
        if known and not common:
            return True
        if known:
            return self._ends_clause(words, index)
        # An unknown word ("ik ben mo 😂") only right before punctuation or an emoji.
        following = words[index + 1] if index + 1 < len(words) else None
        return (
            strong
            and not common
            and len(word.text) <= MAX_CHAT_NAME
            and (following is None or following.line != word.line or following.gap_before.strip() != "")
        )

    def _start_ok(self, words: list[Word], index: int, allow_lower: bool, strong: bool) -> bool:
        word = words[index]
        if word.is_title and word.is_alpha:
            if strong and (self._month_name(words, index) or self._country_name(words, index)):
                return True  # "i'm April 🌸", "I'm Jordan,"
            if self.lexicon.never_name(word) or self.lexicon.job(word):
                return False
            if word.lower in NAME_PARTICLES:
                return index + 1 < len(words) and self._surname_like(words[index + 1])
            if self.lexicon.nationality(word):
                return False
            if self.lexicon.common(word) and not self.lexicon.first_name(word):
                # "I'm British", "Ik ben Nederlander": only a name when a surname follows.
                return (
                    index + 1 < len(words)
                    and joined_by_space(word, words[index + 1])
                    and self._surname_like(words[index + 1])
                    and self.lexicon.surname(words[index + 1])
                )
            return True
        if word.is_initials and self._initials_end(words, index):
            return True
        return allow_lower and self._lower_name(words, index, strong)

    def _initials_end(self, words: list[Word], index: int) -> bool:
        word = words[index]
        return (
            index + 1 < len(words)
            and words[index + 1].gap_before.startswith(".")
            and words[index + 1].line == word.line
        )

    # --- spans ------------------------------------------------------------------------

    def extend(self, words: list[Word], first: int, lower: bool = False) -> int:
        """Index of the last word of a name starting at ``first``; ``lower``: the name is
        written in lower case ("thijs van 't veer")."""
        index = first
        while index + 1 < len(words) and index + 1 - first < MAX_NAME_WORDS:
            current, following = words[index], words[index + 1]
            after_initials = (
                current.is_initials and following.gap_before.strip() == "." and following.line == current.line
            )
            if not (joined_by_space(current, following) or after_initials):
                break
            if following.lower in NAME_PARTICLES:
                surname = self._after_particles(words, index + 1, lower, current.is_initials)
                if surname is None:
                    break
                index = surname
            elif (
                self._surname_like(following, after_initials=current.is_initials)
                or (following.is_initials and self._initials_end(words, index + 1))
                or (
                    lower
                    and following.text == following.lower
                    and self.lexicon.surname(following)
                    and not self.lexicon.common(following)
                )
            ):
                index += 1
            else:
                break
        return index

    def _after_particles(
        self, words: list[Word], index: int, lower: bool, after_initials: bool
    ) -> int | None:
        """The surname after one to three particles ("van der", "van 't", "El"), if any."""
        probe = index
        while (
            probe + 1 < len(words)
            and words[probe].lower in NAME_PARTICLES
            and joined_by_space(words[probe], words[probe + 1])
            and probe - index < 2
        ):
            probe += 1
        surname = words[probe]
        if probe == index and surname.lower in NAME_PARTICLES:
            return None
        lower_surname = (
            lower
            and surname.text == surname.lower
            and surname.is_alpha
            and not self.lexicon.never_name(surname)
        )
        return probe if self._surname_like(surname, after_initials) or lower_surname else None

    def _add(self, state: DocState, words: list[Word], first: int, last: int, priority: int) -> None:
        end = words[last].end
        if words[last].is_initials and state.text[end : end + 1] == ".":
            end += 1
        if not state.is_protected(words[first].start, end):
            state.add(words[first].start, end, "PERSON", priority)

    def _from(
        self,
        state: DocState,
        words: list[Word],
        index: int,
        priority: int,
        allow_lower: bool,
        strong: bool = False,
    ) -> bool:
        if index >= len(words) or state.in_pattern(words[index]):
            return False
        if not self._start_ok(words, index, allow_lower, strong):
            return False
        lower = words[index].text == words[index].lower
        self._add(state, words, index, self.extend(words, index, lower), priority)
        return True

    # --- rules ------------------------------------------------------------------------

    def _trigger_before(self, words: list[Word], index: int) -> tuple[str, ...] | None:
        """The trigger phrase ("ik ben", "my name is") right before ``words[index]``."""
        word = words[index]
        for trigger in TRIGGERS_BY_LAST_WORD.get(words[index - 1].lower, ()):
            size = len(trigger)
            if index < size:
                continue
            before = words[index - size : index]
            if tuple(w.lower for w in before) != trigger:
                continue
            if trigger in SENTENCE_START_TRIGGERS and not before[0].after_break:
                continue
            if not all(joined_by_space(a, b) for a, b in pairwise(before)):
                continue
            if word.line == before[-1].line and not any(char in ".!?;\n" for char in word.gap_before):
                return trigger
        return None

    def triggers(self, state: DocState, words: list[Word]) -> None:
        for index in range(1, len(words)):
            if words[index - 1].lower not in TRIGGERS_BY_LAST_WORD:
                continue
            trigger = self._trigger_before(words, index)
            if trigger is None:
                continue
            strong = trigger not in WEAK_TRIGGERS
            found = self._from(state, words, index, Priority.CONTEXT, allow_lower=True, strong=strong)
            if found and trigger in SELF_INTRODUCTIONS:
                state.note_writer(self.lexicon.gender(words[index]))

    def fields(self, state: DocState, words: list[Word]) -> None:
        """'Naam: Brechtje Oosterveld', 'Full name: ...'."""
        for index, word in enumerate(words[1:], start=1):
            label = words[index - 1]
            if word.gap_before.strip() != ":" or word.line != label.line:
                continue
            full_name = label.lower in ("name", "naam") and index > 1 and words[index - 2].lower in FULL
            if full_name or (label.lower in FIELD_LABELS and label.line_start):
                self._from(state, words, index, Priority.STRUCTURE, allow_lower=False)

    def surname_pairs(self, state: DocState, words: list[Word]) -> None:
        """'Chidi Okeke': an unknown capitalised word before a known (rare) surname."""
        for index, word in enumerate(words[1:], start=1):
            if not word.is_title:
                continue
            previous = words[index - 1]
            if not (previous.is_title and self.lexicon.surname(word) and joined_by_space(previous, word)):
                continue
            if self.lexicon.common(word) or self.lexicon.common(previous):
                continue
            if not self.lexicon.name_like(previous):
                continue
            if self.lexicon.place(previous.lower) or self.lexicon.place(f"{previous.lower} {word.lower}"):
                continue
            if state.in_pattern(previous) or state.is_protected(previous.start, word.end):
                continue
            self._add(state, words, index - 1, self.extend(words, index), Priority.GAZETTEER)

    def relations(self, state: DocState, words: list[Word]) -> None:
        for index, word in enumerate(words[:-1]):
            if word.lower not in RELATIONS:
                continue
            following = words[index + 1]
            if following.line != word.line or following.gap_before.strip() not in ("", ","):
                continue
            if word.is_capitalised and word.line_start:
                continue  # "Teamleider Inkoop": a job title in a signature
            possessed = index > 0 and words[index - 1].lower in POSSESSIVES
            if following.text == following.lower and not possessed:
                continue
            self._from(state, words, index + 1, Priority.CONTEXT, allow_lower=possessed)

    def _name_after_title(self, words: list[Word], index: int) -> bool:
        following = words[index + 1]
        if following.is_initials:
            return True
        if following.is_title and following.lower in NAME_PARTICLES:  # "de heer De Bruijn"
            return index + 2 < len(words) and self._surname_like(words[index + 2])
        if not following.is_title or not following.is_alpha or self.lexicon.never_name(following):
            return False
        if words[index].lower in AMBIGUOUS_TITLES and self.lexicon.common(following):
            return self.lexicon.surname(following) or self.lexicon.first_name(following)
        return True

    def titles(self, state: DocState, words: list[Word]) -> None:
        """'mevrouw Terpstra', 'Dr Okonjo', 'dhr. P.J.M. van Rijn' (the title stays)."""
        for index, word in enumerate(words[:-1]):
            title = word.lower
            if title not in TITLES and not (title == "heer" and index > 0 and words[index - 1].lower == "de"):
                continue
            following = words[index + 1]
            if following.line != word.line or following.gap_before.strip() not in ("", "."):
                continue
            if not self._name_after_title(words, index):
                continue
            last = self.extend(words, index + 1)
            if not (following.is_initials and last == index + 1):
                self._add(state, words, index + 1, last, Priority.STRUCTURE)

    def initials(self, state: DocState, words: list[Word]) -> None:
        for index, word in enumerate(words[:-1]):
            if not word.is_initials or not self._initials_end(words, index) or state.in_pattern(word):
                continue
            following = words[index + 1]
            if not (following.is_title or following.lower in NAME_PARTICLES):
                continue
            last = self.extend(words, index)
            if last == index:
                continue
            surname = words[last]
            if self.lexicon.surname(surname) or not self.lexicon.common(surname):
                self._add(state, words, index, last, Priority.STRUCTURE)

    def greetings(self, state: DocState, words: list[Word]) -> None:
        for index, word in enumerate(words[:-1]):
            if not word.line_start or word.lower not in GREETINGS:
                continue
            target = index + 1
            if words[target].line != word.line or words[target].gap_before.strip(" ,") != "":
                continue
            if words[target].lower in TITLES or words[target].lower in GENERIC_ADDRESSEES:
                continue
            if not self._start_ok(words, target, allow_lower=True, strong=True):
                continue
            last = self.extend(words, target, words[target].text == words[target].lower)
            if self._ends_clause(words, last):
                self._add(state, words, target, last, Priority.STRUCTURE)

    def here(self, state: DocState, words: list[Word]) -> None:
        """'karen here', 'hi, Tom here', 'tess hier'."""
        for index, word in enumerate(words[1:], start=1):
            if word.lower not in HERE_WORDS or not joined_by_space(words[index - 1], word):
                continue
            first = index - 1
            while (
                first > 0
                and joined_by_space(words[first - 1], words[first])
                and index - first < 3
                and words[first - 1].is_title
                and not self.lexicon.never_name(words[first - 1])
            ):
                first -= 1
            opener = words[first]
            starts = (
                opener.after_break
                or "," in opener.gap_before
                or (first > 0 and words[first - 1].lower in GREETINGS)
            )
            lower_unknown = (
                first == index - 1
                and opener.text == opener.lower
                and opener.is_alpha
                and not self.lexicon.common(opener)
                and not self.lexicon.never_name(opener)
            )
            if starts and (lower_unknown or self._start_ok(words, first, allow_lower=True, strong=True)):
                self._add(state, words, first, index - 1, Priority.CONTEXT)

    def gazetteer(self, state: DocState, words: list[Word]) -> None:
        for index, word in enumerate(words):
            if not word.is_title or not word.is_alpha or not self.lexicon.first_name(word):
                continue
            if self.lexicon.never_name(word) or state.in_pattern(word):
                continue
            if state.is_protected(word.start, word.end):
                continue
            last = self.extend(words, index)
            sentence_start = word.after_break or word.lower in self.lexicon.stop_words
            ordinary_start = self.lexicon.common(word) and sentence_start
            if ordinary_start and last > index and not self._real_surname(words[index + 1]):
                last = index  # "Early Careers Manager": an ordinary word, not a first name
            if last == index and (ordinary_start or is_special_term(word.lower)):
                continue  # "Ben nu boekhouder", "Will you...", "Na mijn studie", "a Muslim woman"
            first = index
            if index > 0 and joined_by_space(words[index - 1], word):
                previous = words[index - 1]
                if (
                    self.lexicon.name_like(previous)
                    and not self.lexicon.common(previous)
                    and not self.lexicon.job(previous)
                ):
                    first = index - 1
            self._add(state, words, first, last, Priority.GAZETTEER)

    def detect(self, state: DocState) -> None:
        words = state.words
        self.titles(state, words)
        self.initials(state, words)
        self.fields(state, words)
        self.triggers(state, words)
        self.relations(state, words)
        self.greetings(state, words)
        self.here(state, words)
        self.gazetteer(state, words)
        self.surname_pairs(state, words)
