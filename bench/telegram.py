"""Updates per second through the whole bot, against the local Bot API stand-in.

Many candidates go through the intake conversation at once (``--users``), one step per
round: /start, "start", a topic, the special-category question, the question text, "send
as is", "e-mail", the address, the handover consent, the newsletter answer (which submits
the request, offered to the registered coaches). Every update passes the real middlewares
(throttling, FSM under per-user locks, context), the FSM storage and the service layer on
a real database, and the bot's replies go back to the stand-in over HTTP.

The baseline, in the same run: the very same updates, replayed through the same polling
loop to an aiogram dispatcher whose handlers do nothing. Goal: at least 0.3 of its rate.
For scale, a third row replays them to handlers that only answer (one Bot API call per
update, as the real bot makes at least one), and a fourth to handlers that make as many Bot
API calls as the intake bot made per update, and nothing else (a message: one sendMessage;
a press: two sendMessage and answerCallbackQuery, like settling the pressed message, asking
the next question and answering the press): the rate no bot with those calls can beat in
this set-up, where the stand-in runs in the same process. The p99 is of the time one update
spends in the dispatcher, first middleware to last, queueing for the person's lock included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message
from rich.console import Console
from rich.table import Table

GOAL = 0.3
console = Console(width=120)

# (kind, value): kind "text" sends value; kind "press" presses the button labelled value.
STEPS: list[tuple[str, str]] = [
    ("text", "/start"),
    ("press", "Beginnen"),
    ("press", "Loopbaan en carrièreswitch"),
    ("press", "Nee"),
    ("text", "Ik wil na tien jaar in de zorgadministratie iets anders gaan doen, maar weet niet wat."),
    ("press", "Verstuur zo"),
    ("press", "E-mail"),
    ("text", "{email}"),
    ("press", "Ja, ik geef toestemming"),
    ("press", "Nee, dank je"),
]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench telegram", description=__doc__)
    parser.add_argument("--users", type=int, default=100, help="candidates talking at the same time")
    parser.add_argument("--coaches", type=int, default=5, help="coaches every request is offered to")
    parser.add_argument("--database", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument("--redis", default=None, help="keep conversations in Redis at this URL")
    return parser.parse_args([a.removeprefix("-") if a.startswith("---") else a for a in argv])


async def _wait_handled(tracker: Any, count: int) -> None:
    deadline = time.perf_counter() + 300.0
    while tracker.handled < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {tracker.handled} of {count} updates were handled")
        await asyncio.sleep(0.002)


def _pressable(user: Any, label: str) -> Any:
    for message in reversed(user.messages):
        if any(b.get("text") == label for b in message.buttons()):
            return message
    raise RuntimeError(f"user {user.id}: no button {label!r}; last: {user.messages[-1].text!r}")


async def _full_stack(
    stub: Any, options: argparse.Namespace, workdir: Path
) -> tuple[float, list[float], list[list[dict[str, Any]]], int]:
    from bot import service as bot_service
    from bot.middlewares import Tracker
    from consent_store.migrate import upgrade
    from intake.core import Core
    from intake.services import coaches as coach_service
    from intake.settings import Settings, generate_key
    from tests.support.anonymiser import load

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=workdir / "var",
        database_url=options.database or f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        redis_url=options.redis,
        secret_key=generate_key(),  # type: ignore[arg-type]
        master_key=generate_key(),  # type: ignore[arg-type]
        telegram_token=stub.token,  # type: ignore[arg-type]
        telegram_api_url=stub.url,
        telegram_polling_timeout=1,
    )
    core = Core(settings, anonymiser=load())
    await upgrade(core.engine)
    tracker = Tracker(record=True)
    for i in range(options.coaches):
        coach = stub.user(900_000 + i, f"Coach{i}")
        coach.chat.started = True
        await coach_service.add(
            core, display_name=f"Coach {i}", languages=("nl", "en"), telegram_user_id=coach.id, capacity=10**6
        )
    running = await bot_service.start(core, tracker=tracker)
    if options.redis:
        from redis.asyncio import Redis

        async with Redis.from_url(options.redis) as redis:
            await redis.flushdb()
    users = options.users
    people = [stub.user(1_000_000 + i, f"Kandidaat{i}", language_code="nl") for i in range(users)]
    rounds: list[list[dict[str, Any]]] = []
    elapsed = 0.0
    calls_before = _api_calls(stub)
    try:
        handled = tracker.handled
        for kind, value in STEPS:
            updates = []
            for person in people:
                if kind == "text":
                    updates.append(
                        person.text_update(value.format(email=f"kandidaat{person.id}@example.org"))
                    )
                else:
                    message = _pressable(person, value)
                    update, _ = person.press_update(message, message.button(value)["callback_data"])
                    updates.append(update)
            rounds.append(updates)
            started = time.perf_counter()
            await stub.push_updates(updates)
            handled += len(updates)
            await _wait_handled(tracker, handled)
            elapsed += time.perf_counter() - started
        calls = _api_calls(stub) - calls_before
        async with core.uow() as uow:
            submitted = sum((await uow.requests.count_by_state()).values())
        if submitted != users:
            raise RuntimeError(f"{submitted} requests submitted, expected {users}")
    finally:
        await running.stop()
        await core.close()
    return elapsed, tracker.durations, rounds, calls


def _api_calls(stub: Any) -> int:
    return sum(1 for call in stub.calls if call.method != "getUpdates")


async def _baseline(
    stub: Any, rounds: list[list[dict[str, Any]]], *, answer: bool, like_the_bot: bool = False
) -> tuple[float, list[float]]:
    """The same updates through aiogram's polling loop to handlers that do nothing (or only
    answer, or make the intake bot's number of Bot API calls)."""
    from bot.middlewares import Tracker

    tracker = Tracker(record=True)
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(tracker)
    router = Router()

    @router.message()
    async def on_message(message: Message) -> None:
        if answer:
            await message.answer("ok")

    @router.callback_query()
    async def on_press(callback: CallbackQuery) -> None:
        if like_the_bot:
            await callback.bot.send_message(callback.from_user.id, "✔ ok")  # type: ignore[union-attr]
            await callback.bot.send_message(callback.from_user.id, "ok")  # type: ignore[union-attr]
        if answer:
            await callback.answer()

    dispatcher.include_router(router)
    bot = Bot(stub.token, session=AiohttpSession(api=TelegramAPIServer.from_base(stub.url)))
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    elapsed, handled = 0.0, 0
    try:
        for updates in rounds:
            if answer:  # presses must be answerable, as they were in the real run
                for update in updates:
                    if "callback_query" in update:
                        stub._pending_callbacks.add(update["callback_query"]["id"])
            started = time.perf_counter()
            await stub.push_updates(updates)
            handled += len(updates)
            await _wait_handled(tracker, handled)
            elapsed += time.perf_counter() - started
    finally:
        await dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await bot.session.close()
    return elapsed, tracker.durations


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _run(options: argparse.Namespace) -> int:
    from tests.support.telegram import BotApiStub

    with tempfile.TemporaryDirectory(prefix="bench-telegram-") as directory:
        async with BotApiStub() as stub:
            full_time, full_durations, rounds, full_calls = await _full_stack(stub, options, Path(directory))
        async with BotApiStub() as stub:
            for user_id in {u["message"]["chat"]["id"] for r in rounds for u in r if "message" in u}:
                stub.user(user_id).chat.started = True
            base_time, base_durations = await _baseline(stub, rounds, answer=False)
            echo_time, echo_durations = await _baseline(stub, rounds, answer=True)
            before = _api_calls(stub)
            same_time, same_durations = await _baseline(stub, rounds, answer=True, like_the_bot=True)
            same_calls = _api_calls(stub) - before
    total = sum(len(r) for r in rounds)
    base_rate = total / base_time
    database = (options.database or "sqlite").split("://")[0].split("+")[0]
    storage = "redis" if options.redis else "database"
    table = Table(
        title=f"Telegram updates: {options.users} candidates x {len(STEPS)} steps "
        f"({database}, conversations in the {storage})"
    )
    for column in ("handlers", "updates", "seconds", "updates/s", "p50 ms", "p99 ms", "vs no-op"):
        table.add_column(column, justify="left" if column == "handlers" else "right")
    rows = (
        ("no-op aiogram handler (baseline)", base_time, base_durations),
        ("aiogram handler, one answer per update", echo_time, echo_durations),
        (
            f"aiogram handler, {same_calls / total:.1f} Bot API calls per update",
            same_time,
            same_durations,
        ),
        (f"intake bot, whole stack ({full_calls / total:.1f} calls/update)", full_time, full_durations),
    )
    for name, seconds, durations in rows:
        rate = total / seconds
        table.add_row(
            name,
            str(total),
            f"{seconds:.2f}",
            f"{rate:,.0f}",
            f"{statistics.median(durations) * 1000:.2f}",
            f"{_percentile(durations, 0.99) * 1000:.2f}",
            f"{rate / base_rate:.3f}",
        )
    console.print(table)
    ratio = (total / full_time) / base_rate
    verdict = "[green]met[/]" if ratio >= GOAL else "[red]not met[/]"
    console.print(f"goal: the intake bot at >= {GOAL} of the no-op rate: {ratio:.3f} ({verdict})")
    return 0


def main(argv: list[str]) -> int:
    options = _parse(argv)
    return asyncio.run(_run(options))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
