"""What a candidate can look up about themselves in a chat: live requests and consents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from consent_store.enums import LIVE_REQUEST_STATES, ConsentAction, Purpose, RequestState
from intake import topics
from intake.core import Core
from intake.services import subjects


@dataclass(frozen=True, slots=True)
class LiveRequest:
    request_id: uuid.UUID
    reference: str
    state: RequestState
    topic: str  # label in the asked language
    created_at: datetime


async def live_requests(core: Core, subject_id: uuid.UUID, language: str) -> list[LiveRequest]:
    """The subject's requests that can still be withdrawn, oldest first."""
    async with core.reader() as uow:
        await subjects.get(uow, subject_id)
        return [
            LiveRequest(r.id, r.reference, r.state, topics.label(r.topic, language), r.created_at)
            for r in await uow.requests.for_subject(subject_id, LIVE_REQUEST_STATES)
        ]


@dataclass(frozen=True, slots=True)
class ConsentStatus:
    purpose: Purpose
    granted: bool
    since: datetime
    wording_version: str
    channel: str


async def consents(core: Core, subject_id: uuid.UUID) -> list[ConsentStatus]:
    """The latest event for each purpose the subject ever answered, in a fixed order."""
    async with core.reader() as uow:
        subject = await subjects.get(uow, subject_id)
        current = await uow.ledger.current(subject.pseudonym)
    return [
        ConsentStatus(
            purpose,
            event.action is ConsentAction.GRANTED,
            event.occurred_at,
            event.wording_version,
            event.channel.value,
        )
        for purpose in Purpose
        if (event := current.get(purpose)) is not None
    ]
