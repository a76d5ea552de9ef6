"""``start(core)``: the running bot, as ``intake run`` composes it (see ``intake.runner``).

Long polling by default. With ``INTAKE_TELEGRAM_WEBHOOK_URL`` the bot registers that URL
with a secret token and serves updates on its own listener instead, so that several
instances can share the work (give them Redis with ``INTAKE_REDIS_URL``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import User
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.app import create_bot, create_dispatcher, create_fsm, register_commands
from bot.middlewares import Tracker
from bot.sender import TelegramSender
from bot.storage import DatabaseStorage, create_storage
from intake import safe_log
from intake.core import Core
from intake.errors import ConfigurationError

log = logging.getLogger("intake.bot")

PURGE_INTERVAL_SECONDS = 3600.0
STOP_GRACE_SECONDS = 10.0


def webhook_secret(core: Core) -> str:
    """The secret Telegram sends back with every webhook call (derived unless configured)."""
    configured = core.settings.telegram_webhook_secret
    if configured is not None:
        return configured.get_secret_value()
    return hmac.new(core.settings.secret_key_bytes, b"telegram-webhook/v1", hashlib.sha256).hexdigest()


class RunningBot:
    name = "telegram"

    def __init__(
        self,
        core: Core,
        bot: Bot,
        dispatcher: Dispatcher,
        fsm: FSMContextMiddleware,
        me: User,
        tracker: Tracker,
    ) -> None:
        self.core = core
        self.bot = bot
        self.dispatcher = dispatcher
        self.fsm = fsm
        self.storage = fsm.storage
        self.me = me
        self.tracker = tracker
        self.sender = TelegramSender(bot)
        self.webhook_url: str | None = None
        self.webhook_address: tuple[str, int, str] | None = None
        self._polling: asyncio.Task[None] | None = None
        self._site_runner: web.AppRunner | None = None
        self._purge: asyncio.Task[None] | None = None

    def describe(self) -> str:
        if self.webhook_url and self.webhook_address:
            host, port, path = self.webhook_address
            return f"webhook {self.webhook_url} (listening on {host}:{port}{path}), @{self.me.username}"
        return f"polling @{self.me.username}"

    # Polling ------------------------------------------------------------------------------

    async def start_polling(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                polling_timeout=self.core.settings.telegram_polling_timeout,
                handle_signals=False,  # the runner owns the signals
                close_bot_session=False,  # the outbox still sends through this bot
                # Updates beyond this wait in line instead of crowding the event loop: a
                # crowded loop stretches every database transaction (and the lock it holds).
                tasks_concurrency_limit=self.core.settings.telegram_concurrency,
            ),
            name="telegram-polling",
        )

    # Webhook ------------------------------------------------------------------------------

    async def start_webhook(self, url: str) -> None:
        settings = self.core.settings
        if settings.is_production and urlsplit(url).scheme != "https":
            raise ConfigurationError("INTAKE_TELEGRAM_WEBHOOK_URL must be https:// (Telegram requires it)")
        path = settings.telegram_webhook_path or urlsplit(url).path or "/telegram"
        secret = webhook_secret(self.core)
        app = web.Application(client_max_size=1024 * 1024)
        handler = SimpleRequestHandler(
            self.dispatcher, self.bot, handle_in_background=False, secret_token=secret
        )
        app.router.add_post(path, handler.handle)
        runner = web.AppRunner(app, access_log=None)  # no access log: it would hold IP addresses
        await runner.setup()
        self._site_runner = runner
        site = web.TCPSite(runner, settings.telegram_webhook_host, settings.telegram_webhook_port)
        await site.start()
        port = runner.addresses[0][1] if runner.addresses else settings.telegram_webhook_port
        self.webhook_address = (settings.telegram_webhook_host, port, path)
        await self.bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        self.webhook_url = url

    # Housekeeping -------------------------------------------------------------------------

    def start_purging(self) -> None:
        if isinstance(self.storage, DatabaseStorage):
            self._purge = asyncio.create_task(self._purge_loop(self.storage), name="telegram-state-purge")

    async def _purge_loop(self, storage: DatabaseStorage) -> None:
        while True:
            try:
                purged = await storage.purge()
                if purged:
                    log.info("forgot %d abandoned conversation(s)", purged)
            except Exception as exc:
                log.error("purging conversation state failed: %s", safe_log.failure(exc))
            await asyncio.sleep(PURGE_INTERVAL_SECONDS)

    async def stop(self) -> None:
        if self._purge is not None:
            self._purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purge
        if self._polling is not None:  # no new updates from now on
            with contextlib.suppress(RuntimeError):  # polling had already ended
                await self.dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._polling
        if self._site_runner is not None:
            await self._site_runner.shutdown()
        await self._drain()
        if self._polling is not None:
            await self._confirm_handled()
        if self._site_runner is not None:
            await self._site_runner.cleanup()
        await self.fsm.close()  # storage and locks, once nothing uses them any more
        await self.bot.session.close()

    async def _drain(self) -> None:
        """Let the updates being handled finish (a stop must not cut a step in half)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.tracker.idle.wait(), STOP_GRACE_SECONDS)

    async def _confirm_handled(self) -> None:
        """Tell Telegram which updates are done, so that they are not delivered again after a restart."""
        if not self.tracker.last_update_id:
            return
        with contextlib.suppress(TelegramAPIError, asyncio.TimeoutError):
            await self.bot.get_updates(offset=self.tracker.last_update_id + 1, limit=1, timeout=0)


async def start(core: Core, *, tracker: Tracker | None = None) -> RunningBot:
    settings = core.settings
    bot = create_bot(settings)
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError:
        await bot.session.close()
        raise ConfigurationError(
            "Telegram refused INTAKE_TELEGRAM_TOKEN; get the right one from @BotFather"
        ) from None
    except TelegramNetworkError:
        await bot.session.close()
        raise ConfigurationError(
            f"cannot reach the Telegram Bot API at {settings.telegram_api_url}"
        ) from None
    fsm = create_fsm(*create_storage(core))
    tracker = tracker or Tracker()
    running = RunningBot(core, bot, create_dispatcher(core, fsm, tracker), fsm, me, tracker)
    try:
        await register_commands(bot, core)
        if settings.telegram_webhook_url:
            await running.start_webhook(settings.telegram_webhook_url)
        else:
            await running.start_polling()
        running.start_purging()
    except BaseException:
        await running.stop()
        raise
    return running
