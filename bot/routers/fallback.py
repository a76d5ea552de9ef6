"""What nothing else handled: stale buttons, text where a button is expected, media."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message

from bot.i18n import Talk
from bot.middlewares import Answer, Conversation
from bot.routers.common import Blueprint
from bot.states import Intake

router = Blueprint("fallback")

WAITING_FOR_A_BUTTON = StateFilter(
    Intake.welcome,
    Intake.topic,
    Intake.special_consent,
    Intake.special_reask,
    Intake.preview,
    Intake.contact,
    Intake.handover,
    Intake.newsletter,
)


@router.callback_query()
async def stale_button(callback: CallbackQuery, talk: Talk, answer: Answer) -> None:
    answer.say(talk("alert/stale"), alert=True)


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message, talk: Talk) -> None:
    await message.answer(talk("unknown_command"))


@router.message(WAITING_FOR_A_BUTTON, F.text)
async def use_the_buttons(message: Message, talk: Talk) -> None:
    await message.answer(talk("use_buttons"))


@router.message(F.text)
async def unknown(message: Message, talk: Talk, conversation: Conversation) -> None:
    await message.answer(talk("unknown"))


@router.message()
async def not_text(message: Message, talk: Talk, conversation: Conversation) -> None:
    """Photos, voice, documents, stickers, locations, contacts out of turn: explained, never kept."""
    await message.answer(talk("text_only", writing=conversation.state == Intake.text.state))
