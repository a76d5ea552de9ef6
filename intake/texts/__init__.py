"""User-facing texts: the privacy notice, consent wordings and notifications (Jinja2, nl/en)."""

from intake.texts.catalog import NOTICE_UPDATED, NOTICE_VERSION, WORDING_VERSIONS
from intake.texts.render import LANGUAGES, Texts, Wording, pick_language

__all__ = [
    "LANGUAGES",
    "NOTICE_UPDATED",
    "NOTICE_VERSION",
    "WORDING_VERSIONS",
    "Texts",
    "Wording",
    "pick_language",
]
