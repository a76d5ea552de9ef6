"""Data-subject rights: access, export (portability), correction and erasure.

Erasure destroys the subject's data key (so every encrypted copy, backups included, becomes
unreadable), deletes the subject's rows and keeps only the pseudonymous consent ledger and
an audit line. Each erasure is also appended to a journal outside the database: after a
backup is restored, ``intake retention reapply-erasures`` erases those subjects again.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from consent_store.crypto import DecryptionFailed
from consent_store.enums import (
    Actor,
    Channel,
    ConsentAction,
    ContactKind,
)
from consent_store.models import Subject
from consent_store.unit_of_work import UnitOfWork
from intake import contacts
from intake.core import Core
from intake.errors import InvalidInput
from intake.services import consent, newsletter, requests, subjects


@dataclass(frozen=True, slots=True)
class ContactEntry:
    kind: str
    value: str
    unreachable: bool


@dataclass(frozen=True, slots=True)
class RequestEntry:
    reference: str
    state: str
    channel: str
    topic: str
    language: str
    created_at: str
    text_as_written: str | None
    text_as_coaches_see_it: str
    special_category: bool
    categories: list[str]
    handed_over_to: str | None
    handed_over_at: str | None


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    purpose: str
    action: str
    at: str
    channel: str
    wording_version: str
    wording_sha256: str
    language: str
    actor: str
    evidence: str


@dataclass(frozen=True, slots=True)
class SubjectReport:
    """Everything stored about one person (GDPR art. 15 and, as JSON, art. 20)."""

    pseudonym: str
    locale: str
    created_at: str
    last_active_at: str
    contacts: list[ContactEntry] = field(default_factory=list)
    requests: list[RequestEntry] = field(default_factory=list)
    consents: list[ConsentEntry] = field(default_factory=list)
    newsletter: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _report(uow: UnitOfWork, core: Core, subject: Subject) -> SubjectReport:
    cipher = await uow.subject_cipher(subject.id)
    report = SubjectReport(
        pseudonym=subject.pseudonym,
        locale=subject.locale,
        created_at=subject.created_at.isoformat(),
        last_active_at=subject.last_active_at.isoformat(),
    )
    for point in await uow.contacts.for_subject(subject.id):
        value = await subjects.reveal(uow, point)
        report.contacts.append(ContactEntry(point.kind.value, contacts.display(value), point.unreachable))
    rows = await uow.requests.for_subject(subject.id)
    handovers = {h.request_id: h for h in await uow.handovers.for_requests(r.id for r in rows)}
    coaches = await uow.coaches.by_ids(h.coach_id for h in handovers.values())
    for request in rows:
        handover = handovers.get(request.id)
        coach = coaches.get(handover.coach_id) if handover else None
        original = (
            cipher.decrypt_text(request.original_ciphertext, requests.request_aad(request.id))
            if request.original_ciphertext
            else None
        )
        report.requests.append(
            RequestEntry(
                reference=request.reference,
                state=request.state.value,
                channel=request.channel.value,
                topic=request.topic,
                language=request.language,
                created_at=request.created_at.isoformat(),
                text_as_written=original,
                text_as_coaches_see_it=request.anonymised_text,
                special_category=request.special_category,
                categories=list(request.categories),
                handed_over_to=coach.display_name if coach else None,
                handed_over_at=_iso(handover.created_at) if handover else None,
            )
        )
    for event in await uow.ledger.events_for(subject.pseudonym):
        report.consents.append(
            ConsentEntry(
                purpose=event.purpose.value,
                action=event.action.value,
                at=event.occurred_at.isoformat(),
                channel=event.channel.value,
                wording_version=event.wording_version,
                wording_sha256=event.wording_sha256,
                language=event.language,
                actor=event.actor.value,
                evidence=event.evidence,
            )
        )
    for subscription in await uow.newsletter.for_subject(subject.id):
        report.newsletter.append(
            {
                "channel": subscription.channel.value,
                "state": subscription.state.value,
                "since": subscription.created_at.isoformat(),
            }
        )
    return report


async def access(core: Core, *, subject_id: uuid.UUID, actor: str, reason: str) -> SubjectReport:
    """What is stored about the subject; the read is audited."""
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        report = await _report(uow, core, subject)
        uow.audit.record(
            actor=actor,
            action="access",
            subject_pseudonym=subject.pseudonym,
            detail=reason,
            at=core.clock.now(),
        )
        await uow.commit()
        return report


async def find(core: Core, key: str) -> subjects.SubjectRef:
    async with core.reader() as uow:
        subject = await subjects.resolve(uow, core, key)
        return subjects.SubjectRef(subject.id, subject.pseudonym, subject.locale)


async def correct_contact(
    core: Core, *, subject_id: uuid.UUID, kind: ContactKind, new_value: str, actor: str, reason: str
) -> None:
    """Replace the subject's contact detail of ``kind`` (art. 16); requests keep pointing at it."""
    value = contacts.parse(kind, new_value)
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        old_points = await uow.contacts.for_subject(subject.id, kind)
        if not old_points:
            raise InvalidInput(f"this person has no {kind.value} contact detail to correct")
        new_point = await subjects.add_contact(uow, core, subject, value)
        for request in await uow.requests.for_subject(subject.id):
            if request.contact_point_id in {p.id for p in old_points}:
                request.contact_point_id = new_point.id
        for point in old_points:
            if point.id != new_point.id:
                await uow.session.delete(point)
        if kind is ContactKind.EMAIL:  # a corrected address keeps the person's newsletter choice
            for subscription in await uow.newsletter.for_subject(subject.id):
                if subscription.channel is Channel.EMAIL:
                    subscription.address_index = new_point.blind_index
        uow.audit.record(
            actor=actor,
            action="correct",
            subject_pseudonym=subject.pseudonym,
            detail=f"{kind.value}: {reason}",
            at=core.clock.now(),
        )
        await uow.commit()


@dataclass(frozen=True, slots=True)
class Erasure:
    pseudonym: str
    withdrawn_requests: tuple[str, ...]


async def erase(
    core: Core, *, subject_id: uuid.UUID, actor: Actor, channel: Channel, reason: str, by: str | None = None
) -> Erasure:
    """Erase a subject. ``by`` names the operator for the audit trail when ``actor`` is one."""
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        result = await erase_in(uow, core, subject, actor=actor, channel=channel, reason=reason, by=by)
        await uow.commit()
    journal_append(core, result.pseudonym, subject_id)
    return result


async def erase_in(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    *,
    actor: Actor,
    channel: Channel,
    reason: str,
    by: str | None = None,
) -> Erasure:
    """Erase within a unit of work (the caller commits, then calls ``journal_append``)."""
    withdrawn: list[str] = []
    for purpose, event in (await uow.ledger.current(subject.pseudonym)).items():
        if event.action is ConsentAction.GRANTED:
            outcome = await consent.withdraw_in(
                uow,
                core,
                subject,
                purpose=purpose,
                channel=channel,
                evidence=f"erasure:{subject.pseudonym}",
                actor=actor,
                reason=f"erasure: {reason}",
            )
            withdrawn.extend(outcome.withdrawn_requests)
    withdrawn.extend(
        await requests.withdraw_live(
            uow, core, subject, reason="erasure", special_only=False, tell_candidate=False
        )
    )
    await _suppress_newsletter(uow, core, subject)
    await uow.outbox.cancel_for_subject(subject.id)
    await uow.destroy_subject_key(subject.id)
    await uow.subjects.delete(subject.id)
    uow.audit.record(
        actor=f"{actor.value}:{by}" if by else actor.value,
        action="erase",
        subject_pseudonym=subject.pseudonym,
        detail=f"via {channel.value}: {reason}",
        at=core.clock.now(),
    )
    return Erasure(subject.pseudonym, tuple(withdrawn))


async def _suppress_newsletter(uow: UnitOfWork, core: Core, subject: Subject) -> None:
    """Someone who asked to be erased must not get the newsletter again by accident."""
    if not await uow.newsletter.for_subject(subject.id):
        return
    addresses: list[str] = []
    for point in await uow.contacts.for_subject(subject.id, ContactKind.EMAIL):
        try:
            addresses.append((await subjects.reveal(uow, point)).value)
        except DecryptionFailed:
            continue
    await newsletter.suppress(uow, core, addresses, reason="erasure")


# The erasure journal -------------------------------------------------------------------


def journal_path(core: Core) -> Path:
    return core.settings.erasure_journal or core.settings.var_dir / "erasures.jsonl"


def journal_append(core: Core, pseudonym: str, subject_id: uuid.UUID) -> None:
    path = journal_path(core)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {"pseudonym": pseudonym, "subject_id": str(subject_id), "at": core.clock.now().isoformat()}
    )
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def journal_entries(core: Core) -> Iterator[tuple[str, uuid.UUID]]:
    path = journal_path(core)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                entry = json.loads(line)
                yield entry["pseudonym"], uuid.UUID(entry["subject_id"])


async def reapply_erasures(core: Core, *, chunk: int = 500) -> list[str]:
    """Erase again every journalled subject that a restored backup brought back."""
    erased: list[str] = []
    entries = list(journal_entries(core))
    for start in range(0, len(entries), chunk):
        ids = [subject_id for _, subject_id in entries[start : start + chunk]]
        async with core.uow() as uow:
            present = [subject.id for subject in await uow.subjects.many(ids)]
        for subject_id in present:
            async with core.uow() as uow:
                subject = await uow.subjects.get(subject_id)
                if subject is None:
                    continue
                await erase_in(
                    uow,
                    core,
                    subject,
                    actor=Actor.SYSTEM,
                    channel=Channel.SYSTEM,
                    reason="re-applied after restore",
                )
                await uow.commit()
                erased.append(subject.pseudonym)
    return erased
