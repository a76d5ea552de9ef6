import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymiser import Analysis, Anonymiser, Span
from anonymiser.errors import UnsupportedLanguage
from anonymiser.model import CATEGORIES, LABELS
from intake.errors import IntakeError, TextTooLong


def assert_valid(text: str, analysis: Analysis) -> None:
    assert isinstance(analysis, Analysis)
    assert analysis.language in ("nl", "en")
    previous_end = 0
    for span in analysis.spans:
        assert isinstance(span, Span) and span.label in LABELS
        assert previous_end <= span.start < span.end <= len(text)
        previous_end = span.end
    assert set(analysis.categories) <= set(CATEGORIES)
    assert analysis.special_category == bool(analysis.categories)


def test_result_contract(anonymiser):
    text = "Beste Jan,\n\nIk heb een burn-out. Bel me op 06-12345678.\n\nGroet, Fatima"
    analysis = anonymiser.analyse(text, "nl")
    assert_valid(text, analysis)
    assert analysis.categories == ("mental_health",)
    assert analysis.redacted.count("\n") == text.count("\n")


def test_analyse_many_keeps_order_across_languages_and_batches(anonymiser):
    dutch = [(f"Ik ben Jan nummer {i}.", "nl") for i in range(10)]
    english = [(f"I am Jane number {i}.", None) for i in range(10)]  # language detected
    items = [dutch[i] if i % 2 else english[i] for i in range(10)]
    results = list(anonymiser.analyse_many(items, batch_size=3))
    assert [r.language for r in results] == ["en" if i % 2 == 0 else "nl" for i in range(10)]
    assert all(r.redacted.endswith(f"{i}.") for i, r in enumerate(results))


def test_text_over_the_limit(anonymiser):
    small = Anonymiser(anonymiser._pipelines, max_chars=1000)
    with pytest.raises(TextTooLong) as raised:
        small.analyse("Jan de Vries " * 100)
    assert "Jan" not in str(raised.value)
    assert isinstance(raised.value, IntakeError)


def test_unsupported_language(anonymiser):
    with pytest.raises(UnsupportedLanguage):
        anonymiser.analyse("Bonjour", lang="fr")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n\t ",
        "\x00\x01\x02 Jan \x1b[31m de Vries \x7f",
        "lone \ud800 surrogate and \udfff other, Pieter",
        "😀😀 ik ben Noor 👋🏽 uit Assen 🇳🇱",
        "Меня зовут Ольга, 我叫李伟, اسمي فاطمة, ik ben Olga",
        "a" * 5000,
        "0" * 3000,
        "@" * 1000 + "." * 1000,
        "😀" * 20_000,  # spaCy's own tokenizer needs minutes for long runs like these
        "!?" * 10_000,
        "nummer" * 3_000,
    ],
)
def test_odd_input_does_not_crash(anonymiser, text):
    assert_valid(text, anonymiser.analyse(text))


def test_large_text(anonymiser):
    chunk = "Hallo, ik ben Jan de Vries uit Utrecht, bel 06-12345678 of mail jan@example.nl. "
    text = (chunk * (200_000 // len(chunk) + 1))[:200_000]
    analysis = anonymiser.analyse(text)
    assert_valid(text, analysis)
    assert "jan@example.nl" not in analysis.redacted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_gives_a_valid_analysis(anonymiser, text):
    assert_valid(text, anonymiser.analyse(text))


def test_pipeline_is_renewed_when_its_vocabulary_has_grown(anonymiser):
    """spaCy keeps every word it has seen; a long-running service must not grow for ever."""
    small = Anonymiser(dict(anonymiser._pipelines), anonymiser.max_chars)
    small.max_vocabulary_growth = 100
    letters = [a + b for a in "abcdefgh" for b in "ijklmnop"]
    texts = [f"Ik ben Zyx{tail} uit Qwv{tail}, mail z{tail}@example.nl" for tail in letters]
    before = small._pipelines["nl"]
    results = list(small.analyse_many((text, "nl") for text in texts))
    assert small._pipelines["nl"] is not before
    assert len(small._pipelines["nl"].vocab.strings) < len(before.vocab.strings)
    assert results[-1].redacted == "Ik ben [NAAM-1] uit [PLAATS-1], mail [E-MAIL-1]"
