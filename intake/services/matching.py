"""Offering requests to coaches, accepting (first one wins), and the one handover.

Lock order, everywhere: the request row first, then its offers. The first acceptance wins
by a conditional update of the request (``open`` -> ``accepted``), which is correct on
SQLite (one writer) and on PostgreSQL (row lock, re-checked after the winner commits).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from consent_store.enums import Channel, ContactKind, OfferState, Purpose, RequestState
from consent_store.models import Coach, Handover, IntakeRequest, Offer
from consent_store.unit_of_work import UnitOfWork
from intake import contacts, rules, topics
from intake.core import Core
from intake.errors import ConsentRequired, InvalidState, NotAllowed, OfferTaken
from intake.messages import Action
from intake.services import outbox, subjects

LANGUAGE_NAMES = {"nl": {"nl": "Nederlands", "en": "Engels"}, "en": {"nl": "Dutch", "en": "English"}}


class OfferNotYours(NotAllowed):
    """This offer is not addressed to you."""

    code = "offer_not_yours"


class OfferClosed(InvalidState):
    """This offer is no longer open."""

    code = "offer_closed"


def offer_thread(offer: Offer) -> str:
    return f"offer:{offer.id}"


def match_thread(request: IntakeRequest) -> str:
    return f"match:{request.id}"


def request_context(core: Core, request: IntakeRequest, language: str) -> dict[str, object]:
    return {
        "reference": request.reference,
        "topic": topics.label(request.topic, language),
        "request_language": LANGUAGE_NAMES.get(language, LANGUAGE_NAMES["en"]).get(
            request.language, request.language
        ),
        "confirmation": core.settings.match_confirmation == "candidate",
    }


async def lock_request(uow: UnitOfWork, request_id: uuid.UUID) -> IntakeRequest | None:
    """Load the request for update (a row lock on PostgreSQL; SQLite already holds the write lock)."""
    from sqlalchemy import select

    return await uow.session.scalar(
        select(IntakeRequest)
        .where(IntakeRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def chat_offer_actions(core: Core, offer_id: uuid.UUID, language: str) -> tuple[Action, ...]:
    """Accept and decline, as buttons in a chat."""
    label = core.texts.label
    return (
        Action("offer.accept", offer_id.hex, label("offer.accept", language)),
        Action("offer.decline", offer_id.hex, label("offer.decline", language)),
    )


def offer_actions(core: Core, coach: Coach, offer: Offer) -> tuple[Action, ...]:
    label = core.texts.label
    if outbox.coach_channel(coach) is Channel.TELEGRAM:
        return chat_offer_actions(core, offer.id, coach.locale)
    return (
        Action("offer.open", offer.id.hex, label("offer.open", coach.locale), core.links.offer(offer.id.hex)),
    )


def match_actions(core: Core, request: IntakeRequest, language: str) -> tuple[Action, ...]:
    label = core.texts.label
    if outbox.candidate_channel(request) is Channel.TELEGRAM:
        return (
            Action("match.confirm", request.id.hex, label("match.confirm", language)),
            Action("match.decline", request.id.hex, label("match.decline", language)),
        )
    return (
        Action("match.open", request.id.hex, label("match.open", language), core.links.match(request.id.hex)),
    )


async def notify_offer(
    uow: UnitOfWork, core: Core, coach: Coach, offer: Offer, request: IntakeRequest, *, reopened: bool = False
) -> None:
    message = core.texts.message(
        "offer",
        coach.locale,
        actions=offer_actions(core, coach, offer),
        text=request.anonymised_text,
        reopened=reopened,
        **request_context(core, request, coach.locale),
    )
    await outbox.to_coach(uow, core, coach, message, concerns=request, thread=offer_thread(offer))


async def tell_coaches(
    uow: UnitOfWork, core: Core, request: IntakeRequest, offers: list[Offer], kind: str
) -> None:
    """Tell the coaches of ``offers`` that their offer changed; replaces the offer message where possible."""
    coaches = await uow.coaches.by_ids(o.coach_id for o in offers)
    for offer in offers:
        coach = coaches.get(offer.coach_id)
        if coach is None:
            continue
        message = core.texts.message(
            kind, coach.locale, replaces_previous=True, **request_context(core, request, coach.locale)
        )
        await outbox.to_coach(uow, core, coach, message, concerns=None, thread=offer_thread(offer))


async def offer_request(uow: UnitOfWork, core: Core, request: IntakeRequest) -> list[Offer]:
    """Offer the request to eligible coaches who have not been asked yet, up to the fan-out."""
    now = core.clock.now()
    existing = await uow.offers.for_request(request.id)
    still_open = sum(1 for o in existing if o.state is OfferState.OPEN)
    limit = core.settings.offer_fanout - still_open
    if limit <= 0:
        return []
    coaches = {c.id: c for c in await uow.coaches.list(active_only=True)}
    profiles = [
        rules.CoachProfile(c.id, c.active, c.topics, c.languages, c.capacity) for c in coaches.values()
    ]
    chosen = rules.choose_coaches(
        profiles,
        topic=request.topic,
        language=request.language,
        loads=await uow.coaches.load(coaches, since=now - rules.CAPACITY_WINDOW),
        last_handover=await uow.coaches.last_handover(coaches),
        exclude={o.coach_id for o in existing},
        limit=limit,
    )
    offers = []
    for profile in chosen:
        offer = Offer(id=uuid.uuid4(), request_id=request.id, coach_id=profile.id, created_at=now)
        uow.offers.add(offer)
        offers.append(offer)
    await uow.session.flush()
    for offer in offers:
        await notify_offer(uow, core, coaches[offer.coach_id], offer, request)
    return offers


async def reoffer_waiting(core: Core, *, limit: int = 200) -> int:
    """Offer open requests that have no open offer (no coach was eligible, or all declined)
    to coaches who became eligible since. Returns how many requests got new offers."""
    async with core.uow() as uow:
        waiting = [r.id for r in await uow.requests.in_state(RequestState.OPEN, limit=limit)]
    offered = 0
    for request_id in waiting:
        async with core.uow() as uow:
            request = await lock_request(uow, request_id)
            if request is None or request.state is not RequestState.OPEN:
                continue
            if await uow.offers.for_request(request.id, [OfferState.OPEN]):
                continue
            if await offer_request(uow, core, request):
                offered += 1
            await uow.commit()
    return offered


async def _own_open_offer(
    uow: UnitOfWork, offer_id: uuid.UUID, coach_id: uuid.UUID
) -> tuple[Offer, IntakeRequest]:
    offer = await uow.offers.get(offer_id)
    if offer is None or offer.coach_id != coach_id:
        raise OfferNotYours()
    request = await lock_request(uow, offer.request_id)
    await uow.session.refresh(offer)
    if request is None:
        raise OfferClosed()
    if offer.state is OfferState.SUPERSEDED:
        raise OfferTaken()
    if offer.state is not OfferState.OPEN:
        raise OfferClosed()
    return offer, request


@dataclass(frozen=True, slots=True)
class Accepted:
    reference: str
    handed_over: bool  # True when no candidate confirmation is needed


async def accept(core: Core, *, offer_id: uuid.UUID, coach_id: uuid.UUID) -> Accepted:
    """The coach accepts. The first acceptance of a request wins; later ones get ``OfferTaken``."""
    async with core.uow() as uow:
        offer, request = await _own_open_offer(uow, offer_id, coach_id)
        now = core.clock.now()
        won = await uow.requests.transition(
            request.id,
            [RequestState.OPEN],
            state=RequestState.ACCEPTED,
            matched_coach_id=coach_id,
            updated_at=now,
        )
        if not won or not await uow.offers.transition(
            expected=[OfferState.OPEN], to=OfferState.ACCEPTED, offer_id=offer.id, decided_at=now
        ):
            raise OfferTaken()
        others = await uow.offers.transition(
            expected=[OfferState.OPEN],
            to=OfferState.SUPERSEDED,
            request_id=request.id,
            exclude=offer.id,
            decided_at=now,
        )
        await tell_coaches(uow, core, request, others, "offer_taken")
        coach = await uow.coaches.get(coach_id)
        assert coach is not None
        handed_over = core.settings.match_confirmation == "none"
        if handed_over:
            await hand_over(uow, core, request, coach, actor="system:accept")
        else:
            await propose_match(uow, core, request, coach)
        await uow.commit()
        return Accepted(request.reference, handed_over)


async def propose_match(uow: UnitOfWork, core: Core, request: IntakeRequest, coach: Coach) -> None:
    await outbox.to_coach(
        uow,
        core,
        coach,
        core.texts.message("offer_accepted", coach.locale, **request_context(core, request, coach.locale)),
        concerns=None,
    )
    subject = await subjects.get(uow, request.subject_id)
    language = subject.locale
    message = core.texts.message(
        "match_proposal",
        language,
        actions=match_actions(core, request, language),
        coach_name=coach.display_name,
        coach_intro=coach.intro,
        **request_context(core, request, language),
    )
    await outbox.to_candidate(uow, core, request, message, thread=match_thread(request))


async def decline(core: Core, *, offer_id: uuid.UUID, coach_id: uuid.UUID) -> str:
    """The coach says "not for me"; if no open offer is left, more coaches are asked."""
    async with core.uow() as uow:
        offer, request = await _own_open_offer(uow, offer_id, coach_id)
        await uow.offers.transition(
            expected=[OfferState.OPEN], to=OfferState.DECLINED, offer_id=offer.id, decided_at=core.clock.now()
        )
        if request.state is RequestState.OPEN:
            await offer_request(uow, core, request)
        await uow.commit()
        return request.reference


@dataclass(frozen=True, slots=True)
class OpenOffer:
    offer_id: uuid.UUID
    reference: str
    topic: str
    text: str
    created_at: object


async def open_offers(core: Core, coach_id: uuid.UUID) -> list[OpenOffer]:
    async with core.reader() as uow:
        coach = await uow.coaches.get(coach_id)
        language = coach.locale if coach else "nl"
        return [
            OpenOffer(o.id, r.reference, topics.label(r.topic, language), r.anonymised_text, o.created_at)
            for o, r in await uow.offers.open_for_coach(coach_id)
            if r.state is RequestState.OPEN
        ]


async def hand_over(
    uow: UnitOfWork, core: Core, request: IntakeRequest, coach: Coach, *, actor: str
) -> Handover:
    """The only code path that decrypts a candidate's contact details for a coach.

    Every precondition is checked again here, whoever calls: the request was accepted by
    this coach, the candidate confirmed (if required), the consents are in force, and no
    handover exists yet (also a unique constraint in the database).
    """
    if request.state is not RequestState.ACCEPTED or request.matched_coach_id != coach.id:
        raise InvalidState("the request has not been accepted by this coach")
    if core.settings.match_confirmation == "candidate" and request.confirmed_at is None:
        raise InvalidState("the candidate has not confirmed this coach")
    accepted = await uow.offers.for_request(request.id, [OfferState.ACCEPTED])
    if [o.coach_id for o in accepted] != [coach.id]:
        raise InvalidState("the request has not been accepted by this coach")
    subject = await subjects.get(uow, request.subject_id)
    if not await uow.ledger.is_granted(subject.pseudonym, Purpose.CONTACT_HANDOVER):
        raise ConsentRequired(Purpose.CONTACT_HANDOVER.value)
    if request.special_category and not await uow.ledger.is_granted(
        subject.pseudonym, Purpose.SPECIAL_CATEGORY
    ):
        raise ConsentRequired(Purpose.SPECIAL_CATEGORY.value)
    point = await uow.contacts.get(request.contact_point_id) if request.contact_point_id else None
    if point is None:
        raise InvalidState("the request has no contact details")
    now = core.clock.now()
    if not await uow.requests.transition(
        request.id, [RequestState.ACCEPTED], state=RequestState.HANDED_OVER, closed_at=now, updated_at=now
    ):
        raise InvalidState("the request changed meanwhile")
    channel = outbox.coach_channel(coach)
    handover = Handover(
        id=uuid.uuid4(), request_id=request.id, coach_id=coach.id, channel=channel, created_at=now
    )
    uow.handovers.add(handover)
    await uow.session.flush()

    value = await subjects.reveal(uow, point)
    shown = f"tg://user?id={value.value}" if value.kind is ContactKind.TELEGRAM else contacts.display(value)
    message = core.texts.message(
        "handover",
        coach.locale,
        contacts=[{"label": core.texts.label(f"contact.{value.kind.value}", coach.locale), "value": shown}],
        **request_context(core, request, coach.locale),
    )
    await outbox.to_coach(uow, core, coach, message, concerns=request, thread=f"handover:{request.id}")
    uow.audit.record(
        actor=actor,
        action="handover",
        subject_pseudonym=subject.pseudonym,
        detail=f"{value.kind.value}, request {request.reference}, coach {coach.code}, via {channel.value}",
        at=now,
    )
    await outbox.to_candidate(
        uow,
        core,
        request,
        core.texts.message(
            "handed_over",
            subject.locale,
            coach_name=coach.display_name,
            **request_context(core, request, subject.locale),
        ),
    )
    return handover
