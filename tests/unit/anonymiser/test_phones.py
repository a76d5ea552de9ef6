import pytest


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("bel me op 06-12 34 56 78", "06-12 34 56 78"),
        ("Tel. 020 - 624 11 53 (werk)", "020 - 624 11 53"),
        ("mobiel: +31 (0)6 4812 7735", "+31 (0)6 4812 7735"),
        ("gsm 0472/12.34.56", "0472/12.34.56"),
        ("Bel gerust: 0032 478 11 22 33.", "0032 478 11 22 33"),
        ("call me on 07911 123456", "07911 123456"),
        ("office +44 (0)161 496 0123", "+44 (0)161 496 0123"),
        ("my Irish number is 087 123 4567", "087 123 4567"),
        ("whatsapp +49 151 23456789", "+49 151 23456789"),
        ("thuis 0344-612345 of 06–29 11 74 55", "06–29 11 74 55"),
        ("0183-44 19 20 / 06 46 71 02 88", "06 46 71 02 88"),
        ("call (+44) 7700 900123 after six", "(+44) 7700 900123"),  # a reserved (fictional) range
        ("whatsapp (+31 6 4812 7735) please", "+31 6 4812 7735"),
    ],
)
def test_phone_formats(check, text, surface):
    assert check.redacted(text, surface, label="PHONE")


def test_bracket_around_a_number_stays(check):
    text = "whatsapp (+31 6 4812 7735) please"
    assert check.found(text) == {"+31 6 4812 7735": "PHONE"}


@pytest.mark.parametrize(
    "text",
    [
        "Ik verdien 3500 euro per maand en werk 36 uur.",
        "Het contract loopt van 2019 tot 2024.",
        "geboren op 12-03-1985",
        "Bestelnummer 4455 6677 88",
    ],
)
def test_numbers_that_are_not_phone_numbers(check, text):
    assert not any(s.label == "PHONE" for s in check.analyse(text).spans)
