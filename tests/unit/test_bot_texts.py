"""Every text of the bot renders in both languages, and both languages have the same texts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.i18n import Talk, language_of, linkable
from consent_store.enums import Purpose, RequestState
from intake.services.matching import OpenOffer
from intake.services.overview import ConsentStatus, LiveRequest
from intake.services.privacy import ConsentEntry, ContactEntry, RequestEntry, SubjectReport
from intake.settings import Settings
from intake.texts import Texts

TEMPLATES = Path(__file__).parents[2] / "intake" / "templates"
WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _talk(language: str) -> Talk:
    settings = Settings(_env_file=None, public_url="https://intake.example.org", mail_domain="example.org")  # type: ignore[call-arg]
    return Talk(SimpleNamespace(texts=Texts(settings), settings=settings), language)  # type: ignore[arg-type]


def _names(language: str) -> set[str]:
    root = TEMPLATES / language / "bot"
    return {str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.txt") if p.name != "buttons.txt"}


SAMPLES: dict[str, dict[str, object]] = {
    "welcome": {"notice": "NOTICE"},
    "special_consent": {"wording": "WORDING"},
    "special_detected": {"wording": "WORDING", "said_no": True},
    "handover_consent": {"wording": "WORDING"},
    "handover_no": {"wording": "WORDING"},
    "newsletter": {"wording": "WORDING"},
    "preview": {"text": "ANONYMISED", "special": True},
    "rewrite": {"special": False},
    "contact_saved": {"kind": "email", "shown": "a@example.org"},
    "text_only": {"writing": True},
    "offers": {"count": 2},
    "offer_listed": {"offer": OpenOffer(uuid.uuid4(), "R-ABC123", "Loopbaan", "ANONYMISED", WHEN)},
    "consents": {
        "consents": [
            ConsentStatus(Purpose.CONTACT_HANDOVER, True, WHEN, "2026.11.1", "telegram"),
            ConsentStatus(Purpose.SPECIAL_CATEGORY, False, WHEN, "2026.11.1", "telegram"),
        ]
    },
    "consent_withdrawn": {"purpose": "contact_handover", "changed": True, "requests": ("R-ABC123",)},
    "unsubscribed": {"changed": True},
    "withdraw_choose": {
        "requests": [LiveRequest(uuid.uuid4(), "R-ABC123", RequestState.OPEN, "Loopbaan", WHEN)]
    },
    "withdrawn_note": {"references": ("R-ABC123",)},
    "no_data": {"in_progress": True},
    "mydata": {
        "report": SubjectReport(
            pseudonym="K-ABCDEF",
            locale="nl",
            created_at=WHEN.isoformat(),
            last_active_at=WHEN.isoformat(),
            contacts=[ContactEntry("email", "a@example.org", False)],
            requests=[
                RequestEntry(
                    "R-ABC123",
                    "handed_over",
                    "telegram",
                    "career",
                    "nl",
                    WHEN.isoformat(),
                    None,
                    "ANONYMISED",
                    False,
                    [],
                    "Coach A",
                    WHEN.isoformat(),
                )
            ],
            consents=[
                ConsentEntry(
                    "contact_handover",
                    "granted",
                    WHEN.isoformat(),
                    "telegram",
                    "2026.11.1",
                    "0" * 64,
                    "nl",
                    "subject",
                    "telegram update 1",
                )
            ],
        ),
        "in_progress": True,
    },
    "erased": {"had_data": True},
    "error": {"code": "text_too_long", "error": SimpleNamespace(length=5000, limit=4000)},
    "alert/match_confirmed": {"coach": "Coach A"},
    "alert/accepted": {"reference": "R-ABC123", "handed_over": False},
    "alert/declined": {"reference": "R-ABC123"},
}


def test_both_languages_have_the_same_texts_and_buttons() -> None:
    assert _names("nl") == _names("en")
    assert set(_talk("nl")._common()) == set(_talk("en")._common())
    from bot.i18n import _buttons

    nl, en = _talk("nl"), _talk("en")
    assert set(_buttons(nl.core, "nl")) == set(_buttons(en.core, "en"))


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_text_renders(language: str) -> None:
    talk = _talk(language)
    for name in sorted(_names(language)):
        text = talk(name, **SAMPLES.get(name, {}))
        assert text and "{{" not in text and "{%" not in text, name
        if name.startswith("alert/"):
            assert len(text) <= 200, name  # Telegram's limit for an answer to a button press
        for placeholder in ("WORDING", "ANONYMISED", "NOTICE"):
            if any(placeholder == v for v in SAMPLES.get(name, {}).values()):
                assert placeholder in text, name


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "code",
    [
        "text_too_long",
        "invalid_email",
        "invalid_phone",
        "offer_taken",
        "offer_closed",
        "offer_not_yours",
        "stale_wording",
        "consent_required",
        "request_not_found",
        "subject_not_found",
        "invalid_state",
        "invalid_input",
        "decryption_failed",
        "unexpected",
    ],
)
def test_error_texts_fit_an_alert(language: str, code: str) -> None:
    text = _talk(language)("error", code=code, error=SimpleNamespace(length=5000, limit=4000))
    assert 0 < len(text) <= 200


def test_language_choice() -> None:
    assert language_of("en", "nl", "nl") == "en"  # chosen with /taal wins
    assert language_of(None, "nl-BE", "nl") == "nl"
    assert language_of(None, "en-GB", "nl") == "en"
    assert language_of(None, "de", "nl") == "en"
    assert language_of(None, None, "nl") == "nl"
    assert language_of("fr", None, "en") == "en"


def test_only_public_addresses_become_link_buttons() -> None:
    assert linkable("https://intake.example.org/privacy?lang=nl")
    assert not linkable("http://127.0.0.1:8080/privacy")
    assert not linkable("http://localhost:8080/privacy")
    assert not linkable("javascript:alert(1)")
