from anonymiser.model import Span
from anonymiser.redaction import redact


def test_placeholders_are_numbered_per_distinct_value():
    text = "Jan belt Piet, daarna belt Jan opnieuw."
    spans = (Span(0, 3, "PERSON"), Span(9, 13, "PERSON"), Span(27, 30, "PERSON"))
    assert redact(text, spans, "nl") == "[NAAM-1] belt [NAAM-2], daarna belt [NAAM-1] opnieuw."


def test_short_mention_reuses_the_full_name_number():
    text = "Sophie de Ridder schreef. Groet, Sophie"
    spans = (Span(0, 16, "PERSON"), Span(33, 39, "PERSON"))
    assert redact(text, spans, "nl") == "[NAAM-1] schreef. Groet, [NAAM-1]"


def test_english_placeholders_and_line_structure():
    text = "Best,\nOlivia Grant\n+44 20 7946 0321\n"
    spans = (Span(6, 18, "PERSON"), Span(19, 35, "PHONE"))
    assert redact(text, spans, "en") == "Best,\n[NAME-1]\n[PHONE-1]\n"


def test_same_number_in_other_formats_is_the_same_value():
    text = "06-12345678 of 06 12 34 56 78"
    spans = (Span(0, 11, "PHONE"), Span(15, 29, "PHONE"))
    assert redact(text, spans, "nl") == "[TELEFOON-1] of [TELEFOON-1]"


def test_nothing_of_the_original_survives(check):
    text = "Hoi, ik ben Femke Jansen (femke.jansen@gmail.com, 06-23 45 67 89) uit Almere."
    redacted = check.analyse(text).redacted
    for secret in ("Femke", "Jansen", "femke", "gmail", "23 45", "Almere"):
        assert secret not in redacted
    assert redacted.startswith("Hoi, ik ben [NAAM-1] (")
