import pytest


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("geboren op 03-11-1971 in Gouda", "03-11-1971"),
        ("start 2025-09-01", "2025-09-01"),
        ("DOB: 22/08/1989", "22/08/1989"),
        ("Op 3 maart ben ik begonnen", "3 maart"),
        ("per 1 januari 2026 stop ik", "1 januari 2026"),
        ("Verzonden: di 14 jan. 2025 10:02", "14 jan. 2025"),
        ("starting March 3rd, 2025", "March 3rd, 2025"),
        ("my last day is the 28th of February", "28th of February"),
        ("Could we meet on 4 June?", "4 June"),
        ("kan ik donderdag 12/6 bellen?", "12/6"),
        ("interview on Tuesday 17th May", "17th May"),
    ],
)
def test_dates(check, text, surface):
    assert check.redacted(text, surface, label="DATE")


def test_weekday_stays_outside_the_date(check):
    text = "Ik kan op woensdag 19 maart om 10 uur."
    assert check.kept(text, "woensdag")
    assert check.redacted(text, "19 maart")


@pytest.mark.parametrize(
    "text",
    [
        "Sinds maart zit ik thuis.",
        "Ik ben bereikbaar op maandag en dinsdag.",
        "We werken 24/7 in ploegen.",
        "next Tuesday would be great",
        "I started in May and it's been hard.",
        "Ik ben 34 jaar en werk 32 uur per week.",
    ],
)
def test_vague_times_are_not_dates(check, text):
    assert not any(s.label == "DATE" for s in check.analyse(text).spans)
