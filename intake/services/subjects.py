"""Finding and creating subjects (candidates) and their contact points."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from consent_store.enums import ContactKind, SubjectState
from consent_store.models import ContactPoint, Subject
from consent_store.unit_of_work import UnitOfWork
from intake import contacts, identifiers
from intake.contacts import ContactValue
from intake.core import Core
from intake.errors import NotFound


class SubjectNotFound(NotFound):
    """No such person is known."""

    code = "subject_not_found"


@dataclass(frozen=True, slots=True)
class SubjectRef:
    id: uuid.UUID
    pseudonym: str
    locale: str


def _ref(subject: Subject) -> SubjectRef:
    return SubjectRef(subject.id, subject.pseudonym, subject.locale)


def blind_index(core: Core, value: ContactValue) -> str:
    return core.keyring.blind_index(value.kind.value, value.value)


async def find(uow: UnitOfWork, core: Core, value: ContactValue) -> list[Subject]:
    found = await uow.subjects.by_contact(value.kind, blind_index(core, value))
    return sorted(
        (s for s in found if s.state is SubjectState.ACTIVE), key=lambda s: s.last_active_at, reverse=True
    )


async def resolve(uow: UnitOfWork, core: Core, key: str) -> Subject:
    """A subject by pseudonym (``K-...``), e-mail address, phone number or Telegram id."""
    if key.strip().upper().startswith("K-"):
        subject = await uow.subjects.by_pseudonym(key.strip())
        if subject is None:
            raise SubjectNotFound()
        return subject
    found = await find(uow, core, contacts.guess(key))
    if not found:
        raise SubjectNotFound()
    return found[0]


async def create(uow: UnitOfWork, core: Core, *, locale: str) -> Subject:
    pseudonym = identifiers.pseudonym()
    while await uow.subjects.pseudonym_taken(pseudonym):
        pseudonym = identifiers.pseudonym()
    subject = new(uow, core, locale=locale, pseudonym=pseudonym)
    await uow.session.flush()
    uow.create_subject_key(subject.id)
    return subject


def new(uow: UnitOfWork, core: Core, *, locale: str, pseudonym: str) -> Subject:
    """A subject added to the unit of work; the caller made sure ``pseudonym`` is free, and
    flushes it before adding its data key (``uow.create_subject_key``), as ``create`` does."""
    now = core.clock.now()
    subject = Subject(id=uuid.uuid4(), pseudonym=pseudonym, locale=locale, created_at=now, last_active_at=now)
    uow.subjects.add(subject)
    return subject


async def add_contact(uow: UnitOfWork, core: Core, subject: Subject, value: ContactValue) -> ContactPoint:
    """The subject's contact point for ``value``, created (encrypted) if it is new."""
    index = blind_index(core, value)
    existing = await uow.contacts.find(subject.id, value.kind, index)
    if existing is not None:
        existing.unreachable = False
        return existing
    point = await new_contact(uow, core, subject, value)
    await uow.session.flush()
    return point


async def new_contact(
    uow: UnitOfWork, core: Core, subject: Subject, value: ContactValue, *, add: bool = True
) -> ContactPoint:
    """A new contact point (encrypted), added to the unit of work (``add``; else the caller
    writes it); the caller knows the subject does not have it yet (``add_contact`` checks)."""
    cipher = await uow.subject_cipher(subject.id)
    point = ContactPoint(
        id=uuid.uuid4(),
        subject_id=subject.id,
        kind=value.kind,
        ciphertext=cipher.encrypt_text(value.value, contact_aad(subject.id, value.kind)),
        blind_index=blind_index(core, value),
        created_at=core.clock.now(),
    )
    if add:
        uow.contacts.add(point)
    return point


def contact_aad(subject_id: uuid.UUID, kind: ContactKind) -> bytes:
    return f"contact:{subject_id}:{kind.value}".encode()


async def reveal(uow: UnitOfWork, point: ContactPoint) -> ContactValue:
    """Decrypt a contact point. Callers: handover, delivery to the subject, data export."""
    cipher = await uow.subject_cipher(point.subject_id)
    return ContactValue(
        point.kind, cipher.decrypt_text(point.ciphertext, contact_aad(point.subject_id, point.kind))
    )


async def identify(core: Core, value: ContactValue, *, locale: str) -> SubjectRef:
    """The subject behind a channel identity (Telegram id, sender address), created if new."""
    async with core.uow() as uow:
        await uow.serialise(blind_index(core, value))  # two first messages must not make two people
        found = await find(uow, core, value)
        if found:
            subject = found[0]
            subject.last_active_at = core.clock.now()
        else:
            subject = await create(uow, core, locale=locale)
            await add_contact(uow, core, subject, value)
        ref = _ref(subject)
        await uow.commit()
        return ref


async def lookup(core: Core, value: ContactValue) -> SubjectRef | None:
    """Like ``identify`` but never creates anyone."""
    async with core.reader() as uow:
        found = await find(uow, core, value)
        return _ref(found[0]) if found else None


async def add_contact_detail(core: Core, subject_id: uuid.UUID, value: ContactValue) -> uuid.UUID:
    async with core.uow() as uow:
        subject = await _get(uow, subject_id)
        point = await add_contact(uow, core, subject, value)
        subject.last_active_at = core.clock.now()
        await uow.commit()
        return point.id


async def set_locale(core: Core, subject_id: uuid.UUID, locale: str) -> None:
    async with core.uow() as uow:
        subject = await _get(uow, subject_id)
        subject.locale = locale
        await uow.commit()


async def _get(uow: UnitOfWork, subject_id: uuid.UUID) -> Subject:
    subject = await uow.subjects.get(subject_id)
    if subject is None or subject.state is not SubjectState.ACTIVE:
        raise SubjectNotFound()
    return subject


get = _get
