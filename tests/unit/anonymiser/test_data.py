"""The shipped gazetteers and the pieces of the script that builds them."""

from anonymiser.build_data import transliterate
from anonymiser.gazetteer import load_gazetteer


def test_gazetteers_load_with_names_of_many_origins():
    gazetteer = load_gazetteer()
    for name in ("jan", "fatima", "mohammed", "chiamaka", "siobhan", "wei", "priya", "oksana", "mehmet"):
        assert name in gazetteer.first_names, name
    for name in ("jansen", "yilmaz", "nowak", "okafor", "patel"):
        assert name in gazetteer.surnames, name
    for place in ("utrecht", "'s-hertogenbosch", "antwerpen", "manchester", "cork", "lagos"):
        assert place in gazetteer.places, place
    assert "marokko" in gazetteer.countries and "marokko" not in gazetteer.places
    assert "tafel" in gazetteer.common_words["nl"] and "table" in gazetteer.common_words["en"]


def test_transliteration_of_cyrillic_and_greek_names():
    assert transliterate("Оксана") == "Oksana"
    assert transliterate("Дмитрий") == "Dmitriy"
    assert transliterate("Νίκος") == "Nikos"
    assert transliterate("李伟") is None
