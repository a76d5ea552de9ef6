import pytest


@pytest.mark.parametrize(
    ("text", "surface", "label"),
    [
        ("Mijn adres is Kastanjelaan 14-II, 3581 AB Utrecht.", "Kastanjelaan 14-II", "ADDRESS"),
        ("Mijn adres is Kastanjelaan 14-II, 3581 AB Utrecht.", "3581 AB", "POSTCODE"),
        ("Mijn adres is Kastanjelaan 14-II, 3581 AB Utrecht.", "Utrecht", "LOCATION"),
        ("Burgemeester Visserlaan 3a\n7411AB Deventer", "Burgemeester Visserlaan 3a", "ADDRESS"),
        ("Laan van Nieuw Oost-Indië 120\n2593 BX Den Haag", "Laan van Nieuw Oost-Indië 120", "ADDRESS"),
        ("Postbus 4150\n3006 AD Rotterdam", "Postbus 4150", "ADDRESS"),
        ("Brusselsesteenweg 412 bus 3\n9050 Gentbrugge", "Brusselsesteenweg 412 bus 3", "ADDRESS"),
        ("Brusselsesteenweg 412 bus 3\n9050 Gentbrugge", "9050", "POSTCODE"),
        ("Address: 7 Albert Road, Bristol BS2 0XJ", "7 Albert Road", "ADDRESS"),
        ("Address: 7 Albert Road, Bristol BS2 0XJ", "BS2 0XJ", "POSTCODE"),
        ("Flat 2, 16 Park Crescent\nLondon W1B 1AL", "Flat 2, 16 Park Crescent", "ADDRESS"),
        ("PO Box 81, Cardiff CF10 1XX", "PO Box 81", "ADDRESS"),
        ("23 Main Street, Swords, Co. Dublin K67 X2E5", "K67 X2E5", "POSTCODE"),
        ("Hoogstraat 9\n6211 GH Maastricht", "Maastricht", "LOCATION"),
        ("Kingsway Business Park\nOldham OL16 4NW", "Kingsway Business Park", "ADDRESS"),
        ("The Mill House, Station Road, Ely CB7 4BP", "The Mill House, Station Road", "ADDRESS"),
    ],
)
def test_addresses(check, text, surface, label):
    assert check.redacted(text, surface, label=label)


def test_house_number_addition_is_not_the_next_word(check):
    found = check.found("We zien elkaar aan de Stationsweg 8 in Leiden.")
    assert found == {"Stationsweg 8": "ADDRESS", "Leiden": "LOCATION"}


def test_address_block_without_street_suffix(check):
    text = "G. Mulder\nDe Weeren 12\n1234 AB Ergenshuizen"
    assert check.redacted(text, "De Weeren 12", label="ADDRESS")
    assert check.redacted(text, "Ergenshuizen", label="LOCATION")


@pytest.mark.parametrize(
    "text", ["Ik werk al 20 jaar in de zorg.", "Over 2025 AI-plannen gesproken.", "We hebben 3 kinderen."]
)
def test_numbers_in_sentences_are_no_addresses(check, text):
    assert not any(s.label in ("ADDRESS", "POSTCODE") for s in check.analyse(text).spans)
