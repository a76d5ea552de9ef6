"""A candidate's request: preview, draft, submit, withdraw, and the answer to a proposed match."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from consent_store.enums import LIVE_REQUEST_STATES, Channel, OfferState, Purpose, RequestState
from consent_store.models import IntakeRequest, Subject
from consent_store.unit_of_work import UnitOfWork
from intake import identifiers, rules, topics
from intake.core import Core
from intake.errors import ConsentRequired, InvalidInput, InvalidState, NotFound, TextTooLong
from intake.ports import AnalysisLike
from intake.services import matching, outbox, subjects


class RequestNotFound(NotFound):
    """No such request."""

    code = "request_not_found"


class ContactRequired(InvalidInput):
    """Contact details are needed before the request can be sent."""

    code = "contact_required"


@dataclass(frozen=True, slots=True)
class Preview:
    """What coaches would see, and whether explicit consent is needed first."""

    language: str
    anonymised: str
    special_category: bool
    categories: tuple[str, ...]
    needs_special_consent: bool

    # A preview stands in for the anonymiser's analysis of its text (``AnalysisLike``), so that
    # coaches get exactly what the candidate saw.
    @property
    def redacted(self) -> str:
        return self.anonymised

    @property
    def spans(self) -> tuple[()]:
        return ()


@dataclass(frozen=True, slots=True)
class Draft:
    request_id: uuid.UUID
    reference: str
    preview: Preview


@dataclass(frozen=True, slots=True)
class Submitted:
    request_id: uuid.UUID
    reference: str
    offered_to: int


def _check_text(core: Core, text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("the request is empty")
    if len(text) > core.settings.max_request_chars:
        raise TextTooLong(len(text), core.settings.max_request_chars)
    return text


async def _analyse(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    text: str,
    language: str | None,
    analysis: AnalysisLike | None = None,
) -> Preview:
    """``analysis``: the anonymiser's result for this text, when made before the transaction."""
    if analysis is None:
        analysis = core.anonymiser.analyse(text, language)
    special = bool(analysis.special_category)
    consented = special and await uow.ledger.is_granted(subject.pseudonym, Purpose.SPECIAL_CATEGORY)
    return Preview(
        language=analysis.language if analysis.language in ("nl", "en") else subject.locale,
        anonymised=analysis.redacted,
        special_category=special,
        categories=tuple(analysis.categories),
        needs_special_consent=special and not consented,
    )


async def preview(core: Core, *, subject_id: uuid.UUID, text: str, language: str | None = None) -> Preview:
    """Analyse a text without storing anything."""
    text = _check_text(core, text)
    async with core.reader() as uow:
        subject = await subjects.get(uow, subject_id)
        return await _analyse(uow, core, subject, text, language)


async def _create_draft(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    *,
    channel: Channel,
    topic: str,
    text: str,
    language: str | None,
    hold_for_confirmation: bool,
    source_ref: str | None,
    contact_point_id: uuid.UUID | None,
    reference: str | None = None,
    flush: bool = True,
    analysis: AnalysisLike | None = None,
    now: datetime | None = None,
    add: bool = True,
) -> tuple[IntakeRequest, Preview]:
    """``reference``: one the caller checked is free (else one is drawn here); ``flush``: write
    now (False: at the next flush, e.g. one flush for a batch of drafts); ``analysis``: the
    anonymiser's analysis of ``text`` in ``language``, if the caller made it beforehand (outside
    the transaction); ``now``: the time of the change (one for a batch); ``add``: False leaves
    the new request out of the session, for the caller to write (``uow.insert_all``)."""
    topics.check(topic)
    text = _check_text(core, text)
    result = await _analyse(uow, core, subject, text, language, analysis)
    if result.needs_special_consent and not hold_for_confirmation:
        raise ConsentRequired(Purpose.SPECIAL_CATEGORY.value)  # nothing of the text is stored
    if reference is None:
        reference = identifiers.request_reference()
        while await uow.requests.reference_taken(reference):
            reference = identifiers.request_reference()
    now = now or core.clock.now()
    request_id = uuid.uuid4()
    cipher = await uow.subject_cipher(subject.id)
    request = IntakeRequest(
        id=request_id,
        reference=reference,
        subject_id=subject.id,
        channel=channel,
        topic=topic,
        language=result.language,
        anonymised_text=result.anonymised,
        original_ciphertext=cipher.encrypt_text(text, request_aad(request_id)),
        special_category=result.special_category,
        categories=list(result.categories),
        state=RequestState.DRAFT,
        contact_point_id=contact_point_id,
        source_ref=source_ref,
        created_at=now,
        updated_at=now,
        expires_at=now + core.settings.confirmation_ttl if hold_for_confirmation else None,
    )
    if add:
        uow.requests.add(request)
    subject.last_active_at = now
    if flush:
        await uow.session.flush()
    return request, result


def request_aad(request_id: uuid.UUID) -> bytes:
    return f"request:{request_id}".encode()


async def create_draft(
    core: Core,
    *,
    subject_id: uuid.UUID,
    channel: Channel,
    topic: str,
    text: str,
    language: str | None = None,
    hold_for_confirmation: bool = False,
    source_ref: str | None = None,
    contact_point_id: uuid.UUID | None = None,
) -> Draft:
    """Store a request that is not yet offered.

    Without ``hold_for_confirmation`` a text revealing special-category data is refused
    (``ConsentRequired``) unless that consent is in force, and nothing is stored. E-mail
    drafts are held: the mail is already with us, so the draft waits for the candidate's
    confirmation and consent on the web page, and is erased after the confirmation TTL.
    """
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        request, result = await _create_draft(
            uow,
            core,
            subject,
            channel=channel,
            topic=topic,
            text=text,
            language=language,
            hold_for_confirmation=hold_for_confirmation,
            source_ref=source_ref,
            contact_point_id=contact_point_id,
        )
        await uow.commit()
        return Draft(request.id, request.reference, result)


async def _own(uow: UnitOfWork, request_id: uuid.UUID, subject_id: uuid.UUID) -> IntakeRequest:
    request = await matching.lock_request(uow, request_id)
    if request is None or request.subject_id != subject_id:
        raise RequestNotFound()
    return request


async def _submit(
    uow: UnitOfWork, core: Core, request: IntakeRequest, subject: Subject, contact_point_id: uuid.UUID | None
) -> Submitted:
    if request.state is not RequestState.DRAFT:
        raise InvalidState("this request has already been sent")
    granted = set(await uow.ledger.granted(subject.pseudonym))
    missing = rules.missing_consents(granted, request.special_category)
    if missing:
        raise ConsentRequired(missing[0].value)
    if contact_point_id is not None:
        point = await uow.contacts.get(contact_point_id)
        if point is None or point.subject_id != subject.id:
            raise ContactRequired()
        request.contact_point_id = point.id
    if request.contact_point_id is None:
        raise ContactRequired()
    now = core.clock.now()
    if not await uow.requests.transition(
        request.id,
        [RequestState.DRAFT],
        state=RequestState.OPEN,
        submitted_at=now,
        updated_at=now,
        expires_at=None,
        contact_point_id=request.contact_point_id,
    ):
        raise InvalidState("this request has already been sent")
    offers = await matching.offer_request(uow, core, request)
    await outbox.to_candidate(
        uow,
        core,
        request,
        core.texts.message(
            "request_received", subject.locale, **matching.request_context(core, request, subject.locale)
        ),
    )
    subject.last_active_at = now
    return Submitted(request.id, request.reference, len(offers))


async def submit(
    core: Core, *, request_id: uuid.UUID, subject_id: uuid.UUID, contact_point_id: uuid.UUID | None = None
) -> Submitted:
    """Send a draft to coaches. Refused unless the consents it needs are in force and
    contact details are known."""
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        result = await _submit(uow, core, await _own(uow, request_id, subject_id), subject, contact_point_id)
        await uow.commit()
        return result


async def submit_new(
    core: Core,
    *,
    subject_id: uuid.UUID,
    channel: Channel,
    topic: str,
    text: str,
    contact_point_id: uuid.UUID,
    language: str | None = None,
    source_ref: str | None = None,
    shown: Preview | None = None,
) -> Submitted:
    """Create and submit in one transaction (the chat flow, where consent came first).

    ``shown``: the preview of this text the candidate saw (``preview``); coaches get exactly
    that, even if the anonymiser changed in between. Without it the text is analysed now."""
    topics.check(topic)
    text = _check_text(core, text)
    # The anonymiser is the costly part, and needs nothing from the database: not while
    # holding the write lock (SQLite).
    analysis = shown if shown is not None else core.anonymiser.analyse(text, language)
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        request, _ = await _create_draft(
            uow,
            core,
            subject,
            channel=channel,
            topic=topic,
            text=text,
            language=language,
            hold_for_confirmation=False,
            source_ref=source_ref,
            contact_point_id=contact_point_id,
            analysis=analysis,
        )
        result = await _submit(uow, core, request, subject, contact_point_id)
        await uow.commit()
        return result


async def close(
    uow: UnitOfWork,
    core: Core,
    request: IntakeRequest,
    to: RequestState,
    *,
    reason: str,
    tell_candidate: bool,
) -> bool:
    """Withdraw or expire a live request: its offers close, their coaches are told, the
    original text is discarded."""
    now = core.clock.now()
    if not await uow.requests.transition(
        request.id,
        rules.sources_of(to) & LIVE_REQUEST_STATES,
        state=to,
        closed_at=now,
        updated_at=now,
        original_ciphertext=None,
    ):
        return False
    closed = await uow.offers.transition(
        expected=[OfferState.OPEN, OfferState.ACCEPTED],
        to=OfferState.WITHDRAWN,
        request_id=request.id,
        decided_at=now,
    )
    await matching.tell_coaches(uow, core, request, closed, "offer_withdrawn")
    if tell_candidate:
        subject = await subjects.get(uow, request.subject_id)
        await outbox.to_candidate(
            uow,
            core,
            request,
            core.texts.message(
                "request_expired" if to is RequestState.EXPIRED else "request_withdrawn",
                subject.locale,
                reason=reason,
                **matching.request_context(core, request, subject.locale),
            ),
        )
    return True


async def withdraw_live(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    *,
    reason: str,
    special_only: bool,
    tell_candidate: bool = True,
) -> tuple[str, ...]:
    """Withdraw the subject's live requests (only those with special-category data, if
    ``special_only``); returns their references."""
    withdrawn = []
    for request in await uow.requests.for_subject(subject.id, LIVE_REQUEST_STATES):
        if special_only and not request.special_category:
            continue
        locked = await matching.lock_request(uow, request.id)
        if locked and await close(
            uow, core, locked, RequestState.WITHDRAWN, reason=reason, tell_candidate=tell_candidate
        ):
            withdrawn.append(locked.reference)
    return tuple(withdrawn)


async def scrub_special_texts(uow: UnitOfWork, subject: Subject) -> None:
    """After special-category consent is withdrawn, the texts that needed it are not kept."""
    for request in await uow.requests.for_subject(subject.id):
        if request.special_category:
            request.original_ciphertext = None
            request.anonymised_text = ""


async def withdraw(
    core: Core, *, subject_id: uuid.UUID, request_id: uuid.UUID | None = None
) -> tuple[str, ...]:
    """The candidate withdraws one request (or every live one)."""
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        if request_id is None:
            result = await withdraw_live(uow, core, subject, reason="subject", special_only=False)
        else:
            request = await _own(uow, request_id, subject_id)
            if request.state not in LIVE_REQUEST_STATES:
                raise InvalidState("this request can no longer be withdrawn")
            await close(uow, core, request, RequestState.WITHDRAWN, reason="subject", tell_candidate=True)
            result = (request.reference,)
        subject.last_active_at = core.clock.now()
        await uow.commit()
        return result


async def _pending_match(uow: UnitOfWork, request_id: uuid.UUID, subject_id: uuid.UUID) -> IntakeRequest:
    request = await _own(uow, request_id, subject_id)
    if request.state is not RequestState.ACCEPTED or request.matched_coach_id is None:
        raise InvalidState("there is no coach waiting for your answer on this request")
    return request


async def confirm_match(core: Core, *, request_id: uuid.UUID, subject_id: uuid.UUID) -> str:
    """The candidate confirms the coach who accepted: the handover happens now."""
    async with core.uow() as uow:
        request = await _pending_match(uow, request_id, subject_id)
        coach = await uow.coaches.get(request.matched_coach_id)  # type: ignore[arg-type]
        assert coach is not None
        request.confirmed_at = core.clock.now()
        await matching.hand_over(uow, core, request, coach, actor="subject:confirm")
        await uow.commit()
        return coach.display_name


async def decline_match(core: Core, *, request_id: uuid.UUID, subject_id: uuid.UUID) -> str:
    """The candidate prefers another coach: the request is offered again."""
    async with core.uow() as uow:
        request = await _pending_match(uow, request_id, subject_id)
        subject = await subjects.get(uow, subject_id)
        now = core.clock.now()
        rejected = await uow.offers.transition(
            expected=[OfferState.ACCEPTED], to=OfferState.REJECTED, request_id=request.id, decided_at=now
        )
        await matching.tell_coaches(uow, core, request, rejected, "match_rejected")
        await uow.requests.transition(
            request.id,
            [RequestState.ACCEPTED],
            state=RequestState.OPEN,
            matched_coach_id=None,
            confirmed_at=None,
            updated_at=now,
        )
        reopened = await uow.offers.transition(
            expected=[OfferState.SUPERSEDED], to=OfferState.OPEN, request_id=request.id, decided_at=now
        )
        coaches = await uow.coaches.by_ids(o.coach_id for o in reopened)
        for offer in reopened:
            coach = coaches.get(offer.coach_id)
            if coach is not None and coach.active:
                await matching.notify_offer(uow, core, coach, offer, request, reopened=True)
            else:
                await uow.offers.transition(
                    expected=[OfferState.OPEN], to=OfferState.WITHDRAWN, offer_id=offer.id, decided_at=now
                )
        await matching.offer_request(uow, core, request)
        await outbox.to_candidate(
            uow,
            core,
            request,
            core.texts.message(
                "request_reopened", subject.locale, **matching.request_context(core, request, subject.locale)
            ),
        )
        await uow.commit()
        return request.reference


# For use cases that create or submit a request inside their own unit of work, together with
# other changes that must commit with it (the e-mail intake and its confirmation page).
draft_in = _create_draft
submit_in = _submit
