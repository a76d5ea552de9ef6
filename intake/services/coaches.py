"""Coaches, registered by the operator."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from consent_store.enums import OfferState
from consent_store.models import Coach
from consent_store.unit_of_work import UnitOfWork
from intake import contacts, identifiers, topics
from intake.core import Core
from intake.errors import InvalidInput, NotFound
from intake.texts import LANGUAGES


class CoachNotFound(NotFound):
    """No such coach."""

    code = "coach_not_found"


@dataclass(frozen=True, slots=True)
class CoachView:
    id: uuid.UUID
    code: str
    display_name: str
    topics: tuple[str, ...]
    languages: tuple[str, ...]
    channel: str
    active: bool
    capacity: int


def _view(coach: Coach) -> CoachView:
    channel = "telegram" if coach.telegram_user_id is not None else "email"
    return CoachView(
        coach.id,
        coach.code,
        coach.display_name,
        tuple(coach.topics),
        tuple(coach.languages),
        channel,
        coach.active,
        coach.capacity,
    )


def email_aad(coach_id: uuid.UUID) -> bytes:
    return f"coach-email:{coach_id}".encode()


async def add(
    core: Core,
    *,
    display_name: str,
    intro: str = "",
    topic_codes: Sequence[str] = (),
    languages: Sequence[str] = ("nl",),
    telegram_user_id: int | None = None,
    email: str | None = None,
    capacity: int = 5,
    locale: str | None = None,
) -> CoachView:
    name = display_name.strip()
    if not name:
        raise InvalidInput("a coach needs a display name")
    if telegram_user_id is None and not email:
        raise InvalidInput("a coach needs a Telegram user id or an e-mail address")
    if capacity < 1:
        raise InvalidInput("capacity must be at least 1")
    for code in topic_codes:
        topics.check(code)
    for language in languages:
        if language not in LANGUAGES:
            raise InvalidInput(f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}")
    telegram = contacts.telegram(telegram_user_id) if telegram_user_id is not None else None
    address = contacts.email(email) if email else None
    async with core.uow() as uow:
        if telegram and await uow.coaches.by_telegram(int(telegram.value)):
            raise InvalidInput("a coach with this Telegram user id already exists")
        index = core.keyring.blind_index("coach-email", address.value) if address else None
        if index and await uow.coaches.by_email_index(index):
            raise InvalidInput("a coach with this e-mail address already exists")
        code = identifiers.coach_code()
        while await uow.coaches.code_taken(code):
            code = identifiers.coach_code()
        coach_id = uuid.uuid4()
        coach = Coach(
            id=coach_id,
            code=code,
            display_name=name,
            intro=intro.strip(),
            topics=list(topic_codes),
            languages=list(languages),
            locale=locale or (languages[0] if languages else "nl"),
            telegram_user_id=int(telegram.value) if telegram else None,
            email_ciphertext=core.keyring.service.encrypt_text(address.value, email_aad(coach_id))
            if address
            else None,
            email_index=index,
            capacity=capacity,
            created_at=core.clock.now(),
        )
        uow.coaches.add(coach)
        await uow.commit()
        return _view(coach)


async def list_all(core: Core, *, active_only: bool = False) -> list[CoachView]:
    async with core.reader() as uow:
        return [_view(c) for c in await uow.coaches.list(active_only=active_only)]


async def _resolve(uow: UnitOfWork, core: Core, key: str) -> Coach:
    key = key.strip()
    coach = None
    if key.upper().startswith("C-"):
        coach = await uow.coaches.by_code(key)
    elif key.isdigit():
        coach = await uow.coaches.by_telegram(int(key))
    elif "@" in key:
        coach = await uow.coaches.by_email_index(
            core.keyring.blind_index("coach-email", contacts.email(key).value)
        )
    if coach is None:
        raise CoachNotFound()
    return coach


async def deactivate(core: Core, key: str) -> tuple[CoachView, int]:
    """Stop offering to this coach; their open offers are withdrawn (others can still take them)."""
    async with core.uow() as uow:
        coach = await _resolve(uow, core, key)
        coach.active = False
        coach.deactivated_at = core.clock.now()
        withdrawn = await uow.offers.transition(
            expected=[OfferState.OPEN],
            to=OfferState.WITHDRAWN,
            decided_at=core.clock.now(),
            coach_id=coach.id,
        )
        await uow.commit()
        return _view(coach), len(withdrawn)


async def by_telegram(core: Core, user_id: int) -> CoachView | None:
    async with core.reader() as uow:
        coach = await uow.coaches.by_telegram(user_id)
        return _view(coach) if coach and coach.active else None


def reveal_email(core: Core, coach: Coach) -> str | None:
    if coach.email_ciphertext is None:
        return None
    return core.keyring.service.decrypt_text(coach.email_ciphertext, email_aad(coach.id))
