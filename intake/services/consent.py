"""Giving and withdrawing consent; proving it.

Every grant and withdrawal is a ledger event with the version and hash of the wording the
person saw. Withdrawing has the same effect whichever channel it comes from.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from consent_store.enums import Actor, Channel, ConsentAction, Purpose
from consent_store.ledger import LedgerReport, NewConsentEvent
from consent_store.models import ConsentEvent, Subject
from consent_store.unit_of_work import UnitOfWork
from intake.core import Core
from intake.services import subjects
from intake.texts import Wording


@dataclass(frozen=True, slots=True)
class ShownWording:
    """What an adapter showed: it must be the current wording, or the grant is refused."""

    version: str
    sha256: str
    language: str

    @classmethod
    def of(cls, wording: Wording) -> ShownWording:
        return cls(wording.version, wording.sha256, wording.language)


@dataclass(frozen=True, slots=True)
class Withdrawal:
    changed: bool  # False if the consent was not in force (withdrawing is idempotent)
    withdrawn_requests: tuple[str, ...]  # references of requests withdrawn as a consequence


def event(
    core: Core,
    subject: Subject,
    *,
    purpose: Purpose,
    action: ConsentAction,
    wording: Wording,
    channel: Channel,
    evidence: str,
    actor: Actor = Actor.SUBJECT,
    reason: str | None = None,
) -> NewConsentEvent:
    """A ledger event for ``subject``, to append now (``append``) or with others in one go."""
    return NewConsentEvent(
        subject_pseudonym=subject.pseudonym,
        purpose=purpose,
        action=action,
        policy_version=core.texts.notice_version,
        wording_version=wording.version,
        wording_sha256=wording.sha256,
        language=wording.language,
        channel=channel,
        evidence=evidence,
        actor=actor,
        actor_reason=reason,
    )


async def append(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    *,
    purpose: Purpose,
    action: ConsentAction,
    wording: Wording,
    channel: Channel,
    evidence: str,
    actor: Actor = Actor.SUBJECT,
    reason: str | None = None,
) -> ConsentEvent:
    return await uow.ledger.append(
        event(
            core,
            subject,
            purpose=purpose,
            action=action,
            wording=wording,
            channel=channel,
            evidence=evidence,
            actor=actor,
            reason=reason,
        ),
        core.clock.now(),
    )


async def grant(
    core: Core,
    *,
    subject_id: uuid.UUID,
    purpose: Purpose,
    shown: ShownWording,
    channel: Channel,
    evidence: str,
) -> ConsentEvent:
    wording = core.texts.shown(purpose, shown.language, shown.version, shown.sha256)
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        event = await append(
            uow,
            core,
            subject,
            purpose=purpose,
            action=ConsentAction.GRANTED,
            wording=wording,
            channel=channel,
            evidence=evidence,
        )
        subject.last_active_at = core.clock.now()
        await uow.commit()
        return event


async def withdraw(
    core: Core,
    *,
    subject_id: uuid.UUID,
    purpose: Purpose,
    channel: Channel,
    evidence: str,
    actor: Actor = Actor.SUBJECT,
    reason: str | None = None,
) -> Withdrawal:
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        outcome = await withdraw_in(
            uow,
            core,
            subject,
            purpose=purpose,
            channel=channel,
            evidence=evidence,
            actor=actor,
            reason=reason,
        )
        await uow.commit()
        return outcome


async def withdraw_in(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    *,
    purpose: Purpose,
    channel: Channel,
    evidence: str,
    actor: Actor,
    reason: str | None,
) -> Withdrawal:
    """Withdraw inside an existing unit of work, with the consequences the purpose has."""
    from intake.services import newsletter, requests  # these modules call this one

    if purpose is Purpose.NEWSLETTER:
        # Leaving the newsletter: withdrawn in the ledger, the address suppressed, queued
        # mails cancelled; also ends a sign-up that was not confirmed yet (nothing granted).
        changed = await newsletter.unsubscribe_in(
            uow, core, subject, channel=channel, evidence=evidence, actor=actor, reason=reason
        )
        subject.last_active_at = core.clock.now()
        return Withdrawal(changed, ())
    if not await uow.ledger.is_granted(subject.pseudonym, purpose):
        return Withdrawal(False, ())
    await append(
        uow,
        core,
        subject,
        purpose=purpose,
        action=ConsentAction.WITHDRAWN,
        wording=core.texts.wording(purpose, subject.locale),
        channel=channel,
        evidence=evidence,
        actor=actor,
        reason=reason,
    )
    withdrawn: tuple[str, ...] = ()
    if purpose is Purpose.SPECIAL_CATEGORY:
        withdrawn = await requests.withdraw_live(uow, core, subject, reason="consent", special_only=True)
        await requests.scrub_special_texts(uow, subject)
    elif purpose is Purpose.CONTACT_HANDOVER:
        withdrawn = await requests.withdraw_live(uow, core, subject, reason="consent", special_only=False)
    subject.last_active_at = core.clock.now()
    return Withdrawal(True, withdrawn)


async def granted(core: Core, subject_id: uuid.UUID) -> frozenset[Purpose]:
    """The purposes this subject's consent is in force for now."""
    async with core.reader() as uow:
        subject = await subjects.get(uow, subject_id)
        return await uow.ledger.granted(subject.pseudonym)


@dataclass(frozen=True, slots=True)
class ConsentProof:
    pseudonym: str
    events: Sequence[ConsentEvent]
    chain: LedgerReport


async def proof(core: Core, key: str, *, operator: str, reason: str) -> ConsentProof:
    """A subject's consent history with the verification of the whole chain (audited)."""
    async with core.uow() as uow:
        pseudonym = key.strip().upper()
        if not pseudonym.startswith("K-"):
            pseudonym = (await subjects.resolve(uow, core, key)).pseudonym
        events = await uow.ledger.events_for(pseudonym)
        if not events:
            raise subjects.SubjectNotFound()
        uow.audit.record(
            actor=f"operator:{operator}",
            action="consent_show",
            subject_pseudonym=pseudonym,
            detail=reason,
            at=core.clock.now(),
        )
        await uow.commit()
    return ConsentProof(pseudonym, events, await verify(core))


async def verify(core: Core) -> LedgerReport:
    async with core.reader() as uow:
        return await uow.ledger.verify()
