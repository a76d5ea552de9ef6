"""The request lifecycle through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consent_store.enums import OfferState, Purpose, RequestState
from consent_store.models import Handover, IntakeRequest, Offer
from intake.errors import ConsentRequired, InvalidState, OfferTaken
from intake.services import matching, requests
from intake.services.matching import OfferNotYours
from tests.support import scenario


async def _offers(core, request_id):  # type: ignore[no-untyped-def]
    async with core.uow() as uow:
        return list((await uow.session.scalars(select(Offer).where(Offer.request_id == request_id))).all())


async def test_submit_offers_to_eligible_coaches_and_first_accept_wins(core) -> None:  # type: ignore[no-untyped-def]
    coaches = await scenario.telegram_coaches(core, 3)
    other_topic = await scenario.telegram_coaches(core, 1, topic="study")
    who = await scenario.candidate(core)
    submitted = await scenario.submitted(core, who)
    assert submitted.offered_to == 3

    offers = await _offers(core, submitted.request_id)
    assert {o.coach_id for o in offers} == {c.id for c in coaches}
    assert other_topic[0].id not in {o.coach_id for o in offers}

    first, second = offers[0], offers[1]
    accepted = await matching.accept(core, offer_id=first.id, coach_id=first.coach_id)
    assert accepted.reference == submitted.reference and not accepted.handed_over
    with pytest.raises(OfferTaken):
        await matching.accept(core, offer_id=second.id, coach_id=second.coach_id)

    states = {o.coach_id: o.state for o in await _offers(core, submitted.request_id)}
    assert states[first.coach_id] is OfferState.ACCEPTED
    assert sorted(s.value for c, s in states.items() if c != first.coach_id) == ["superseded", "superseded"]


async def test_foreign_offer_is_refused(core) -> None:  # type: ignore[no-untyped-def]
    a, b = await scenario.telegram_coaches(core, 2)
    who = await scenario.candidate(core)
    submitted = await scenario.submitted(core, who)
    offer_for_a = next(o for o in await _offers(core, submitted.request_id) if o.coach_id == a.id)
    with pytest.raises(OfferNotYours):
        await matching.accept(core, offer_id=offer_for_a.id, coach_id=b.id)


async def test_handover_only_after_candidate_confirms(core) -> None:  # type: ignore[no-untyped-def]
    (coach,) = await scenario.telegram_coaches(core, 1)
    who = await scenario.candidate(core)
    submitted = await scenario.submitted(core, who)
    (offer,) = await _offers(core, submitted.request_id)
    await matching.accept(core, offer_id=offer.id, coach_id=coach.id)

    async with core.uow() as uow:
        request = await uow.requests.get(submitted.request_id)
        found = await uow.coaches.get(coach.id)
        with pytest.raises(InvalidState):
            await matching.hand_over(uow, core, request, found, actor="test")
        assert (await uow.session.scalars(select(Handover))).all() == []

    name = await requests.confirm_match(core, request_id=submitted.request_id, subject_id=who.id)
    assert name == coach.display_name
    async with core.uow() as uow:
        handovers = (await uow.session.scalars(select(Handover))).all()
        request = await uow.session.get(IntakeRequest, submitted.request_id)
    assert [h.coach_id for h in handovers] == [coach.id]
    assert request.state is RequestState.HANDED_OVER


async def test_decline_reopens_to_other_coaches(core) -> None:  # type: ignore[no-untyped-def]
    first, second = await scenario.telegram_coaches(core, 2)
    who = await scenario.candidate(core)
    submitted = await scenario.submitted(core, who)
    offers = {o.coach_id: o for o in await _offers(core, submitted.request_id)}
    await matching.accept(core, offer_id=offers[first.id].id, coach_id=first.id)
    await requests.decline_match(core, request_id=submitted.request_id, subject_id=who.id)

    states = {o.coach_id: o.state for o in await _offers(core, submitted.request_id)}
    assert states == {first.id: OfferState.REJECTED, second.id: OfferState.OPEN}
    await matching.accept(core, offer_id=offers[second.id].id, coach_id=second.id)
    await requests.confirm_match(core, request_id=submitted.request_id, subject_id=who.id)
    async with core.uow() as uow:
        assert [h.coach_id for h in (await uow.session.scalars(select(Handover))).all()] == [second.id]


async def test_submit_needs_contact_handover_consent(core) -> None:  # type: ignore[no-untyped-def]
    await scenario.telegram_coaches(core, 1)
    who = await scenario.candidate(core, consents=())
    with pytest.raises(ConsentRequired) as refused:
        await scenario.submitted(core, who)
    assert refused.value.purpose == Purpose.CONTACT_HANDOVER.value


async def test_special_category_text_needs_explicit_consent_and_is_not_stored(core) -> None:  # type: ignore[no-untyped-def]
    await scenario.telegram_coaches(core, 1)
    who = await scenario.candidate(core)
    with pytest.raises(ConsentRequired) as refused:
        await scenario.submitted(core, who, text="Ik zit thuis met een burn-out en wil weer aan het werk.")
    assert refused.value.purpose == Purpose.SPECIAL_CATEGORY.value
    async with core.uow() as uow:
        assert (await uow.session.scalars(select(IntakeRequest))).all() == []

    await scenario.grant(core, who.id, Purpose.SPECIAL_CATEGORY)
    submitted = await scenario.submitted(
        core, who, text="Ik zit thuis met een burn-out en wil weer aan het werk."
    )
    assert submitted.offered_to == 1


async def test_requests_nobody_could_take_are_offered_when_a_coach_becomes_available(core) -> None:  # type: ignore[no-untyped-def]
    who = await scenario.candidate(core)
    submitted = await scenario.submitted(core, who)
    assert submitted.offered_to == 0
    assert await matching.reoffer_waiting(core) == 0
    (coach,) = await scenario.telegram_coaches(core, 1)
    assert await matching.reoffer_waiting(core) == 1
    assert [o.coach_id for o in await _offers(core, submitted.request_id)] == [coach.id]
    assert await matching.reoffer_waiting(core) == 0  # an open offer exists: nothing more to do


async def test_declined_by_every_coach_waits_for_new_coaches(core) -> None:  # type: ignore[no-untyped-def]
    (first,) = await scenario.telegram_coaches(core, 1)
    who = await scenario.candidate(core)
    submitted = await scenario.submitted(core, who)
    (offer,) = await _offers(core, submitted.request_id)
    await matching.decline(core, offer_id=offer.id, coach_id=first.id)
    (second,) = await scenario.telegram_coaches(core, 1)
    assert await matching.reoffer_waiting(core) == 1
    states = {o.coach_id: o.state for o in await _offers(core, submitted.request_id)}
    assert states == {first.id: OfferState.DECLINED, second.id: OfferState.OPEN}


async def _kinds_to(core, recipient_id):  # type: ignore[no-untyped-def]
    from consent_store.models import OutboxMessage

    async with core.uow() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient_id == recipient_id)
            .order_by(OutboxMessage.created_at)
        )
        return [row.kind for row in rows.all()]


async def test_a_match_the_candidate_never_answers_lapses(core) -> None:  # type: ignore[no-untyped-def]
    from intake.services import retention

    winner, other = await scenario.telegram_coaches(core, 2)
    who = await scenario.candidate(core)
    submitted = await scenario.submitted(core, who)
    offer = next(o for o in await _offers(core, submitted.request_id) if o.coach_id == winner.id)
    await matching.accept(core, offer_id=offer.id, coach_id=winner.id)

    core.clock.advance(core.settings.match_answer_ttl - timedelta(minutes=1))
    assert (await retention.run(core)).lapsed_matches == 0
    core.clock.advance(timedelta(minutes=2))
    report = await retention.run(core)
    assert (report.lapsed_matches, report.expired_requests) == (1, 0)

    async with core.uow() as uow:
        request = await uow.requests.get(submitted.request_id)
        assert request.state is RequestState.EXPIRED and request.original_ciphertext is None
        assert (await uow.session.scalars(select(Handover))).all() == []
    states = {o.coach_id: o.state for o in await _offers(core, submitted.request_id)}
    assert states == {winner.id: OfferState.WITHDRAWN, other.id: OfferState.SUPERSEDED}
    assert (await _kinds_to(core, winner.id))[-1] == "offer_withdrawn"
    assert (await _kinds_to(core, other.id))[-1] == "offer_taken"  # told once, not again
    assert (await _kinds_to(core, who.id))[-1] == "request_expired"
    with pytest.raises(InvalidState):  # a late "yes" hands nothing over
        await requests.confirm_match(core, request_id=submitted.request_id, subject_id=who.id)
    assert (await retention.run(core)).lapsed_matches == 0


async def test_a_request_no_coach_takes_expires(core) -> None:  # type: ignore[no-untyped-def]
    from intake.services import retention

    coaches = await scenario.telegram_coaches(core, 2)
    who = await scenario.candidate(core)
    submitted = await scenario.submitted(core, who)
    taken = await scenario.submitted(core, who, text="Ik wil leren presenteren.")
    offer = (await _offers(core, taken.request_id))[0]

    core.clock.advance(core.settings.open_request_ttl - timedelta(days=1))
    await matching.accept(core, offer_id=offer.id, coach_id=offer.coach_id)  # recent: kept
    core.clock.advance(timedelta(days=2))
    report = await retention.run(core)
    assert (report.expired_requests, report.lapsed_matches) == (1, 0)
    async with core.uow() as uow:
        assert (await uow.requests.get(submitted.request_id)).state is RequestState.EXPIRED
        assert (await uow.requests.get(taken.request_id)).state is RequestState.ACCEPTED
    assert {o.state for o in await _offers(core, submitted.request_id)} == {OfferState.WITHDRAWN}
    for coach in coaches:
        assert "offer_withdrawn" in await _kinds_to(core, coach.id)
    assert "request_expired" in await _kinds_to(core, who.id)
