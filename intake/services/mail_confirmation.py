"""The confirmation page of an e-mailed request: what it shows, and what confirming (with
consent) or deleting does."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from consent_store.enums import Channel, ConsentAction, NewsletterState, Purpose, RequestState
from consent_store.models import IntakeRequest
from consent_store.unit_of_work import UnitOfWork
from intake import rules, topics
from intake.core import Core
from intake.errors import ConsentRequired, IntakeError, InvalidInput, InvalidState
from intake.services import consent, matching, newsletter, requests, subjects
from intake.services.consent import ShownWording


class ConfirmationGone(IntakeError):
    """This request is no longer waiting for confirmation: it expired or was deleted."""

    code = "confirmation_gone"


class AlreadyConfirmed(InvalidState):
    """This request has already been confirmed."""

    code = "already_confirmed"


@dataclass(frozen=True, slots=True)
class ConfirmationView:
    reference: str
    state: RequestState
    text: str  # anonymised, exactly as coaches would see it
    topic: str
    language: str
    locale: str  # the candidate's language
    special_category: bool
    expires_at: datetime | None

    @property
    def required(self) -> frozenset[Purpose]:
        """The consents the form must have ticked."""
        return rules.required_consents(self.special_category)

    @property
    def waiting(self) -> bool:
        """Not confirmed yet: the form is still to be filled in."""
        return self.state is RequestState.DRAFT


async def confirmation(core: Core, request_id: uuid.UUID) -> ConfirmationView:
    """What the confirmation page shows. Reads only."""
    async with core.reader() as uow:
        request = await uow.requests.get(request_id)
        if request is None or request.channel is not Channel.EMAIL:
            raise ConfirmationGone()
        subject = await uow.subjects.get(request.subject_id)
        if subject is None:
            raise ConfirmationGone()
        if request.state is RequestState.DRAFT and _expired(core, request.expires_at):
            raise ConfirmationGone()
        if request.state in (RequestState.WITHDRAWN, RequestState.EXPIRED):
            raise ConfirmationGone()
        return ConfirmationView(
            reference=request.reference,
            state=request.state,
            text=request.anonymised_text,
            topic=request.topic,
            language=request.language,
            locale=subject.locale,
            special_category=request.special_category,
            expires_at=request.expires_at,
        )


def _expired(core: Core, expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at <= core.clock.now()


@dataclass(frozen=True, slots=True)
class Confirmed:
    reference: str
    offered_to: int
    newsletter: NewsletterState | None


async def confirm(
    core: Core,
    request_id: uuid.UUID,
    *,
    shown: Mapping[Purpose, ShownWording],
    ticked: frozenset[Purpose],
    topic: str | None,
    evidence: str,
) -> Confirmed:
    """The candidate confirmed on the page: each ticked consent goes into the ledger (with
    the wording shown and ``evidence``, the form submission id) and the request is offered.

    ``contact_handover`` is required; ``special_category`` too if the text needs it. Nothing
    is recorded unless everything succeeds. A newsletter sign-up (optional) is pending until
    confirmed by e-mail (double opt-in)."""
    async with core.uow() as uow:
        request = await _waiting_draft(uow, core, request_id)
        missing = rules.missing_consents(ticked, request.special_category)
        if missing:
            raise ConsentRequired(missing[0].value)
        if topic is not None:
            request.topic = topics.check(topic)
        subject = await subjects.get(uow, request.subject_id)
        for purpose in (Purpose.SPECIAL_CATEGORY, Purpose.CONTACT_HANDOVER):
            if purpose not in ticked:
                continue
            seen = shown.get(purpose)
            if seen is None:
                raise InvalidInput(f"the wording shown for {purpose.value} is missing")
            await consent.append(
                uow,
                core,
                subject,
                purpose=purpose,
                action=ConsentAction.GRANTED,
                wording=core.texts.shown(purpose, seen.language, seen.version, seen.sha256),
                channel=Channel.WEB,
                evidence=evidence,
            )
        submitted = await requests.submit_in(uow, core, request, subject, request.contact_point_id)
        await uow.commit()
    state = None
    seen = shown.get(Purpose.NEWSLETTER)
    if Purpose.NEWSLETTER in ticked and seen is not None:
        # Pending until the candidate follows the link in a confirmation e-mail; sending that
        # e-mail is the newsletter's job (issue 6), triggered by a new pending subscription.
        state = await newsletter.subscribe(
            core, subject_id=subject.id, channel=Channel.EMAIL, shown=seen, evidence=evidence
        )
    return Confirmed(submitted.reference, submitted.offered_to, state)


async def _waiting_draft(uow: UnitOfWork, core: Core, request_id: uuid.UUID) -> IntakeRequest:
    """The e-mailed request, locked, if it still waits for confirmation."""
    request = await matching.lock_request(uow, request_id)
    if request is None or request.channel is not Channel.EMAIL:
        raise ConfirmationGone()
    if request.state is not RequestState.DRAFT:
        if request.state in (RequestState.WITHDRAWN, RequestState.EXPIRED):
            raise ConfirmationGone()
        raise AlreadyConfirmed()
    if _expired(core, request.expires_at):
        raise ConfirmationGone()
    return request


async def discard(core: Core, request_id: uuid.UUID) -> str:
    """The candidate does not want to send this request: it is erased now."""
    async with core.uow() as uow:
        request = await _waiting_draft(uow, core, request_id)
        reference = request.reference
        await requests.close(
            uow, core, request, RequestState.WITHDRAWN, reason="subject", tell_candidate=False
        )
        await uow.requests.delete(request.id)
        await uow.commit()
        return reference
