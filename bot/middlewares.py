"""Middlewares, in the order an update meets them:

1. ``Tracker``: counts updates in flight (a clean stop waits for them) and, for the
   benchmark, how long each one took.
2. ``Throttle``: per-user token bucket, before anything touches the database.
3. ``PrivateOnly``: only people in a private chat get further (before any state is read).
4. aiogram's FSM middleware: loads the conversation state under a per-user lock.
5. ``Context``: the service access of the handlers (core, the person's language, their
   conversation, who they are) and the one place that turns an ``IntakeError`` into a
   reply or alert. Every callback query is answered exactly once, here.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User

from bot.i18n import Talk, language_of
from bot.throttle import Buckets
from consent_store.enums import Channel
from intake import contacts, safe_log
from intake.core import Core
from intake.errors import IntakeError
from intake.services import coaches, subjects
from intake.services.coaches import CoachView

log = logging.getLogger("intake.bot")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class Tracker(BaseMiddleware):
    def __init__(self, *, record: bool = False) -> None:
        self.in_flight = 0
        self.last_update_id = 0
        self.handled = 0
        self.record = record
        self.durations: list[float] = []  # seconds per update, when recording
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        self.in_flight += 1
        self.idle.clear()
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self.idle.set()
            self.handled += 1
            self.last_update_id = max(self.last_update_id, event.update_id)
            if self.record:
                self.durations.append(time.perf_counter() - started)


class Throttle(BaseMiddleware):
    """At most ``burst`` updates at once per user, refilled at ``rate`` per second (``buckets``).

    A throttled message gets one friendly reply (then silence until tokens are back); a
    throttled button press gets a short alert, because Telegram expects an answer.
    """

    def __init__(self, core: Core, buckets: Buckets) -> None:
        self.core = core
        self.buckets = buckets

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        allowed, warn = await self.buckets.take(user.id)
        if allowed:
            return await handler(event, data)
        assert isinstance(event, Update)
        talk = Talk(self.core, language_of(None, user.language_code, self.core.settings.default_locale))
        if event.callback_query is not None:
            await event.callback_query.answer(talk("alert/throttled"))
        elif event.message is not None and warn:
            await event.message.answer(talk("throttled"))
        return None


@dataclass
class Answer:
    """How to answer the button press being handled (Telegram shows it as a toast or alert)."""

    text: str | None = None
    alert: bool = False
    done: bool = False

    def say(self, text: str, *, alert: bool = False) -> None:
        self.text, self.alert = text, alert


# FSM data keys
LANG = "lang"  # chosen with /taal
SUBJECT = "sid"


@dataclass
class Conversation:
    """The person's conversation state and data; every write goes through ``save``."""

    context: FSMContext
    data: dict[str, Any]
    state: str | None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def remember(self, key: str, value: Any) -> None:
        """Keep ``value`` with the next ``save`` (a cache: losing it costs only a lookup)."""
        self.data[key] = value

    async def save(self, state: State | type[Ellipsis] | None = ..., **values: Any) -> None:
        """Update data (a value of None removes the key) and, if given, the state, in one write."""
        for key, value in values.items():
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value
        if state is ...:
            await self.context.set_data(self.data)
            return
        self.state = state.state if isinstance(state, State) else None
        storage, key = self.context.storage, self.context.key
        if hasattr(storage, "set_state_and_data"):
            await storage.set_state_and_data(key, state, self.data)
        else:
            await self.context.set_state(state)
            await self.context.set_data(self.data)

    async def reset(self, state: State | None = None, **values: Any) -> None:
        """A new conversation: drop the draft, keep the chosen language and who they are."""
        kept = {k: v for k, v in self.data.items() if k in (LANG, SUBJECT)}
        self.data = kept
        await self.save(state, **values)

    async def forget(self) -> None:
        """Nothing at all is kept (after an erasure)."""
        self.data = {}
        forget = getattr(self.context.storage, "forget", None)
        if forget is not None:
            await forget(self.context.key)
        else:
            await self.context.clear()


@dataclass
class Person:
    """The Telegram user behind the update, as the service layer knows them (looked up lazily)."""

    core: Core
    user: User
    conversation: Conversation
    language: str
    _coach: CoachView | type[Ellipsis] | None = field(default=..., repr=False)

    async def coach(self) -> CoachView | None:
        if self._coach is ...:
            self._coach = await coaches.by_telegram(self.core, self.user.id)
        return self._coach

    async def subject_id(self) -> uuid.UUID | None:
        """The candidate, if known; never creates one."""
        cached = self.conversation.get(SUBJECT)
        if cached:
            return uuid.UUID(cached)
        found = await subjects.lookup(self.core, contacts.telegram(self.user.id))
        if found is not None:
            self.conversation.remember(SUBJECT, found.id.hex)
            return found.id
        return None

    async def candidate(self) -> uuid.UUID:
        """The candidate, created on first need (after the privacy notice was shown)."""
        known = await self.subject_id()
        if known is not None:
            return known
        ref = await subjects.identify(self.core, contacts.telegram(self.user.id), locale=self.language)
        self.conversation.remember(SUBJECT, ref.id.hex)
        return ref.id


class PrivateOnly(BaseMiddleware):
    """Only people in a private chat with the bot get further, before any conversation is
    loaded: other bots, channel posts and the like are ignored, and where others read along
    nothing personal is discussed."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        chat: Chat | None = data.get("event_chat")
        if chat is not None and chat.type != ChatType.PRIVATE:
            talk = Talk(self.core, language_of(None, user.language_code, self.core.settings.default_locale))
            if event.callback_query is not None:
                await event.callback_query.answer(talk("alert/private_only"), show_alert=True)
            elif event.message is not None and (event.message.text or "").startswith("/"):
                await event.message.answer(talk("private_only"))
            return None
        return await handler(event, data)


class Context(BaseMiddleware):
    def __init__(self, core: Core) -> None:
        self.core = core

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        state: FSMContext | None = data.get("state")
        if user is None or state is None:
            return None  # no chat to hold a conversation in
        stored = await state.get_data()
        conversation = Conversation(state, stored, data.get("raw_state"))
        language = language_of(stored.get(LANG), user.language_code, self.core.settings.default_locale)
        talk = Talk(self.core, language)
        answer = Answer()
        data.update(
            core=self.core,
            talk=talk,
            conversation=conversation,
            person=Person(self.core, user, conversation, language),
            answer=answer,
            evidence=f"telegram update {event.update_id}",
            channel=Channel.TELEGRAM,
        )
        try:
            return await handler(event, data)
        except IntakeError as error:
            await self._explain(event, talk, answer, conversation, error)
        except Exception as exc:
            # The type and where, not the message: exception text can hold what a person wrote.
            log.error("update %s failed: %s", event.update_id, safe_log.failure(exc))
            await self._reply(event, talk, answer, talk("error", code="unexpected"))
        finally:
            if event.callback_query is not None and not answer.done:
                answer.done = True
                await event.callback_query.answer(answer.text, show_alert=answer.alert or None)
        return None

    async def _explain(
        self, event: Update, talk: Talk, answer: Answer, conversation: Conversation, error: IntakeError
    ) -> None:
        if error.code == "subject_not_found":  # erased meanwhile (by an operator, or retention)
            conversation.data = {k: v for k, v in conversation.data.items() if k == LANG}
            await conversation.save(None)
        text = talk("error", code=error.code, error=error)
        await self._reply(event, talk, answer, text)

    async def _reply(self, event: Update, talk: Talk, answer: Answer, text: str) -> None:
        if event.callback_query is not None:
            answer.say(text[:200], alert=True)
        elif event.message is not None:
            await event.message.answer(text)


def message_of(callback: CallbackQuery) -> Message | None:
    """The message a button was on (None if Telegram no longer has it)."""
    return callback.message if isinstance(callback.message, Message) else None
