import pytest


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Ik woon in Hengelo en werk in Enschede.", "Hengelo"),
        ("Ik woon in Amsterdam-Noord.", "Amsterdam-Noord"),
        ("Ik kom uit 's-Hertogenbosch.", "'s-Hertogenbosch"),
        ("I live in Milton Keynes.", "Milton Keynes"),
        ("we moved from Lagos to Eindhoven", "Lagos"),
        ("Ik woon in de wijk Transvaal.", "Transvaal"),
        ("Ik woon in Utrecht, Overvecht.", "Overvecht"),
        ("i live in Best now", "Best"),
        ("I grew up in Reading.", "Reading"),
        ("Councillor for Abbey ward", "Abbey"),
        ("hoi, ik kom uit Molenbeek en zoek werk", "Molenbeek"),
    ],
)
def test_places(check, text, surface):
    assert check.redacted(text, surface)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Ik kom uit Marokko en woon hier sinds 2015.", "Marokko"),
        ("I moved from Poland two years ago.", "Poland"),
        ("Best regards,\nme", "Best"),
        ("I've been reading job ads all day.", "reading"),
        ("In March I started a new job.", "March"),
        ("Can we do the sessions in English?", "English"),
    ],
)
def test_not_places(check, text, kept):
    assert check.kept(text, kept)
