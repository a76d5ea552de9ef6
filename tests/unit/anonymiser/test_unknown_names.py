import pytest


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Ik revalideer nu in Heliomare en dat gaat goed.", "Heliomare"),
        ("I had a long talk with Siebrand about it.", "Siebrand"),
        ("Mijn contract bij Qwerty Bouwadvies loopt af.", "Qwerty Bouwadvies"),
    ],
)
def test_unknown_capitalised_names(check, text, surface):
    assert check.redacted(text, surface)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Ik spreek goed Engels en een beetje Frans.", "Engels"),
        ("I'm a Muslim woman and work in retail.", "Muslim"),
        ("Mijn Wajong-uitkering stopt binnenkort.", "Wajong-uitkering"),
        ("Teamleider Inkoop\nGemeente Zoetermeer", "Inkoop"),
        ("Ik zoek hulp. Daarom schrijf ik jullie.", "Daarom"),
        ("We werken met Excel en Outlook.", "Outlook"),
        ("Kan ik mijn Persoonlijk Ontwikkelbudget gebruiken?", "Ontwikkelbudget"),
        ("Na mijn studie Bedrijfskunde werk ik bij een bank.", "Bedrijfskunde"),
        ("Ik geef les in Wiskunde en Natuurkunde.", "Wiskunde"),
        ("Subject: Career Change Enquiry\n\nHi, I would like to book a session.", "Enquiry"),
    ],
)
def test_ordinary_capitalised_words_stay(check, text, kept):
    assert check.kept(text, kept)
