"""Delivering outbox messages to Telegram (the ``Sender`` the dispatcher calls).

Plain text only (no parse mode), so that nothing a person wrote can turn into markup.
A follow-up in a thread (``replaces_previous``) edits the earlier message where it can.
The delivery reference is ``"<chat id>:<message id>"`` of the message carrying the buttons.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup

from bot import keyboards
from bot.text import chunks, send_parts
from consent_store.enums import Channel
from intake.ports import Delivery, PermanentDeliveryError, RecipientUnreachable, TemporaryDeliveryError

log = logging.getLogger("intake.bot.sender")

_UNREACHABLE = ("chat not found", "user is deactivated", "bot was blocked", "have no rights to send")


def delivery_ref(message_id: int) -> str:
    """What the outbox keeps of a sent message: its id only. The chat id is the person's
    Telegram id, which is kept only encrypted; an edit takes it from the delivery."""
    return str(message_id)


def parse_ref(ref: str) -> int | None:
    try:
        return int(ref.rpartition(":")[2])  # rows written before were "chat:message"
    except ValueError:
        return None


class TelegramSender:
    channel = Channel.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, delivery: Delivery) -> str | None:
        try:
            chat_id = int(delivery.address)
        except ValueError:
            raise PermanentDeliveryError("not a Telegram chat id") from None
        markup = keyboards.actions(delivery.message.actions)
        try:
            if delivery.message.replaces_previous and delivery.previous_ref:
                edited = await self._edit(chat_id, delivery.previous_ref, delivery.message.text, markup)
                if edited is not None:
                    return edited
            return await self._send(chat_id, delivery.message.text, markup)
        except TelegramRetryAfter as exc:
            raise TemporaryDeliveryError("Telegram flood limit", retry_after=float(exc.retry_after)) from None
        except TelegramForbiddenError:
            raise RecipientUnreachable("the user blocked the bot or cannot be written to") from None
        except TelegramBadRequest as exc:
            if any(reason in exc.message.lower() for reason in _UNREACHABLE):
                raise RecipientUnreachable("the chat does not exist for this bot") from None
            log.warning("Telegram refused outbox message %s: %s", delivery.outbox_id, type(exc).__name__)
            raise PermanentDeliveryError("Telegram refused the message") from None
        except TelegramUnauthorizedError:
            raise TemporaryDeliveryError("Telegram refused the bot token") from None
        except (TelegramNetworkError, TelegramServerError):
            raise TemporaryDeliveryError("Telegram could not be reached") from None

    async def _send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> str:
        return delivery_ref((await send_parts(self.bot, chat_id, text, markup)).message_id)

    async def _edit(
        self, chat_id: int, ref: str, text: str, markup: InlineKeyboardMarkup | None
    ) -> str | None:
        """Edit the earlier message in this chat (a thread has one recipient); None when it
        cannot be edited (then a new one is sent)."""
        message_id = parse_ref(ref)
        parts = chunks(text)
        if message_id is None or len(parts) > 1:
            return None
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id, message_id=message_id, text=parts[0], reply_markup=markup
            )
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return delivery_ref(message_id)
            if any(reason in exc.message.lower() for reason in _UNREACHABLE):
                raise
            return None  # too old to edit, or deleted: send it as a new message
        return delivery_ref(message_id)
