"""Small helpers the routers share: replying, taking buttons off, reading ids from buttons."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)
from magic_filter import MagicFilter

from bot.callbacks import PURPOSES, Consent
from bot.middlewares import Person, message_of
from bot.text import MAX_MESSAGE, send_parts, utf16_length
from intake.core import Core
from intake.errors import StaleWording
from intake.texts import Wording

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
Handler = TypeVar("Handler", bound=Callable[..., Any])


class Blueprint:
    """Handlers of one feature, registered with decorators like an aiogram ``Router``.

    A router can belong to one dispatcher only; ``build`` makes a fresh one each time, so
    that the bot can be started more than once in a process (a restart, the tests).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[tuple[str, tuple[Any, ...], Callable[..., Any]]] = []

    def _on(self, kind: str, filters: tuple[Any, ...]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._handlers.append((kind, filters, handler))
            return handler

        return register

    def message(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._on("message", filters)

    def callback_query(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._on("callback_query", filters)

    def build(self) -> Router:
        router = Router(name=self.name)
        for kind, filters, handler in self._handlers:
            getattr(router, kind).register(handler, *_inline(kind, filters))
        return router


class _Resolve(Filter):
    """A magic filter (``F.text``...) evaluated in place. aiogram runs every plain callable
    filter, magic filters and bare states included, through ``asyncio.to_thread``: a trip
    to a worker thread and back for an attribute lookup, on every update that reaches
    the handler."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


def _in_place(candidate: Any) -> Any:
    if isinstance(candidate, MagicFilter):
        return _Resolve(candidate)
    if isinstance(candidate, State | StatesGroup):  # plain callables too: StateFilter is async
        return StateFilter(candidate)
    return candidate


class _CommandPrefix(Filter):
    """Whether the text can be a command at all: the cheap test that ``Command`` makes
    after splitting the text and raising an exception for anything else."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    async def __call__(self, message: Message) -> bool:
        text = message.text or message.caption
        return bool(text) and text.lstrip()[:1] in self.prefix  # type: ignore[union-attr]


def _inline(kind: str, filters: tuple[Any, ...]) -> tuple[Any, ...]:
    """The same filters, with the same outcome, minus thread trips and needless parsing."""
    inlined = tuple(_in_place(f) for f in filters)
    command = next((f for f in filters if isinstance(f, Command)), None)
    if kind == "message" and command is not None:
        inlined = (_CommandPrefix(command.prefix), *inlined)
    return inlined


async def tell(event: Message | CallbackQuery, text: str, markup: Markup | None = None) -> Message:
    """Send ``text`` to the person behind ``event`` (split if long; buttons on the last part)."""
    bot = event.bot
    assert bot is not None
    chat_id = event.chat.id if isinstance(event, Message) else event.from_user.id
    return await send_parts(bot, chat_id, text, markup)


async def settle(
    callback: CallbackQuery, note: str | None = None, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Take the buttons off the pressed message, adding a line that says what was chosen."""
    message = message_of(callback)
    if message is None:
        return
    with contextlib.suppress(TelegramBadRequest):  # already edited, or too old to edit
        text = message.text
        if note and text and utf16_length(text) + utf16_length(note) + 2 <= MAX_MESSAGE:
            await message.edit_text(f"{text}\n\n{note}", reply_markup=markup)
        elif message.reply_markup is not None or markup is not None:
            await message.edit_reply_markup(reply_markup=markup)


def hex_id(value: str) -> uuid.UUID | None:
    """An id carried by a button, or None if it is not one (a forged or damaged press)."""
    if len(value) != 32:
        return None
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        return None


async def own_request(person: Person, ref: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(request id, subject id) for a button about one of the presser's own requests; None
    when the button cannot be one (the service layer still checks that it is theirs)."""
    request_id = hex_id(ref)
    subject_id = await person.subject_id() if request_id else None
    return (request_id, subject_id) if request_id and subject_id else None


def shown_wording(core: Core, data: Consent) -> Wording:
    """The wording the pressed button sat under; ``StaleWording`` if it is not the current one."""
    purpose = PURPOSES.get(data.purpose)
    if purpose is None:
        raise StaleWording("unknown consent question")
    return core.texts.shown(purpose, data.lang, data.version, data.digest, digest_prefix=True)
