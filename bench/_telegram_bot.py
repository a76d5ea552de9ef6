"""One bot under test for ``bench telegram``, in its own process (as a real bot is: Telegram's
servers are not in its process, so the stand-in must not take its CPU either).

    python -m bench._telegram_bot   (its settings as one JSON line on stdin)

Then, on stdin, ``wait N`` answers ``handled N`` once N updates went through the dispatcher,
and ``stop`` stops the bot and prints the result as one JSON line: the time each update took
in the dispatcher, the process's CPU seconds, and (whole stack) how many requests were
submitted. Modes: ``stack`` is the intake bot as ``intake run`` starts it; ``middlewares``
its middlewares in front of handlers that do nothing; ``noop``, ``answer`` and
``like_the_bot`` are bare aiogram handlers (see ``bench.telegram``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message

from bot.middlewares import Tracker

Stop = Callable[[], Awaitable[dict[str, Any]]]


async def _bare(config: dict[str, Any], tracker: Tracker) -> Stop:
    mode = config["mode"]
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(tracker)
    router = Router()

    @router.message()
    async def on_message(message: Message) -> None:
        if mode != "noop":
            await message.answer("ok")

    @router.callback_query()
    async def on_press(callback: CallbackQuery) -> None:
        if mode == "like_the_bot":
            await callback.bot.send_message(callback.from_user.id, "✔ ok")  # type: ignore[union-attr]
            await callback.bot.send_message(callback.from_user.id, "ok")  # type: ignore[union-attr]
        if mode != "noop":
            await callback.answer()

    dispatcher.include_router(router)
    bot = Bot(config["token"], session=AiohttpSession(api=TelegramAPIServer.from_base(config["url"])))
    return _poll(dispatcher, bot)


def _poll(dispatcher: Dispatcher, bot: Bot, *closing: Callable[[], Awaitable[None]]) -> Stop:
    """Start long polling; the returned ``stop`` ends it, then closes ``closing`` in order."""
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )

    async def stop() -> dict[str, Any]:
        await dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await bot.session.close()
        for close in closing:
            await close()
        return {}

    return stop


async def _core(config: dict[str, Any]) -> Any:
    from consent_store.migrate import upgrade
    from intake.core import Core
    from intake.settings import Settings, generate_key
    from tests.support.anonymiser import load

    workdir = Path(config["workdir"])
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=workdir / "var",
        database_url=config["database"] or f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        redis_url=config["redis"],
        secret_key=generate_key(),  # type: ignore[arg-type]
        master_key=generate_key(),  # type: ignore[arg-type]
        telegram_token=config["token"],
        telegram_api_url=config["url"],
        telegram_polling_timeout=1,
    )
    core = Core(settings, anonymiser=load())
    await upgrade(core.engine)
    return core


async def _middlewares(config: dict[str, Any], tracker: Tracker) -> Stop:
    """The intake bot's middlewares (throttle, FSM on the database, context) in front of
    handlers that do nothing."""
    from bot.app import create_bot, create_dispatcher, create_fsm
    from bot.storage import create_storage

    core = await _core(config)
    fsm = create_fsm(*create_storage(core))
    router = Router()

    @router.message()
    @router.callback_query()
    async def nothing(event: Message | CallbackQuery) -> None:
        return None

    dispatcher = create_dispatcher(core, fsm, tracker, routers=[router])
    return _poll(dispatcher, create_bot(core.settings), fsm.close, core.close)


async def _stack(config: dict[str, Any], tracker: Tracker) -> Stop:
    from bot import service as bot_service
    from intake.services import coaches as coach_service

    core = await _core(config)
    for i, coach_id in enumerate(config["coaches"]):
        await coach_service.add(
            core, display_name=f"Coach {i}", languages=("nl", "en"), telegram_user_id=coach_id, capacity=10**6
        )
    if config["redis"]:
        from redis.asyncio import Redis

        async with Redis.from_url(config["redis"]) as redis:
            await redis.flushdb()
    running = await bot_service.start(core, tracker=tracker)

    async def stop() -> dict[str, Any]:
        try:
            async with core.uow() as uow:
                submitted = sum((await uow.requests.count_by_state()).values())
        finally:
            await running.stop()
            await core.close()
        return {"submitted": submitted}

    return stop


async def _serve(config: dict[str, Any]) -> None:
    tracker = Tracker(record=True)
    start = {"stack": _stack, "middlewares": _middlewares}.get(config["mode"], _bare)
    stop = await start(config, tracker)
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    cpu_started = time.process_time()
    print("ready", flush=True)
    while line := (await commands.readline()).decode().split():
        if line[0] == "wait":
            while tracker.handled < int(line[1]):  # noqa: ASYNC110 (the same for every mode)
                await asyncio.sleep(0.001)
            print(f"handled {tracker.handled}", flush=True)
        elif line[0] == "stop":
            break
    cpu = time.process_time() - cpu_started
    result = await stop()
    print(json.dumps({"durations": tracker.durations, "cpu_seconds": cpu, **result}), flush=True)


def main() -> None:
    config = json.loads(sys.stdin.buffer.readline())
    asyncio.run(_serve(config))


if __name__ == "__main__":
    main()
