"""Coaches: accept or decline an offer with one press, list open offers.

The button carries only the opaque offer id. Whether the presser is that offer's coach
and whether the offer is still open is decided by the service layer; a forged or stale
press gets an alert and changes nothing.
"""

from __future__ import annotations

import uuid

from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import OfferAccept, OfferDecline
from bot.i18n import Talk
from bot.middlewares import Answer, Person
from bot.routers.common import Blueprint, hex_id, settle, tell
from intake.core import Core
from intake.services import matching

router = Blueprint("coach")


async def _coach_and_offer(person: Person, ref: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(coach id, offer id) when a coach pressed something that can be an offer id."""
    coach = await person.coach()
    offer_id = hex_id(ref)
    return (coach.id, offer_id) if coach is not None and offer_id is not None else None


@router.callback_query(OfferAccept.filter())
async def accept(
    callback: CallbackQuery,
    callback_data: OfferAccept,
    core: Core,
    talk: Talk,
    person: Person,
    answer: Answer,
) -> None:
    pressed = await _coach_and_offer(person, callback_data.offer)
    if pressed is None:
        answer.say(talk("alert/not_for_you"), alert=True)
        return
    accepted = await matching.accept(core, offer_id=pressed[1], coach_id=pressed[0])
    await settle(callback, "✔ " + talk.button("accepted"))
    answer.say(
        talk("alert/accepted", reference=accepted.reference, handed_over=accepted.handed_over), alert=True
    )


@router.callback_query(OfferDecline.filter())
async def decline(
    callback: CallbackQuery,
    callback_data: OfferDecline,
    core: Core,
    talk: Talk,
    person: Person,
    answer: Answer,
) -> None:
    pressed = await _coach_and_offer(person, callback_data.offer)
    if pressed is None:
        answer.say(talk("alert/not_for_you"), alert=True)
        return
    reference = await matching.decline(core, offer_id=pressed[1], coach_id=pressed[0])
    await settle(callback, "✔ " + talk.button("declined"))
    answer.say(talk("alert/declined", reference=reference))


@router.message(Command("aanbod", "offers"))
async def open_offers(message: Message, core: Core, talk: Talk, person: Person) -> None:
    coach = await person.coach()
    if coach is None:
        await message.answer(talk("not_a_coach"))
        return
    offers = await matching.open_offers(core, coach.id)
    await message.answer(talk("offers", count=len(offers)))
    for offer in offers:
        buttons = keyboards.actions(matching.chat_offer_actions(core, offer.offer_id, talk.language))
        await tell(message, talk("offer_listed", offer=offer), buttons)
