"""Building blocks for tests that walk through the service layer."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from consent_store.enums import Channel, Purpose
from intake import contacts
from intake.core import Core
from intake.services import coaches, consent, requests, subjects
from intake.services.coaches import CoachView
from intake.services.consent import ShownWording

_telegram_ids = itertools.count(900_000)


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    pseudonym: str
    contact_id: uuid.UUID
    email: str


async def grant(core: Core, subject_id: uuid.UUID, purpose: Purpose, language: str = "nl") -> None:
    await consent.grant(
        core,
        subject_id=subject_id,
        purpose=purpose,
        shown=ShownWording.of(core.texts.wording(purpose, language)),
        channel=Channel.WEB,
        evidence=f"test-{uuid.uuid4().hex[:8]}",
    )


async def candidate(
    core: Core,
    email: str | None = None,
    *,
    consents: tuple[Purpose, ...] = (Purpose.CONTACT_HANDOVER,),
    locale: str = "nl",
) -> Candidate:
    address = email or f"kandidaat-{uuid.uuid4().hex[:8]}@example.org"
    ref = await subjects.identify(core, contacts.email(address), locale=locale)
    point = await subjects.add_contact_detail(core, ref.id, contacts.email(address))
    for purpose in consents:
        await grant(core, ref.id, purpose, locale)
    return Candidate(ref.id, ref.pseudonym, point, address)


async def submitted(
    core: Core,
    who: Candidate,
    text: str = "Ik zoek begeleiding bij een loopbaanswitch.",
    topic: str = "career",
) -> requests.Submitted:
    return await requests.submit_new(
        core,
        subject_id=who.id,
        channel=Channel.EMAIL,
        topic=topic,
        text=text,
        contact_point_id=who.contact_id,
    )


async def telegram_coaches(
    core: Core, count: int, *, topic: str = "career", capacity: int = 5
) -> list[CoachView]:
    return [
        await coaches.add(
            core,
            display_name=f"Coach {i}",
            intro=f"Intro {i}",
            topic_codes=(topic,),
            languages=("nl", "en"),
            telegram_user_id=next(_telegram_ids),
            capacity=capacity,
        )
        for i in range(count)
    ]
