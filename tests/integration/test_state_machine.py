"""Random sequences of use cases never break the service's promises (hypothesis stateful)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule
from sqlalchemy import select

from consent_store.enums import Actor, Channel, Purpose
from consent_store.models import Offer
from intake.clock import ManualClock
from intake.core import Core
from intake.errors import IntakeError, OfferTaken
from intake.services import consent, matching, privacy, requests
from intake.services.matching import OfferNotYours
from tests.conftest import make_settings
from tests.support import databases, invariants, scenario

PLAIN = [
    "Ik zoek hulp bij mijn loopbaan.",
    "I would like to change careers.",
    "Hoe word ik een betere manager?",
]
SPECIAL = ["Na mijn burn-out wil ik weer werken.", "Since my depression I want a calmer job."]


class ServiceMachine(RuleBasedStateMachine):
    template: Path
    anonymiser = None

    candidates = Bundle("candidates")
    requests_ = Bundle("requests")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.directory = Path(tempfile.mkdtemp())
        url = databases.clone_sqlite(self.template, self.directory / "machine.db")
        self.clock = ManualClock()
        self.core = Core(
            make_settings(self.directory, database_url=url, offer_fanout=3),
            clock=self.clock,
            anonymiser=self.anonymiser,
        )
        self.coaches = self.run(scenario.telegram_coaches(self.core, 4, capacity=100))
        self.owner: dict[uuid.UUID, uuid.UUID] = {}

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        self.clock.advance(timedelta(seconds=1))  # each use case happens at its own moment
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.core.close())
        self.loop.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def attempt(self, coroutine) -> object:  # type: ignore[no-untyped-def]
        """Run a use case; an expected refusal is fine, anything else fails the test."""
        try:
            return self.run(coroutine)
        except IntakeError as refusal:
            return refusal

    @initialize(target=candidates)
    def first_candidate(self) -> uuid.UUID:
        return self.run(scenario.candidate(self.core)).id

    @rule(target=candidates, handover=st.booleans(), special=st.booleans())
    def new_candidate(self, handover: bool, special: bool) -> uuid.UUID:
        wanted = tuple(
            p for p, on in ((Purpose.CONTACT_HANDOVER, handover), (Purpose.SPECIAL_CATEGORY, special)) if on
        )
        return self.run(scenario.candidate(self.core, consents=wanted)).id

    @rule(target=requests_, who=candidates, text=st.sampled_from(PLAIN + SPECIAL))
    def submit(self, who: uuid.UUID, text: str):  # type: ignore[no-untyped-def]
        async def go() -> requests.Submitted:
            async with self.core.uow() as uow:
                points = await uow.contacts.for_subject(who)
            return await requests.submit_new(
                self.core,
                subject_id=who,
                channel=Channel.EMAIL,
                topic="career",
                text=text,
                contact_point_id=points[0].id if points else uuid.uuid4(),
            )

        result = self.attempt(go())
        if isinstance(result, IntakeError):
            return multiple()
        self.owner[result.request_id] = who  # type: ignore[union-attr]
        return result.request_id  # type: ignore[union-attr]

    def _offers(self, request_id: uuid.UUID) -> list[Offer]:
        async def go() -> list[Offer]:
            async with self.core.uow() as uow:
                return list(
                    (await uow.session.scalars(select(Offer).where(Offer.request_id == request_id))).all()
                )

        return self.run(go())

    @rule(request=requests_, data=st.data(), foreign=st.booleans())
    def accept(self, request: uuid.UUID, data: st.DataObject, foreign: bool) -> None:
        offers = self._offers(request)
        if not offers:
            return
        offer = data.draw(st.sampled_from(offers))
        presser = offer.coach_id
        if foreign:
            presser = data.draw(st.sampled_from([c.id for c in self.coaches if c.id != offer.coach_id]))
        result = self.attempt(matching.accept(self.core, offer_id=offer.id, coach_id=presser))
        if foreign:
            assert isinstance(result, OfferNotYours), "a coach acted on another coach's offer"

    @rule(request=requests_, data=st.data())
    def coach_declines(self, request: uuid.UUID, data: st.DataObject) -> None:
        offers = self._offers(request)
        if offers:
            offer = data.draw(st.sampled_from(offers))
            self.attempt(matching.decline(self.core, offer_id=offer.id, coach_id=offer.coach_id))

    @rule(request=requests_)
    def candidate_confirms(self, request: uuid.UUID) -> None:
        self.attempt(requests.confirm_match(self.core, request_id=request, subject_id=self.owner[request]))

    @rule(request=requests_)
    def candidate_declines(self, request: uuid.UUID) -> None:
        self.attempt(requests.decline_match(self.core, request_id=request, subject_id=self.owner[request]))

    @rule(request=requests_)
    def candidate_withdraws(self, request: uuid.UUID) -> None:
        self.attempt(requests.withdraw(self.core, subject_id=self.owner[request], request_id=request))

    @rule(
        who=candidates,
        purpose=st.sampled_from([Purpose.SPECIAL_CATEGORY, Purpose.CONTACT_HANDOVER]),
        grant=st.booleans(),
    )
    def change_consent(self, who: uuid.UUID, purpose: Purpose, grant: bool) -> None:
        if grant:
            self.attempt(scenario.grant(self.core, who, purpose))
        else:
            self.attempt(
                consent.withdraw(
                    self.core, subject_id=who, purpose=purpose, channel=Channel.WEB, evidence="machine"
                )
            )

    @rule(who=candidates)
    def erase(self, who: uuid.UUID) -> None:
        self.attempt(
            privacy.erase(self.core, subject_id=who, actor=Actor.SUBJECT, channel=Channel.WEB, reason="x")
        )

    @rule(request=requests_)
    def race(self, request: uuid.UUID) -> None:
        """Every coach with an offer presses accept at the same moment."""
        offers = self._offers(request)

        async def go() -> list[object]:
            return await asyncio.gather(
                *(matching.accept(self.core, offer_id=o.id, coach_id=o.coach_id) for o in offers),
                return_exceptions=True,
            )

        results = self.run(go())
        winners = [r for r in results if not isinstance(r, BaseException)]
        assert len(winners) <= 1
        assert all(isinstance(r, IntakeError) for r in results if isinstance(r, BaseException))
        if winners:
            assert all(isinstance(r, OfferTaken | matching.OfferClosed) for r in results if r not in winners)

    @invariant()
    def promises_hold(self) -> None:
        self.run(invariants.check(self.core))


@pytest.mark.slow
def test_service_layer_state_machine(sqlite_template: Path, anonymiser) -> None:  # type: ignore[no-untyped-def]
    ServiceMachine.template = sqlite_template
    ServiceMachine.anonymiser = anonymiser
    runner = ServiceMachine.TestCase
    runner.settings = settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    runner().runTest()
