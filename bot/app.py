"""Assembling the bot: the aiogram ``Bot`` pointed at the configured Bot API server, and the
``Dispatcher`` with its middlewares and routers."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar, cast

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.fsm.strategy import FSMStrategy
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BotCommand
from aiogram.utils.token import TokenValidationError

from bot.i18n import Talk
from bot.middlewares import Context, PrivateOnly, Throttle, Tracker
from bot.routers import all_routers
from bot.throttle import Buckets, LocalBuckets, RedisBuckets
from intake.core import Core
from intake.errors import ConfigurationError
from intake.settings import Settings

# (Dutch name, English name, description key). Both names always work in both languages.
COMMANDS = (
    ("start", "start", "start"),
    ("help", "help", "help"),
    ("privacy", "privacy", "privacy"),
    ("toestemming", "consent", "consent"),
    ("intrekken", "withdraw", "withdraw"),
    ("mijngegevens", "mydata", "mydata"),
    ("verwijderen", "delete", "delete"),
    ("afmelden", "unsubscribe", "unsubscribe"),
    ("taal", "language", "language"),
)


class BotSession(AiohttpSession):
    """aiogram's session, minus a cost paid on every Bot API call: aiogram looks up the
    generic ``Response[<result type>]`` afresh for each reply (a pydantic generic
    parametrisation, about as costly as parsing the reply itself). Successful replies are
    parsed with the same model, looked up once per result type; anything else (errors,
    undecodable replies) goes to aiogram's own handling unchanged."""

    _response_types: ClassVar[dict[Any, Any]] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            returning = method.__returning__
            response_type = self._response_types.get(returning)
            if response_type is None:
                response_type = self._response_types[returning] = Response[returning]  # type: ignore[valid-type]
            try:
                response = response_type.model_validate(self.json_loads(content), context={"bot": bot})
            except Exception:  # aiogram, below, raises the right error
                response = None
            if response is not None and response.ok:
                return cast(Response[TelegramType], response)
        return super().check_response(bot, method, status_code, content)


def create_bot(settings: Settings) -> Bot:
    if settings.telegram_token is None:
        raise ConfigurationError("INTAKE_TELEGRAM_TOKEN is not set")
    session = BotSession(api=TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/")))
    try:
        return Bot(settings.telegram_token.get_secret_value(), session=session)
    except TokenValidationError:
        raise ConfigurationError(
            "INTAKE_TELEGRAM_TOKEN does not look like a bot token (digits, a colon, then letters)"
        ) from None


def create_dispatcher(
    core: Core, fsm: FSMContextMiddleware, tracker: Tracker, routers: Sequence[Router] | None = None
) -> Dispatcher:
    """``routers``: the bot's own by default (the benchmark puts no-op handlers there)."""
    # Our own FSM middleware: it goes after throttling, and its storage is closed by us
    # once the updates in flight are done (aiogram would close it when polling stops).
    dispatcher = Dispatcher(disable_fsm=True)
    # Outer middlewares run in registration order.
    dispatcher.update.outer_middleware(tracker)
    dispatcher.update.outer_middleware(Throttle(core, create_buckets(core, fsm.storage)))
    dispatcher.update.outer_middleware(PrivateOnly(core))
    dispatcher.update.outer_middleware(fsm)
    dispatcher.update.outer_middleware(Context(core))
    dispatcher.include_routers(*(all_routers() if routers is None else routers))
    return dispatcher


def create_buckets(core: Core, storage: BaseStorage) -> Buckets:
    """Shared in Redis when the conversations are (several instances), else in this process."""
    rate, burst = core.settings.telegram_throttle_rate, core.settings.telegram_throttle_burst
    if isinstance(storage, RedisStorage):
        return RedisBuckets(storage.redis, core, rate=rate, burst=burst)
    return LocalBuckets(rate=rate, burst=burst)


def create_fsm(storage: BaseStorage, isolation: BaseEventIsolation) -> FSMContextMiddleware:
    return FSMContextMiddleware(
        storage=storage, events_isolation=isolation, strategy=FSMStrategy.USER_IN_CHAT
    )


async def register_commands(bot: Bot, core: Core) -> None:
    """The command menu: Dutch names for Dutch users (and by default), English for English."""
    for language, index, code in (("nl", 0, None), ("nl", 0, "nl"), ("en", 1, "en")):
        talk = Talk(core, language)
        commands = [
            BotCommand(command=c[index], description=talk.button(f"command_{c[2]}")) for c in COMMANDS
        ]
        await bot.set_my_commands(commands, language_code=code)
