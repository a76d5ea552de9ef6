"""What the pages behind e-mail links show and do for coaches (an offer) and candidates
(a proposed match). The signed token in the link names the offer or request; the rules of
accepting and confirming stay in ``matching`` and ``requests``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from consent_store.enums import OfferState, RequestState
from intake import topics
from intake.core import Core
from intake.errors import NotFound
from intake.services import matching, requests
from intake.services.matching import LANGUAGE_NAMES


class LinkTargetGone(NotFound):
    """What this link was about no longer exists."""

    code = "link_target_gone"


class OfferStatus(StrEnum):
    OPEN = "open"  # the coach can accept or decline
    ACCEPTED = "accepted"  # this coach accepted (waiting for the candidate, or handed over)
    DECLINED = "declined"  # this coach said "not for me"
    TAKEN = "taken"  # another coach was first
    CLOSED = "closed"  # withdrawn, expired, or the candidate chose otherwise


@dataclass(frozen=True, slots=True)
class OfferView:
    offer_id: uuid.UUID
    coach_id: uuid.UUID
    locale: str  # the coach's language
    reference: str
    topic: str
    request_language: str
    text: str  # anonymised
    status: OfferStatus


_OFFER_STATUS = {
    OfferState.OPEN: OfferStatus.OPEN,
    OfferState.ACCEPTED: OfferStatus.ACCEPTED,
    OfferState.DECLINED: OfferStatus.DECLINED,
    OfferState.SUPERSEDED: OfferStatus.TAKEN,
    OfferState.REJECTED: OfferStatus.CLOSED,
    OfferState.WITHDRAWN: OfferStatus.CLOSED,
}


async def offer_view(core: Core, offer_id: uuid.UUID) -> OfferView:
    """The offer page. Reads only (link scanners open it too)."""
    async with core.reader() as uow:
        offer = await uow.offers.get(offer_id)
        request = await uow.requests.get(offer.request_id) if offer else None
        coach = await uow.coaches.get(offer.coach_id) if offer else None
        if offer is None or request is None or coach is None:
            raise LinkTargetGone()
        status = _OFFER_STATUS[offer.state]
        if status is OfferStatus.OPEN and (request.state is not RequestState.OPEN or not coach.active):
            status = OfferStatus.CLOSED
        locale = coach.locale
        return OfferView(
            offer_id=offer.id,
            coach_id=coach.id,
            locale=locale,
            reference=request.reference,
            topic=topics.label(request.topic, locale),
            request_language=LANGUAGE_NAMES.get(locale, LANGUAGE_NAMES["en"]).get(
                request.language, request.language
            ),
            text=request.anonymised_text if status is OfferStatus.OPEN else "",
            status=status,
        )


async def answer_offer(core: Core, offer_id: uuid.UUID, *, accept: bool) -> OfferView:
    """The coach behind the link accepts or declines (``OfferTaken``, ``OfferClosed`` if too late)."""
    view = await offer_view(core, offer_id)
    if accept:
        await matching.accept(core, offer_id=offer_id, coach_id=view.coach_id)
    else:
        await matching.decline(core, offer_id=offer_id, coach_id=view.coach_id)
    return await offer_view(core, offer_id)


class MatchStatus(StrEnum):
    WAITING = "waiting"  # a coach accepted; the candidate can say yes or no
    CONFIRMED = "confirmed"  # handed over to this coach
    DECLINED = "declined"  # the candidate asked for another coach: offered again
    CLOSED = "closed"  # withdrawn or expired


@dataclass(frozen=True, slots=True)
class MatchView:
    request_id: uuid.UUID
    subject_id: uuid.UUID
    locale: str  # the candidate's language
    reference: str
    coach_name: str
    coach_intro: str
    status: MatchStatus


async def match_view(core: Core, request_id: uuid.UUID) -> MatchView:
    """The match page. Reads only."""
    async with core.reader() as uow:
        request = await uow.requests.get(request_id)
        subject = await uow.subjects.get(request.subject_id) if request else None
        if request is None or subject is None:
            raise LinkTargetGone()
        coach = None
        if request.matched_coach_id is not None:
            coach = await uow.coaches.get(request.matched_coach_id)
        elif request.state is RequestState.HANDED_OVER:
            handover = await uow.handovers.for_request(request.id)
            coach = await uow.coaches.get(handover.coach_id) if handover else None
        if request.state is RequestState.ACCEPTED:
            status = MatchStatus.WAITING
        elif request.state is RequestState.HANDED_OVER:
            status = MatchStatus.CONFIRMED
        elif request.state is RequestState.OPEN:
            status = MatchStatus.DECLINED
        else:
            status = MatchStatus.CLOSED
        return MatchView(
            request_id=request.id,
            subject_id=subject.id,
            locale=subject.locale,
            reference=request.reference,
            coach_name=coach.display_name if coach else "",
            coach_intro=coach.intro if coach and status is MatchStatus.WAITING else "",
            status=status,
        )


async def answer_match(core: Core, request_id: uuid.UUID, *, confirm: bool) -> MatchView:
    """The candidate behind the link says yes (handover) or no (offered again);
    ``InvalidState`` if there is nothing to answer any more."""
    view = await match_view(core, request_id)
    if confirm:
        await requests.confirm_match(core, request_id=request_id, subject_id=view.subject_id)
    else:
        await requests.decline_match(core, request_id=request_id, subject_id=view.subject_id)
    return await match_view(core, request_id)
