"""Organisations: capitalised names with an organisation word in them ("... Ziekenhuis",
"University of ...", "Stichting ...", "... B.V."), capitalised names after the words that
introduce an employer, school or insurer ("werk bij", "at", "via", "namens"), local
government ("gemeente Haarlemmermeer"), and political parties and unions."""

from __future__ import annotations

import re

from anonymiser.lexicon import Lexicon
from anonymiser.special_terms import CASED_PHRASES, CASED_WORDS, is_special_term
from anonymiser.state import DocState, Priority
from anonymiser.vocab import (
    GENERIC_SERVICES,
    ORG_COMPOUND_ENDINGS,
    ORG_CONNECTORS,
    ORG_HEAD_CONNECTORS,
    ORG_LIST_CONNECTORS,
)
from anonymiser.words import Word, joined_by_space

MAX_ORG_WORDS = 7
MIN_COMPOUND_LENGTH = 7  # "Rabobank", "Hanzehogeschool"
ARTICLES = frozenset({"de", "het", "the", "een", "a", "an", "'t"})
CAPITALISED_ARTICLES = frozenset({"de", "het", "the", "'t"})  # "De Wegwijzer"
SAINTS = ("St", "Sint", "Saint")  # "St. Luke's Medical Center"
# Words right before a capitalised name that make it an organisation.
INTRODUCERS = frozenset(
    {
        "bij",
        "via",
        "namens",
        "at",
        "for",
        "join",
        "joined",
        "joining",
        "employer",
        "werkgever",
        "company",
        "bedrijf",
        "uitzendbureau",
        "zorgverzekeraar",
        "verzekeraar",
        "insurer",
        "school",
        "opleiding",
        "klant",
        "client",
        "opdrachtgever",
        "by",
        # "a small bakery, The Rolling Pin, ..."; "an agency called Pixelhaven"
        "bakery",
        "shop",
        "business",
        "firm",
        "startup",
        "start-up",
        "café",
        "restaurant",
        "bedrijfje",
        "winkel",
        "zaak",
        "salon",
        "called",
        "genaamd",
        "named",
        "heet",
    }
)
# These need a word about work or study shortly before ("docent op De Wegwijzer").
WEAK_INTRODUCERS = frozenset({"voor", "op", "aan", "van", "from", "with"})
# A first name after these still names an employer ("bij Albert Heijn").
EMPLOYER_INTRODUCERS = frozenset({"bij", "at", "for", "via", "by", "employer", "werkgever", "company"})
WORK_WORDS = frozenset(
    {
        "werk",
        "werkt",
        "werken",
        "gewerkt",
        "werkzaam",
        "baan",
        "job",
        "work",
        "works",
        "working",
        "worked",
        "role",
        "position",
        "stage",
        "internship",
        "traineeship",
        "contract",
        "functie",
        "lid",
        "member",
        "founder",
        "co-founder",
        "ceo",
        "director",
        "directeur",
        "eigenaar",
        "owner",
        "student",
        "studie",
        "studeer",
        "gestudeerd",
        "afgestudeerd",
        "graduated",
        "les",
        "docent",
        "teacher",
        "lecturer",
        "bedrijfsarts",
        "jobcoach",
        "behandelaar",
        "psycholoog",
        "consultant",
        "neurologist",
        "partner",
        "employee",
        "medewerker",
        "manager",
        "diploma",
        "degree",
        "masters",
        "master",
        "bachelor",
        "apprenticeship",
        "opgenomen",
        "behandeling",
        "treatment",
        "raadslid",
        "gemeenteraadslid",
        "councillor",
        "engineer",
        "analyst",
        "developer",
        "nurse",
        "verpleegkundige",
        "postdoc",
        "onderzoeker",
        "years",
        "jaar",
        "jaren",
        "months",
        "maanden",  # "12 years with Balfour Beatty"
    }
)
WORK_WINDOW = 4  # words before a weak introducer
# "founder of Loopwise", not "Head of People"
MEMBERSHIP_WORDS = frozenset(
    {
        "founder",
        "co-founder",
        "cofounder",
        "owner",
        "member",
        "ceo",
        "director",
        "employee",
        "student",
        "graduate",
        "alumnus",
        "alumna",
        "staff",
        "partner",
        "chair",
        "president",
    }
)
PLATFORMS = frozenset(
    {
        "telegram",
        "whatsapp",
        "linkedin",
        "instagram",
        "insta",
        "facebook",
        "twitter",
        "x",
        "tiktok",
        "snapchat",
        "signal",
        "teams",
        "zoom",
        "google",
        "indeed",
        "slack",
        "discord",
        "github",
        "youtube",
        "skype",
        "meet",
        "gmail",
        "outlook",
    }
)
ABBREVIATED_SUFFIXES = frozenset({"b.v", "n.v", "ltd", "inc", "co", "corp", "bros", "v.o.f"})
LOWER_CASE_SUFFIXES = frozenset({"plc", "ltd", "bv", "b.v", "nv", "n.v", "gmbh", "inc", "llp", "vof"})
LOCAL_GOVERNMENT = re.compile(
    r"\b(?:gemeente|provincie|stad|stadsdeel|municipality|city of|borough of)[ \t]+"
    r"(?P<place>(?:'s[ -])?[A-Z][\w'’-]{1,40}(?:[ \t]+(?:aan|den|op|de|[A-Z][\w'’-]{1,40})){0,4})"
)
PARTY_OR_UNION_NAMES = (CASED_WORDS["political_opinion"] | CASED_WORDS["trade_union"]) - {"MS", "ALS"}
PARTY_PHRASE = re.compile("|".join(re.escape(p) for p in CASED_PHRASES["political_opinion"]))


class OrganizationRules:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    # --- word tests -------------------------------------------------------------------

    def _head(self, word: Word) -> bool:
        """An organisation word, alone or ending a Dutch compound ("Hanzehogeschool")."""
        if self.lexicon.org_head(word):
            return True
        return (
            word.is_capitalised
            and len(word.lower) >= MIN_COMPOUND_LENGTH
            and word.lower.endswith(ORG_COMPOUND_ENDINGS)
        )

    def _name_word(self, word: Word) -> bool:
        capitalised = word.is_capitalised or (word.has_digit and word.is_upper)
        return (
            capitalised and (word.lower not in self.lexicon.blocked or self._head(word))
        ) or word.text in LOWER_CASE_SUFFIXES

    def _acronym(self, word: Word) -> bool:
        """'KLM', 'ASML': an all-capitals name that is no service or condition."""
        return (
            word.is_upper
            and word.is_alpha
            and 2 <= len(word.text) <= 6
            and not self.lexicon.never_name(word)
            and not is_special_term(word.lower)
        )

    def _generic(self, words: list[Word]) -> bool:
        key = " ".join(w.lower for w in words)
        return key in GENERIC_SERVICES or all(w.lower in GENERIC_SERVICES for w in words)

    # --- spans ------------------------------------------------------------------------

    def _sequence(self, words: list[Word], first: int) -> int:
        """Last index of a capitalised sequence with inner connectors ("Dundee and Angus
        College", "Lindeboom & Koster Advocaten", "Hogeschool van Arnhem en Nijmegen")."""
        index = first
        while index + 1 < len(words) and index + 1 - first < MAX_ORG_WORDS:
            following = words[index + 1]
            ampersand = following.gap_before.strip() == "&" and following.line == words[index].line
            if not (joined_by_space(words[index], following) or ampersand):
                break
            if self._name_word(following):
                index += 1
                continue
            if following.lower not in ORG_CONNECTORS:
                break
            target = self._after_connectors(words, index + 1)
            if target is None or not self._connector_fits(words, first, index, target):
                break
            index = target
        return index

    def _after_connectors(self, words: list[Word], index: int) -> int | None:
        """The name word after one to three connectors ("of the", "van de"), if any."""
        probe = index
        while (
            probe + 1 < len(words)
            and words[probe].lower in ORG_CONNECTORS
            and joined_by_space(words[probe], words[probe + 1])
            and probe - index < 3
        ):
            probe += 1
        word = words[probe]
        return probe if self._name_word(word) and word.lower not in ORG_CONNECTORS else None

    def _connector_fits(self, words: list[Word], first: int, index: int, target: int) -> bool:
        connector = words[index + 1].lower
        if connector in ORG_LIST_CONNECTORS:
            # "Rabobank and I'd": "and" joins names only around an organisation word.
            before = any(self._head(w) for w in words[first : index + 1])
            return before or any(self._head(w) for w in words[target : self._sequence(words, target) + 1])
        if connector in ORG_HEAD_CONNECTORS:
            return self._head(words[index])  # "Centrum voor ...", not "Venlo for Vos Logistics"
        return True

    def _start(self, words: list[Word], index: int) -> int:
        """Include "St"/"St." and a capitalised article ("De Wegwijzer") before a name."""
        if index == 0:
            return index
        previous, word = words[index - 1], words[index]
        if previous.text in SAINTS and previous.line == word.line and word.gap_before.strip() in ("", "."):
            return index - 1
        if previous.is_title and previous.lower in CAPITALISED_ARTICLES and joined_by_space(previous, word):
            return index - 1
        return index

    def _end(self, state: DocState, word: Word) -> int:
        """Include the period of "B.V.", "Ltd.", "Inc."."""
        if word.lower in ABBREVIATED_SUFFIXES and state.text[word.end : word.end + 1] == ".":
            return word.end + 1
        return word.end

    def _add(self, state: DocState, words: list[Word], first: int, last: int) -> None:
        start = words[self._start(words, first)].start
        state.add(start, self._end(state, words[last]), "ORGANIZATION", Priority.CONTEXT)

    # --- rules ------------------------------------------------------------------------

    def heads(self, state: DocState) -> None:
        words = state.words
        index = 0
        while index < len(words):
            word = words[index]
            if (
                not (word.is_capitalised or word.text in LOWER_CASE_SUFFIXES)
                or not self._name_word(word)
                or state.in_pattern(word)
            ):
                index += 1
                continue
            last = self._sequence(words, index)
            span = words[index : last + 1]
            compound = (
                len(span) == 1
                and self._head(word)
                and not self.lexicon.org_head(word)
                and not self.lexicon.common(word)
            )
            if any(self._head(w) for w in span) and (len(span) > 1 or compound) and not self._generic(span):
                self._add(state, words, index, last)
            index = last + 1

    def _introduces(self, words: list[Word], index: int) -> bool:
        lower = words[index].lower
        if lower in INTRODUCERS:
            return True
        if lower == "of":
            return index > 0 and words[index - 1].lower in MEMBERSHIP_WORDS
        if lower not in WEAK_INTRODUCERS:
            return False
        window = words[max(0, index - WORK_WINDOW) : index]
        about_work = any(w.lower in WORK_WORDS or self.lexicon.job(w) for w in window)
        return about_work or self._acronym(words[index + 1])

    def _target(self, words: list[Word], index: int) -> int | None:
        """The first name word after an introducer: past a lower-case article, through a
        capitalised one ("op De Piramide")."""
        target = index + 1
        if (
            words[target].lower in ARTICLES
            and not words[target].is_capitalised
            and joined_by_space(words[index], words[target])
        ):
            target += 1
        if target >= len(words) or words[target].line != words[index].line:
            return None
        if words[target].gap_before.strip() not in ("", ",", ":", "("):
            return None
        word = words[target]
        if (
            word.is_title
            and word.lower in CAPITALISED_ARTICLES
            and target + 1 < len(words)
            and joined_by_space(word, words[target + 1])
            and self._name_word(words[target + 1])
        ):
            target += 1
        return target

    def introduced(self, state: DocState) -> None:
        words = state.words
        for index in range(len(words) - 1):
            if not self._introduces(words, index):
                continue
            target = self._target(words, index)
            if target is None:
                continue
            first = words[target]
            if (
                not self._name_word(first)
                or state.in_pattern(first)
                or first.lower in PLATFORMS
                or self.lexicon.never_name(first)
            ):
                continue
            last = self._sequence(words, target)
            span = words[target : last + 1]
            if self._generic(span) or state.is_protected(span[0].start, span[-1].end):
                continue
            key = " ".join(w.lower for w in span)
            if self.lexicon.country(key):
                continue
            if self.lexicon.place(key):
                state.add(span[0].start, span[-1].end, "LOCATION", Priority.CONTEXT)
                continue
            if self._looks_like_something_else(words, index, target, span):
                continue
            self._add(state, words, target, last)

    def _looks_like_something_else(
        self, words: list[Word], index: int, target: int, span: list[Word]
    ) -> bool:
        introducer = words[index].lower
        first = span[0]
        weak = introducer in WEAK_INTRODUCERS
        named = self._start(words, target) < target  # "De Piramide"
        if weak and len(span) == 1 and self.lexicon.common(first) and not first.is_upper and not named:
            return True  # "roles in Finance", "voor Marketing"
        if self.lexicon.first_name(first) and introducer not in EMPLOYER_INTRODUCERS:
            return not any(self._head(w) for w in span)  # "namens Jan de Vries": a person
        return False

    def local_government_parties_and_unions(self, state: DocState) -> None:
        for match in LOCAL_GOVERNMENT.finditer(state.text):
            state.add(*match.span(), "ORGANIZATION", Priority.CONTEXT)
        for word in state.words:
            if word.text in PARTY_OR_UNION_NAMES:
                state.add(word.start, word.end, "ORGANIZATION", Priority.CONTEXT)
        for match in PARTY_PHRASE.finditer(state.text):
            # "a Labour councillor" -> "Labour"
            parts = match.group().split()
            start, end = match.span()
            while parts and parts[0].islower():
                start += len(parts.pop(0)) + 1
            while parts and parts[-1].islower():
                end -= len(parts.pop()) + 1
            if parts:
                state.add(start, end, "ORGANIZATION", Priority.CONTEXT)

    def detect(self, state: DocState) -> None:
        self.heads(state)
        self.introduced(state)
        self.local_government_parties_and_unions(state)
