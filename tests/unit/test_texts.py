from pathlib import Path

import pytest

from consent_store.enums import Purpose
from intake.errors import StaleWording
from intake.messages import Action, RenderedMessage
from intake.settings import Settings
from intake.texts import LANGUAGES, Texts, pick_language

MESSAGE_CONTEXT = {
    "reference": "R-ABC123",
    "topic": "Loopbaan",
    "request_language": "Nederlands",
    "confirmation": True,
    "text": "Ik zoek hulp.",
    "reopened": False,
    "coach_name": "Coach Anna",
    "coach_intro": "Ik help bij loopbaanvragen.",
    "contacts": [{"label": "E-mail", "value": "x@example.org"}],
    "reason": "subject",
    "confirm_url": "http://127.0.0.1:8080/n/token",
    "valid_days": 7,
}


@pytest.fixture
def texts(tmp_path: Path) -> Texts:
    return Texts(Settings(var_dir=tmp_path, _env_file=None))


def message_kinds() -> list[str]:
    root = Path(__file__).parents[2] / "intake" / "templates" / "nl" / "messages"
    return sorted(p.stem for p in root.glob("*.txt"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", message_kinds())
def test_every_message_renders_in_both_languages(texts: Texts, language: str, kind: str) -> None:
    message = texts.message(kind, language, **MESSAGE_CONTEXT)
    assert message.subject and message.text
    assert "{{" not in message.text and "{%" not in message.text


def test_both_languages_have_the_same_messages() -> None:
    root = Path(__file__).parents[2] / "intake" / "templates"
    names = {
        lang: sorted(p.relative_to(root / lang) for p in (root / lang).rglob("*.*")) for lang in LANGUAGES
    }
    assert names["nl"] == names["en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_notices_render(texts: Texts, language: str) -> None:
    short = texts.notice_short(language)
    assert texts.notice_url(language) in short and len(short) < 1024
    full = str(texts.notice_full(language))
    assert "<h1>" in full and "Autoriteit Persoonsgegevens" in full


def test_consent_wording_is_versioned_and_hash_checked(texts: Texts) -> None:
    wording = texts.wording(Purpose.SPECIAL_CATEGORY, "nl")
    assert wording.version and len(wording.sha256) == 64
    assert texts.shown(Purpose.SPECIAL_CATEGORY, "nl", wording.version, wording.sha256) == wording
    with pytest.raises(StaleWording):
        texts.shown(Purpose.SPECIAL_CATEGORY, "nl", wording.version, "0" * 64)
    with pytest.raises(StaleWording):
        texts.shown(Purpose.SPECIAL_CATEGORY, "nl", "0.0", wording.sha256)
    assert texts.wording(Purpose.SPECIAL_CATEGORY, "en").sha256 != wording.sha256


def test_language_hints() -> None:
    assert pick_language("nl-BE") == "nl"
    assert pick_language("en-GB") == "en"
    assert pick_language("de") == "en"
    assert pick_language(None) == "nl"


def test_rendered_messages_survive_the_outbox_round_trip() -> None:
    message = RenderedMessage(
        kind="offer",
        language="nl",
        text="tekst",
        subject="onderwerp",
        actions=(Action("offer.accept", "ab", "Ja"),),
        headers={"X-A": "b"},
        replaces_previous=True,
    )
    assert RenderedMessage.from_json(message.to_json()) == message
