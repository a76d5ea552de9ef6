"""Postcodes (NL, BE, UK, IE), street addresses, PO boxes, and the place named next to a
postcode. Streets are recognised by their form ("...straat 12", "12 ... Road") and, in
address blocks, by position: the line above a postcode line, the segment before it."""

from __future__ import annotations

import re

from anonymiser.gazetteer import Gazetteer
from anonymiser.lexicon import Lexicon
from anonymiser.state import DocState, Priority
from anonymiser.vocab import STREET_SUFFIXES, STREET_WORDS_EN
from anonymiser.words import Word, joined_by_space

# Every pattern starts with a lookahead for its first character (fast on ordinary text);
# names have bounded parts, and look-arounds stay within NEARBY characters, so that odd
# input (200 kB without a line break) stays linear.
NEARBY = 200
_CAPITALISED = r"[A-Z][\w'’.-]{0,40}"

NL_POSTCODE = re.compile(r"(?=\d)(?<![\w-])[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}(?![\w-])")
UK_POSTCODE = re.compile(r"(?=[A-Z])(?<![\w-])(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}(?![\w-])")
IE_EIRCODE = re.compile(
    r"(?=[A-Z])(?<![\w-])(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?(?=[0-9A-Z]*[A-Z])[0-9AC-FHKNPRTV-Y]{4}(?![\w-])"
)
# Belgian postcodes are bare numbers: only at a line start or after a comma, before a place.
BE_POSTCODE = re.compile(
    r"(?:^|(?<=[,\n])|(?<=B-)|(?<=\n[ \t]))[ \t]*(?P<code>[1-9]\d{3})(?= +[A-Z'])", re.MULTILINE
)
BE_PLACE = re.compile(r" +((?:'s[ -])?[A-Z][\w'’-]{0,40}(?:[ -][A-Z][\w'’-]{0,40}){0,3})")
YEAR_LIKE = re.compile(r"(?:19|20)\d{2}")
PLACE_AFTER = re.compile(
    rf"[ \t]+((?:'s[ -]|'t[ -])?{_CAPITALISED}"
    rf"(?:[ \t]+(?:{_CAPITALISED}|aan|den|de|op|in|der|upon|on|le|the)){{0,4}})"
)
PLACE_BEFORE = re.compile(rf"(?<![\w'’.-])({_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{0,2}})[,\s]*$")

PO_BOX = re.compile(r"(?=[pPaA])(?i:\b(?:postbus|p\.?\s?o\.?\s?box|antwoordnummer|postfach))\s+\d{1,6}\b")
# "14", "14a", "14-B", "14 A", "88-II", "14/2", "233 bus 4" (not "8 in Leiden")
HOUSE_NUMBER = re.compile(
    r"\d{1,5}(?:-?[a-zA-Z]{1,2}\b(?![-'’])| [A-Za-z]\b(?![-'’])|-[IVX]{1,4}\b|[-/]\d{1,4}\b)?"
    r"(?:\s*(?:bus|unit|box|hs|huis|bis)\s*\d{0,4}[a-zA-Z]?\b)?"
)
NOT_A_HOUSE_NUMBER = re.compile(r"\s?(?:jaar|year|uur|keer|x\b|%|km|min|euro|€)")
STRONG_STREET_SUFFIXES = (
    "straat",
    "laan",
    "weg",
    "gracht",
    "plein",
    "kade",
    "singel",
    "steenweg",
    "dreef",
    "boulevard",
)
STREET_CONNECTORS = frozenset({"de", "van", "der", "den", "en", "op", "aan", "het", "'t", "la", "of"})
STREET_LINKS = frozenset({"van", "op", "aan", "der", "de", "den"})  # "Laan van Meerdervoort"

_STREET_KIND = "|".join(sorted((w.capitalize() for w in STREET_WORDS_EN), key=len, reverse=True))
_NAME_WORDS = r"(?:[A-Z][\w'’-]{1,40}[ \t]+){0,3}"
_UNIT = r"(?i:flat|unit|apartment|apt\.?|suite|studio)[ \t]+\d+[A-Za-z]?"
_BUILDING = r"(?:House|Court|Centre|Center|Vicarage|Cottage|Lodge|Farm|Mill|Building|Hall|Barn|Manor)"
# "12 Westmorland Road"; a unit or building in front is found looking back from the number.
ENGLISH_STREET = re.compile(rf"(?=\d)(?<![\w-])\d{{1,4}}[A-Za-z]?[ \t]+{_NAME_WORDS}(?:{_STREET_KIND})\b")
UNIT_BEFORE = re.compile(rf"(?:{_UNIT},?[ \t]+|(?:The[ \t]+)?{_NAME_WORDS}{_BUILDING},[ \t]+)$")
# "Unit 4, Brinklow Business Park": a unit and a named place without a street number.
UNIT_STREET = re.compile(rf"(?=[FfUuAaSs]){_UNIT},[ \t]+{_NAME_WORDS}[A-Z][\w'’-]*[ \t]+(?:{_STREET_KIND})\b")
NAMED_STREET = re.compile(
    r"(?=[A-Z])(?<![\w-])(?:[A-Z][a-z]+[ \t]+){1,3}(?:Street|Road|Lane|Avenue|Square|Crescent|Drive)\b"
)

# A whole line holding a street and number, above a postcode line ("Slinge 402").
STREET_LINE = re.compile(
    rf"(?:{_UNIT},\s+)?(?:{_CAPITALISED}\s+){{0,3}}{_CAPITALISED}\s+"
    r"\d{1,5}(?:[ -]?[A-Za-z]{1,3}|[-/]\w{1,4})?(?:\s+(?:bus|unit)\s*\d+)?"
    r"|\d{1,4}[A-Za-z]?\s+(?:[A-Z][\w'’-]{0,40}\s*){1,4}"
    rf"|{_UNIT},\s+(?:[A-Z][\w'’-]{{0,40}}\s*){{1,5}}"
    rf"|(?:The\s+)?(?:[A-Z][\w'’-]{{0,40}}\s+){{1,3}}(?:{_STREET_KIND})"  # "Riversway Business Village"
)
# The segment before a postcode on its line: "43 North Bailey, Durham DH1 3EX",
# "Hoekenrode 8 | 1102 BR".
STREET_BEFORE_PLACE = re.compile(
    r"(?:^|[:,|]\s*)(\d{1,4}[A-Za-z]?\s+(?:[A-Z][\w'’-]{1,40}\s*){1,4}),\s*(?:[A-Z][\w'’-]{1,40}\s*){1,3},?\s*$"
)
# "The Compass Centre, Nelson Road, Hounslow TW6 2GW": a building and a street, no number.
BUILDING_BEFORE_PLACE = re.compile(
    rf"(?:^|[:|]\s*)((?:The[ \t]+)?{_NAME_WORDS}{_BUILDING},[ \t]+{_NAME_WORDS}(?:{_STREET_KIND})),"
    r"\s*(?:[A-Z][\w'’-]{1,40}\s*){1,3},?\s*$"
)
STREET_BEFORE_POSTCODE = re.compile(
    r"(?:^|[:,|]\s*)((?:[A-Z][\w'’-]{1,40}\s+){1,3}\d{1,5}[a-zA-Z]?)\s*[,|]\s*$"
)


def _line_start(text: str, position: int) -> int:
    return max(text.rfind("\n", max(0, position - NEARBY), position) + 1, position - NEARBY, 0)


class AddressRules:
    def __init__(self, lexicon: Lexicon) -> None:
        self.gazetteer: Gazetteer = lexicon.gazetteer

    def detect(self, state: DocState) -> None:
        if not state.has_digit:
            return  # every address and postcode has a number
        if state.mentions("postbus", "box", "antwoordnummer", "postfach"):
            for match in PO_BOX.finditer(state.text):
                state.add(*match.span(), "ADDRESS", Priority.VALIDATED)
        self.dutch_streets(state)
        self.english_streets(state)
        self.dutch_postcodes(state)
        self.uk_and_irish_postcodes(state)
        self.belgian_postcodes(state)

    # --- streets ----------------------------------------------------------------------

    def dutch_streets(self, state: DocState) -> None:
        words = state.words
        index = 0
        while index < len(words):
            word = words[index]
            if not _street_suffix(word):
                index += 1
                continue
            last = _street_end(words, index)
            first = _street_start(words, index)
            number_end = _house_number_end(state.text, words[last].end)
            if number_end is not None:
                state.add(words[first].start, number_end, "ADDRESS", Priority.VALIDATED)
            elif _street_suffix(word, strong=True) and word.lower not in STRONG_STREET_SUFFIXES:
                # a street without a number: "op de Vondellaan"
                state.add(words[first].start, words[last].end, "LOCATION", Priority.CONTEXT)
            index = last + 1

    def english_streets(self, state: DocState) -> None:
        text = state.text
        for match in ENGLISH_STREET.finditer(text):
            unit = UNIT_BEFORE.search(text, max(0, match.start() - 60), match.start())
            state.add(unit.start() if unit else match.start(), match.end(), "ADDRESS", Priority.VALIDATED)
        if state.mentions("flat", "unit", "apartment", "suite"):
            for match in UNIT_STREET.finditer(text):
                state.add(*match.span(), "ADDRESS", Priority.VALIDATED)
        for match in NAMED_STREET.finditer(text):
            state.add(*match.span(), "LOCATION", Priority.CONTEXT)  # "on Bridge Street"

    # --- postcodes and what is around them ----------------------------------------------

    def dutch_postcodes(self, state: DocState) -> None:
        text = state.text
        for match in NL_POSTCODE.finditer(text):
            start, end = match.span()
            at_line_start = text[_line_start(text, start) : start].strip(" \t,:") == ""
            followed_by_place = PLACE_AFTER.match(text, end) is not None
            if YEAR_LIKE.match(match.group()) and not (at_line_start or followed_by_place):
                continue  # "in 2025 AI ..." is not a postcode
            state.add(start, end, "POSTCODE", Priority.VALIDATED)
            _place_after(state, end)
            _street_above(state, start)
            _street_before(state, start)

    def uk_and_irish_postcodes(self, state: DocState) -> None:
        for pattern in (UK_POSTCODE, IE_EIRCODE):
            for match in pattern.finditer(state.text):
                start, end = match.span()
                state.add(start, end, "POSTCODE", Priority.VALIDATED)
                _place_before(state, start)
                _street_above(state, start)
                _street_before(state, start)

    def belgian_postcodes(self, state: DocState) -> None:
        text = state.text
        for match in BE_POSTCODE.finditer(text):
            start, end = match.span("code")
            place = BE_PLACE.match(text, end)
            if not place:
                continue
            line_end = text.find("\n", end, end + NEARBY)
            line_end = min(len(text), end + NEARBY) if line_end < 0 else line_end
            alone = text[place.end() : line_end].strip(" \t,.") == ""
            if place.group(1).lower() in self.gazetteer.places or (alone and _street_above(state, start)):
                state.add(start, end, "POSTCODE", Priority.VALIDATED)
                state.add(*place.span(1), "LOCATION", Priority.STRUCTURE)


def _street_suffix(word: Word, strong: bool = False) -> bool:
    if not word.is_capitalised or not word.is_alpha:
        return False
    return word.lower.endswith(STRONG_STREET_SUFFIXES if strong else STREET_SUFFIXES)


def _street_start(words: list[Word], index: int) -> int:
    """Extend a Dutch street name left over capitalised words and inner particles
    ("Burgemeester de Withstraat", "Bos en Lommerweg")."""
    first = index
    while first > 0 and joined_by_space(words[first - 1], words[first]):
        previous = words[first - 1]
        if previous.is_title and previous.is_alpha:
            first -= 1
        elif (
            previous.lower in STREET_CONNECTORS
            and first >= 2
            and words[first - 2].is_title
            and joined_by_space(words[first - 2], previous)
        ):
            first -= 2
        else:
            break
    return first


def _street_end(words: list[Word], index: int) -> int:
    """'Laan van Meerdervoort', 'Steenweg op Gierle': a street word, a link, a name."""
    probe = index + 1
    while (
        probe < len(words)
        and probe - index <= 3
        and joined_by_space(words[probe - 1], words[probe])
        and (words[probe].lower in STREET_LINKS or words[probe].is_title)
    ):
        probe += 1
    if probe - 1 > index and words[index + 1].lower in STREET_LINKS and words[probe - 1].is_title:
        return probe - 1
    return index


def _house_number_end(text: str, position: int) -> int | None:
    """End of a house number (with its addition) one or two spaces after ``position``."""
    gap = 0
    while position + gap < len(text) and text[position + gap] in " \t\u00a0":
        gap += 1
    if not 0 < gap <= 2:
        return None
    match = HOUSE_NUMBER.match(text, position + gap)
    if not match or NOT_A_HOUSE_NUMBER.match(text, match.end()):
        return None
    return match.end()


def _place_after(state: DocState, position: int) -> None:
    """'1016 EZ Amsterdam': the capitalised words after a postcode."""
    match = PLACE_AFTER.match(state.text, position)
    if match:
        start = match.start(1)
        state.add(start, start + len(match.group(1).rstrip(".")), "LOCATION", Priority.STRUCTURE)


def _place_before(state: DocState, position: int) -> None:
    """'Manchester M60 1QD', 'Swindon, SN1 2NS', 'Co. Cork P31 KD72'."""
    line_start = _line_start(state.text, position)
    match = PLACE_BEFORE.search(state.text[line_start:position])
    if match:
        name, offset = match.group(1), line_start + match.start(1)
        if name.startswith("Co. "):
            name, offset = name[4:], offset + 4
        if not any(char.isdigit() for char in name):
            state.add(offset, offset + len(name), "LOCATION", Priority.STRUCTURE)


def _street_above(state: DocState, position: int) -> bool:
    """An address block: the line above the postcode's line holds the street and number."""
    text = state.text
    line_start = _line_start(text, position)
    if line_start == 0 or text[line_start - 1] != "\n":
        return False
    previous_start = _line_start(text, line_start - 1)
    line = text[previous_start : line_start - 1]
    stripped = line.strip()
    if not STREET_LINE.fullmatch(stripped):
        return False
    offset = previous_start + line.index(stripped)
    state.add(offset, offset + len(stripped), "ADDRESS", Priority.STRUCTURE)
    return True


def _street_before(state: DocState, position: int) -> None:
    line_start = _line_start(state.text, position)
    before = state.text[line_start:position]
    match = (
        STREET_BEFORE_PLACE.search(before)
        or BUILDING_BEFORE_PLACE.search(before)
        or STREET_BEFORE_POSTCODE.search(before)
    )
    if match:
        state.add(line_start + match.start(1), line_start + match.end(1), "ADDRESS", Priority.STRUCTURE)
