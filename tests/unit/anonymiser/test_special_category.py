import pytest


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Ik zit sinds maart thuis met een burn-out.", "mental_health"),
        ("Ik heb geen burn-out, maar ik ben wel op.", "mental_health"),  # negation still counts
        ("Mijn psycholoog vindt coaching een goed idee.", "mental_health"),
        ("I've been signed off work with anxiety.", "mental_health"),
        ("Na mijn darmkanker wil ik weer aan het werk.", "health"),
        ("Mijn moeder heeft alzheimer en ik zorg voor haar.", "health"),
        ("I'm 30 weeks pregnant and worried about my contract.", "health"),
        ("The GP says I need a phased return.", "health"),
        ("Ik heb MS en werk parttime.", "health"),
        ("Als moslima draag ik een hoofddoek.", "religion"),
        ("I can't work on Shabbat.", "religion"),
        ("Ik ben homo en mijn collega's maken grappen.", "sexual_orientation"),
        ("Since I came out as trans at work things changed.", "sexual_orientation"),
        ("Als zwarte vrouw word ik vaak over het hoofd gezien.", "ethnicity"),
        ("I keep facing racist remarks from a colleague.", "ethnicity"),
        ("Ik ben raadslid voor de VVD in Assen.", "political_opinion"),
        ("I'm a Green Party councillor.", "political_opinion"),
        ("Ik ben kaderlid van de FNV.", "trade_union"),
        ("Ik ben nu 4 jaar nuchter en wil weer werken.", "mental_health"),
        ("Sinds mijn hersenbloeding werk ik minder.", "health"),
        ("I was diagnosed with multiple sclerosis last year.", "health"),
        ("I'm the union rep at the depot.", "trade_union"),
        ("Ik ben draagster van een BRCA2-mutatie.", "genetic"),
        ("My employer wants my fingerprint for the clock-in system.", "biometric"),
    ],
)
def test_categories(check, text, category):
    analysis = check.analyse(text)
    assert analysis.special_category
    assert category in analysis.categories


@pytest.mark.parametrize(
    "text",
    [
        "Ik werk als verpleegkundige op de kinderafdeling en wil leidinggevende worden.",
        "I'm a psychologist and want to start my own practice.",
        "Ik studeer psychologie en wil weten wat ik daarmee kan.",
        "I'd like help with imposter syndrome in my new role.",
        "Yours faithfully,\nAnna",
        "Ik geloof dat ik toe ben aan iets nieuws.",
        "I work in mental health services as an administrator.",
        "We use MS Teams for all meetings.",
        "I want to take a sabbatical next year.",
        "Ik kom uit Marokko en werk in de logistiek.",
        "My contract converts to a permanent one in June.",
    ],
)
def test_not_special(check, text):
    assert check.analyse(text).categories == ()


def test_partner_of_the_writers_own_gender(check):
    text = "Ik ben Marieke en sinds kort getrouwd met mijn vrouw. Op werk reageren ze vreemd."
    assert "sexual_orientation" in check.analyse(text).categories


def test_categories_are_sorted_and_unique(check):
    analysis = check.analyse("Depressie, kanker, depressie en mijn geloof.")
    assert list(analysis.categories) == sorted(set(analysis.categories))
    assert analysis.categories == ("health", "mental_health", "religion")
