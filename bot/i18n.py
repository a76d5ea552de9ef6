"""The bot's words: templates under ``intake/templates/<lang>/bot/``, Dutch by default.

Each text is one Jinja2 template (``<name>.txt``); button labels are ``key = text`` lines in
``bot/buttons.txt``. Consent questions are not here: they come verbatim from
``core.texts.wording(...)``, which is what the ledger's version and hash refer to.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from consent_store.enums import Purpose
from intake.core import Core
from intake.texts import LANGUAGES, Wording, pick_language


def language_of(chosen: str | None, language_code: str | None, default: str) -> str:
    """The language chosen with /taal wins; then Telegram's ``language_code``; then the default."""
    if chosen in LANGUAGES:
        return chosen  # type: ignore[return-value]
    return pick_language(language_code, default) if language_code else default


class Talk:
    """What the bot says, in one language."""

    def __init__(self, core: Core, language: str) -> None:
        self.core = core
        self.language = language

    def __call__(self, name: str, **context: Any) -> str:
        template = self.core.texts.env.get_template(f"{self.language}/bot/{name}.txt")
        return template.render(**self._common(), **context).strip()

    def button(self, key: str) -> str:
        return _buttons(self.core, self.language)[key]

    def wording(self, purpose: Purpose) -> Wording:
        return self.core.texts.wording(purpose, self.language)

    @property
    def notice_url(self) -> str:
        return self.core.texts.notice_url(self.language)

    def _common(self) -> dict[str, Any]:
        settings = self.core.settings
        return {
            "language": self.language,
            "controller_name": settings.controller_name,
            "notice_url": self.notice_url,
            "privacy_email": settings.privacy_email,
            "limit": settings.max_request_chars,
        }


def _buttons(core: Core, language: str) -> dict[str, str]:
    return core.texts.pairs(f"{language}/bot/buttons.txt")


def linkable(url: str) -> bool:
    """Whether Telegram accepts ``url`` on a button: not for local development addresses."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or "." not in host:
        return False
    return not (host == "localhost" or host.endswith(".localhost") or host.replace(".", "").isdigit())
