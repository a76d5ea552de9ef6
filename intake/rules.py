"""The rules of matching and consent as pure functions: no I/O, so they are easy to test."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from consent_store.enums import Purpose, RequestState

# Which request states may move to which: everything else is refused.
REQUEST_TRANSITIONS: Mapping[RequestState, frozenset[RequestState]] = {
    RequestState.DRAFT: frozenset({RequestState.OPEN, RequestState.WITHDRAWN, RequestState.EXPIRED}),
    RequestState.OPEN: frozenset({RequestState.ACCEPTED, RequestState.WITHDRAWN, RequestState.EXPIRED}),
    RequestState.ACCEPTED: frozenset(
        {RequestState.HANDED_OVER, RequestState.OPEN, RequestState.WITHDRAWN, RequestState.EXPIRED}
    ),
    RequestState.HANDED_OVER: frozenset(),
    RequestState.WITHDRAWN: frozenset(),
    RequestState.EXPIRED: frozenset(),
}

CAPACITY_WINDOW = timedelta(days=30)
# A "yes, erase everything" button counts only this long after the question was shown: an
# old chat message must not erase someone who has since come back.
ERASE_CONFIRMATION_VALID = timedelta(minutes=15)


def erase_confirmation_valid(asked_at: datetime | None, now: datetime) -> bool:
    return asked_at is not None and now - asked_at <= ERASE_CONFIRMATION_VALID


def sources_of(target: RequestState) -> frozenset[RequestState]:
    """The states from which ``target`` may be reached."""
    return frozenset(source for source, targets in REQUEST_TRANSITIONS.items() if target in targets)


def required_consents(special_category: bool) -> frozenset[Purpose]:
    """Consents a request needs before it can be submitted (offered to coaches)."""
    needed = {Purpose.CONTACT_HANDOVER}
    if special_category:
        needed.add(Purpose.SPECIAL_CATEGORY)
    return frozenset(needed)


def missing_consents(granted: Iterable[Purpose], special_category: bool) -> list[Purpose]:
    have = set(granted)
    return sorted(required_consents(special_category) - have)


@dataclass(frozen=True, slots=True)
class CoachProfile:
    id: uuid.UUID
    active: bool
    topics: Sequence[str]
    languages: Sequence[str]
    capacity: int


def is_eligible(coach: CoachProfile, *, topic: str, language: str, load: int) -> bool:
    covers_topic = not coach.topics or topic in coach.topics
    speaks = not coach.languages or language in coach.languages
    return coach.active and covers_topic and speaks and load < coach.capacity


def choose_coaches(
    coaches: Iterable[CoachProfile],
    *,
    topic: str,
    language: str,
    loads: Mapping[uuid.UUID, int],
    last_handover: Mapping[uuid.UUID, datetime],
    exclude: Iterable[uuid.UUID],
    limit: int,
    rng: random.Random | None = None,
) -> list[CoachProfile]:
    """Eligible coaches, least recently matched first (ties shuffled), at most ``limit``."""
    excluded = set(exclude)
    shuffle = rng or random.SystemRandom()
    never = datetime.min.replace(tzinfo=UTC)
    candidates = [
        c
        for c in coaches
        if c.id not in excluded and is_eligible(c, topic=topic, language=language, load=loads.get(c.id, 0))
    ]
    shuffle.shuffle(candidates)
    candidates.sort(key=lambda c: (last_handover.get(c.id, never), loads.get(c.id, 0)))
    return candidates[:limit]


def retry_delay(attempts: int, *, base: float = 5.0, cap: float = 3600.0, jitter: float = 0.2) -> timedelta:
    """Exponential backoff with proportional jitter for the outbox (attempts starts at 1)."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    spread = delay * jitter
    return timedelta(seconds=delay + random.uniform(-spread, spread))
