"""Buttons carry only opaque ids and nothing in them is trusted: a press on someone else's
offer, a damaged payload or a press by someone who is not a coach gets an alert and
changes nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from consent_store.enums import OfferState
from consent_store.models import Offer, OutboxMessage
from intake.runner import Service
from intake.services import coaches
from tests.e2e.telegram import flow
from tests.support.telegram import BotApiStub, FakeUser

NOT_FOR_YOU = "Deze knop is niet voor jou. Er is niets veranderd."
STALE = "Deze knop werkt niet meer. Er is niets veranderd."


async def _snapshot(service: Service) -> tuple[list[tuple[uuid.UUID, OfferState]], int]:
    async with service.core.uow() as uow:
        offers = [
            (o.id, o.state) for o in (await uow.session.scalars(select(Offer).order_by(Offer.id))).all()
        ]
        outbox = int(await uow.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    return offers, outbox


async def _setup(stub: BotApiStub, service: Service) -> tuple[FakeUser, FakeUser, FakeUser, dict[int, str]]:
    a, b = stub.user(5301, "Anna"), stub.user(5302, "Bert")
    for user in (a, b):
        await coaches.add(
            service.core, display_name=user.chat.first_name, topic_codes=("career",), telegram_user_id=user.id
        )
        await user.say("/start")
    candidate = stub.user(7301, "Cas")
    mark = stub.mark()
    await flow.complete(
        stub,
        candidate,
        text="Ik zoek een nieuwe uitdaging.",
        email="cas@example.org",
        topic="Loopbaan en carrièreswitch",
        special=False,
    )
    offers = await stub.wait_for(
        lambda c: c.method == "sendMessage" and c.chat_id in (a.id, b.id), since=mark, count=2
    )
    offer_data = {
        c.chat_id: c.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] for c in offers
    }
    assert all(data.startswith("oa:") and len(data.encode()) <= 64 for data in offer_data.values())
    return a, b, candidate, offer_data


async def test_forged_and_damaged_presses_change_nothing(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    a, b, candidate, offer_data = await _setup(stub, service)
    before = await _snapshot(service)
    b_message = b.messages[-1]

    forged = [
        (b, offer_data[a.id], "Deze knop is niet voor jou. Er is niets veranderd."),  # another coach's offer
        (b, offer_data[a.id].replace("oa:", "od:"), NOT_FOR_YOU),  # declining someone else's offer
        (b, "oa:" + uuid.uuid4().hex, NOT_FOR_YOU),  # an offer that does not exist
        (b, "oa:zz", NOT_FOR_YOU),  # not an id
        (b, "oa:", NOT_FOR_YOU),
        (b, "oa", STALE),  # no payload at all
        (b, "oa:1:2", STALE),  # too many parts
        (b, "xx:yy", STALE),  # unknown action
        (candidate, offer_data[a.id], NOT_FOR_YOU),  # not a coach at all
        (candidate, "mc:" + uuid.uuid4().hex, "Die hulpvraag kan ik niet vinden."),  # no such match
    ]
    for presser, data, expected in forged:
        mark = stub.mark()
        pressed = await presser.press_data(b_message if presser is b else None, data)
        assert pressed.alert == expected, data
        assert pressed.show_alert
        assert not [c for c in stub.calls[mark:] if c.method in ("sendMessage", "editMessageText")], data

    assert await _snapshot(service) == before
    assert len(b_message.buttons()) == 2  # B's own offer is untouched

    # The real press still works afterwards.
    accepted = await a.press(a.messages[-1], "Aannemen")
    assert accepted.alert and accepted.alert.startswith("Je hebt R-")


async def test_a_press_after_the_candidate_withdrew_gets_an_alert(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    a, _, candidate, offer_data = await _setup(stub, service)
    (choose,) = await candidate.say("/intrekken")
    assert choose.params["text"].startswith("Welke hulpvraag wil je intrekken?")
    label = candidate.message(choose).buttons()[0]["text"]
    mark = stub.mark()
    withdrawn = await candidate.press(candidate.message(choose), label)
    assert withdrawn.alert == "Je hulpvraag is ingetrokken."
    await stub.wait_for(
        lambda c: (
            c.method == "editMessageText"
            and c.chat_id == a.id
            and "niet meer beschikbaar" in c.params["text"]
        ),
        since=mark,
    )
    before = await _snapshot(service)
    # A's offer message was edited (no buttons); an old copy of the button is pressed anyway.
    offer_message = next(m for m in a.messages if "niet meer beschikbaar" in (m.text or ""))
    late = await a.press_data(offer_message, offer_data[a.id])
    assert late.alert == "Deze hulpvraag is niet meer beschikbaar."
    assert await _snapshot(service) == before
