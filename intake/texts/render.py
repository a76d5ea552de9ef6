"""Rendering of templates under ``intake/templates/<language>/``.

Notifications are one template per message with ``{% block subject %}`` and
``{% block text %}`` (and optionally ``{% block html %}``), so that both languages keep
their whole message in one file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, TemplateNotFound, select_autoescape
from markupsafe import Markup

from consent_store.enums import Purpose
from intake.errors import StaleWording
from intake.links import PRIVACY_PATH
from intake.messages import Action, RenderedMessage
from intake.settings import Settings
from intake.texts.catalog import NOTICE_UPDATED, NOTICE_VERSION, WORDING_VARIANTS, WORDING_VERSIONS

LANGUAGES = ("nl", "en")


def pick_language(code: str | None, default: str = "nl") -> str:
    """nl/en from a channel's language hint (Telegram ``language_code``, Content-Language)."""
    if not code:
        return default
    code = code.strip().lower()
    if code.startswith("nl"):
        return "nl"
    if code.startswith("en"):
        return "en"
    return "en"  # someone who writes in neither is likelier to read English than Dutch


@dataclass(frozen=True, slots=True)
class Wording:
    """A consent question exactly as shown, with what the ledger stores about it."""

    purpose: Purpose
    language: str
    version: str
    text: str
    variant: str | None = None  # e.g. "telegram": the same purpose, worded for another channel

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class Texts:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.env = Environment(
            loader=PackageLoader("intake", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Templates ship with the package and change with it: a render need not stat them
            # (about 4 µs a lookup). Edited templates show after a restart.
            auto_reload=False,
        )
        self._wordings: dict[tuple[Purpose, str, str | None], Wording] = {}
        self._missing: set[str] = set()
        self._label_cache: dict[str, dict[str, str]] = {}  # by template path

    # Notices and consent ----------------------------------------------------------

    @property
    def notice_version(self) -> str:
        return NOTICE_VERSION

    def notice_url(self, language: str) -> str:
        return f"{self._settings.public_url}{PRIVACY_PATH}?lang={language}"

    def notice_short(self, language: str) -> str:
        return self._render(f"{language}/privacy/notice_short.txt", notice_url=self.notice_url(language))

    def notice_full(self, language: str) -> Markup:
        s = self._settings
        return Markup(
            self._render(
                f"{language}/privacy/notice_full.html",
                controller={
                    "name": s.controller_name,
                    "address": s.controller_address,
                    "email": s.privacy_email,
                    "kvk": s.controller_kvk or "",
                },
                retention={
                    "unconfirmed_days": s.retention_unconfirmed_days,
                    "match_answer_days": s.retention_match_answer_days,
                    "open_request_days": s.retention_open_request_days,
                    "closed_request_days": s.retention_closed_request_days,
                    "inactive_subject_days": s.retention_inactive_subject_days,
                },
                version=NOTICE_VERSION,
                updated=NOTICE_UPDATED,
            )
        )

    def wording(self, purpose: Purpose, language: str, variant: str | None = None) -> Wording:
        key = (purpose, language, variant)
        if key not in self._wordings:
            name = purpose.value + (f"_{variant}" if variant else "")
            version = WORDING_VARIANTS[(purpose, variant)] if variant else WORDING_VERSIONS[purpose]
            text = self._render(
                f"{language}/consent/{name}.txt", controller={"name": self._settings.controller_name}
            )
            self._wordings[key] = Wording(purpose, language, version, text.strip(), variant)
        return self._wordings[key]

    def wordings(self, purpose: Purpose, language: str) -> tuple[Wording, ...]:
        """Every current wording of ``purpose``: the main one and its channel variants."""
        variants = [None, *(v for p, v in WORDING_VARIANTS if p is purpose)]
        return tuple(self.wording(purpose, language, variant) for variant in variants)

    def shown(
        self, purpose: Purpose, language: str, version: str, sha256: str, *, digest_prefix: bool = False
    ) -> Wording:
        """The current wording (the main one or a channel variant), if that is what the person
        was shown; else ``StaleWording``. ``digest_prefix``: ``sha256`` is its first 12 hex
        digits (all that fits in a chat button's callback data)."""
        if language not in LANGUAGES:
            raise StaleWording("unknown language")
        if digest_prefix and len(sha256) != 12:
            raise StaleWording("the consent text has changed since it was shown; show it again")
        for current in self.wordings(purpose, language):
            if current.version == version and (
                current.sha256.startswith(sha256) if digest_prefix else current.sha256 == sha256
            ):
                return current
        raise StaleWording("the consent text has changed since it was shown; show it again")

    # Notifications ------------------------------------------------------------------

    def message(
        self,
        kind: str,
        language: str,
        *,
        actions: tuple[Action, ...] = (),
        replaces_previous: bool = False,
        headers: dict[str, str] | None = None,
        folder: str = "messages",
        **context: Any,
    ) -> RenderedMessage:
        """Render ``<language>/<folder>/<kind>.txt`` (and ``.html`` if there is one)."""
        template = self.env.get_template(f"{language}/{folder}/{kind}.txt")
        ctx = template.new_context({**self._common(language), **context})
        subject = "".join(template.blocks["subject"](ctx)).strip() if "subject" in template.blocks else None
        text = "".join(template.blocks["text"](ctx)).strip()
        html = None
        html_template = self._optional(f"{language}/{folder}/{kind}.html")
        if html_template is not None:
            html = html_template.render(
                {**self._common(language), **context, "subject": subject, "text": text, "actions": actions}
            )
        return RenderedMessage(
            kind=kind,
            language=language,
            text=text,
            subject=subject,
            html=html,
            actions=actions,
            headers=headers or {},
            replaces_previous=replaces_previous,
        )

    def label(self, key: str, language: str) -> str:
        """A short UI label (button texts and the like) from ``<lang>/labels.txt``."""
        return self._labels(language)[key]

    def _labels(self, language: str) -> dict[str, str]:
        return self.pairs(f"{language}/labels.txt")

    def pairs(self, path: str) -> dict[str, str]:
        """A ``key = text`` template file (lines starting with # are comments), read once."""
        cache = self._label_cache
        if path not in cache:
            source = self.env.loader.get_source(self.env, path)[0]  # type: ignore[union-attr]
            pairs = (
                line.split("=", 1) for line in source.splitlines() if "=" in line and not line.startswith("#")
            )
            cache[path] = {k.strip(): v.strip() for k, v in pairs}
        return cache[path]

    def _common(self, language: str) -> dict[str, Any]:
        return {
            "language": language,
            "controller_name": self._settings.controller_name,
            "public_url": self._settings.public_url,
            "notice_url": self.notice_url(language),
            "privacy_email": self._settings.privacy_email,
        }

    def _optional(self, name: str) -> Template | None:
        if name in self._missing:
            return None
        try:
            return self.env.get_template(name)
        except TemplateNotFound:
            self._missing.add(name)
            return None

    def _render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)
