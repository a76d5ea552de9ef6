"""30 coaches press "accept" on one request at the same moment: exactly one wins, every time."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from consent_store.enums import OfferState, RequestState
from consent_store.models import Handover, IntakeRequest, Offer
from intake.core import Core
from intake.errors import OfferTaken
from intake.services import matching
from tests.conftest import make_settings
from tests.support import scenario

COACHES = 30
ROUNDS = 50


@pytest.fixture
def settings(tmp_path, db_url):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, database_url=db_url, offer_fanout=COACHES, match_confirmation="none")


async def _accept(core: Core, offer: Offer) -> bool:
    try:
        await matching.accept(core, offer_id=offer.id, coach_id=offer.coach_id)
    except OfferTaken:
        return False
    return True


@pytest.mark.slow
async def test_thirty_concurrent_accepts_have_exactly_one_winner_fifty_times(core: Core) -> None:
    await scenario.telegram_coaches(core, COACHES, capacity=10_000)
    for _ in range(ROUNDS):
        who = await scenario.candidate(core)
        submitted = await scenario.submitted(core, who)
        async with core.uow() as uow:
            offers = list(
                (
                    await uow.session.scalars(select(Offer).where(Offer.request_id == submitted.request_id))
                ).all()
            )
        assert len(offers) == COACHES

        results = await asyncio.gather(*(_accept(core, offer) for offer in offers))

        assert sum(results) == 1
        winner = offers[results.index(True)]
        async with core.uow() as uow:
            rows = await uow.session.execute(
                select(Offer.state, func.count())
                .where(Offer.request_id == submitted.request_id)
                .group_by(Offer.state)
            )
            states = {state: count for state, count in rows.all()}
            handovers = (
                await uow.session.scalars(select(Handover).where(Handover.request_id == submitted.request_id))
            ).all()
            request = await uow.session.get(IntakeRequest, submitted.request_id)
        assert states == {OfferState.ACCEPTED: 1, OfferState.SUPERSEDED: COACHES - 1}
        assert [h.coach_id for h in handovers] == [winner.coach_id]
        assert request is not None and request.state is RequestState.HANDED_OVER
        assert request.matched_coach_id == winner.coach_id
