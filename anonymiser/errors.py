"""Errors of the anonymiser, in the project's one hierarchy. Messages never quote the text."""

from __future__ import annotations

from intake.errors import ConfigurationError, InvalidInput


class UnsupportedLanguage(InvalidInput):
    """The language is not supported (use "nl" or "en")."""

    code = "unsupported_language"

    def __init__(self, language: str) -> None:
        shown = language if len(language) <= 10 and language.isalpha() else "given"
        super().__init__(f"language {shown!r} is not supported; use 'nl' or 'en'")


class ModelNotAvailable(ConfigurationError):
    """A configured spaCy model cannot be loaded."""

    code = "model_not_available"

    def __init__(self, name: str) -> None:
        super().__init__(f"spaCy model {name!r} is not installed or cannot be loaded")
