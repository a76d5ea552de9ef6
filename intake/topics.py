"""The topics a candidate can choose and coaches can cover."""

from __future__ import annotations

from types import MappingProxyType

from intake.errors import InvalidInput

TOPICS = MappingProxyType(
    {
        "career": {"nl": "Loopbaan en carrièreswitch", "en": "Career and career change"},
        "job_search": {"nl": "Werk zoeken en solliciteren", "en": "Job search and applications"},
        "leadership": {"nl": "Leidinggeven en samenwerken", "en": "Leadership and teamwork"},
        "wellbeing": {"nl": "Werkdruk, stress en balans", "en": "Workload, stress and balance"},
        "reintegration": {"nl": "Re-integratie en terugkeer", "en": "Return to work"},
        "study": {"nl": "Studie- en beroepskeuze", "en": "Study and career choice"},
        "entrepreneurship": {"nl": "Ondernemen en starten", "en": "Starting a business"},
        "other": {"nl": "Iets anders", "en": "Something else"},
    }
)


def label(topic: str, language: str) -> str:
    names = TOPICS.get(topic)
    if names is None:
        return topic
    return names.get(language, names["nl"])


def check(topic: str) -> str:
    if topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic!r}; choose from {', '.join(TOPICS)}")
    return topic
