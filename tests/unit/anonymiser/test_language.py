import pytest

from anonymiser.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hoi, ik zoek een coach voor mijn loopbaan.", "nl"),
        ("Hi, I'm looking for a career coach.", "en"),
        ("goeiemorgen, ik ben al 22 jaar bakker", "nl"),
        ("hey, Tom here, been a chef 10 yrs", "en"),
        ("", "nl"),
        ("12345 !!!", "nl"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_language_is_detected_when_not_given(check):
    assert check.analyse("My name is Anna and I need help with my CV.").language == "en"
    assert check.analyse("Ik heet Anna en ik wil hulp bij mijn cv.").language == "nl"
    assert check.analyse("Ik heet Anna.", lang="en").language == "en"
