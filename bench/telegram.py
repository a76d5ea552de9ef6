"""Updates per second through the whole bot, against the local Bot API stand-in.

Many candidates go through the intake conversation at once (``--users``), one step per
round: /start, "start", a topic, the special-category question, the question text, "send
as is", "e-mail", the address, the handover consent, the newsletter answer (which submits
the request, offered to the registered coaches). Every update passes the real middlewares
(throttling, FSM under per-user locks, context), the FSM storage and the service layer on
a real database, and the bot's replies go back to the stand-in over HTTP.

Every bot measured runs in its own process (``bench._telegram_bot``), the stand-in in this
one: Telegram's servers are not in a bot's process, so their work must not take its CPU.
The baseline, in the same run: the very same updates, replayed through the same polling
loop to an aiogram dispatcher whose handlers do nothing. Goal: at least 0.3 of its rate.
For scale, a second row replays them to handlers that only answer (one Bot API call per
update; a bot that answers each message and press can do no less), and a third to handlers
that make as many Bot API calls as the intake bot made per update, and nothing else (a
message: one sendMessage; a press: two sendMessage and answerCallbackQuery, like settling
the pressed message, asking the next question and answering the press): the rate no bot
with those calls can beat here. A fourth row runs intake's own middlewares (throttle, the
conversation storage on the database, the context, which answers each press) in front of
handlers that do nothing. Each row runs ``--repeat`` times, interleaved, and the
table shows medians. The p99 is of the time one update spends in the dispatcher, first
middleware to last, queueing for the person's lock included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

GOAL = 0.3
console = Console(width=120)
ROOT = Path(__file__).resolve().parent.parent

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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each row; the table shows medians")
    return parser.parse_args([a.removeprefix("-") if a.startswith("---") else a for a in argv])


@dataclass
class Run:
    seconds: float
    durations: list[float]
    cpu_seconds: float
    calls: int


class BotProcess:
    """The bot under test in its own process (``bench._telegram_bot``)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.handled = 0  # updates pushed to it so far

    @classmethod
    async def start(cls, **config: Any) -> BotProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench._telegram_bot",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        )  # fmt: skip
        running = cls(process)
        await running._say(json.dumps(config))
        await running._expect("ready")
        return running

    async def _say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def _expect(self, word: str) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(300):
            line = (await self.process.stdout.readline()).decode()
        if not line.startswith(word):
            raise RuntimeError(f"the bot process said {line!r} instead of {word!r}")
        return line

    async def wait_handled(self, count: int) -> None:
        await self._say(f"wait {count}")
        await self._expect("handled")

    async def stop(self) -> dict[str, Any]:
        await self._say("stop")
        result: dict[str, Any] = json.loads(await self._expect("{"))
        await self.process.wait()
        return result


async def _push(stub: Any, bot: BotProcess, updates: list[dict[str, Any]]) -> float:
    """Seconds from handing ``updates`` to the stand-in until the bot has handled them all."""
    started = time.perf_counter()
    await stub.push_updates(updates)
    bot.handled += len(updates)
    await bot.wait_handled(bot.handled)
    return time.perf_counter() - started


def _pressable(user: Any, label: str) -> Any:
    for message in reversed(user.messages):
        if any(b.get("text") == label for b in message.buttons()):
            return message
    raise RuntimeError(f"user {user.id}: no button {label!r}; last: {user.messages[-1].text!r}")


def _api_calls(stub: Any) -> int:
    return sum(1 for call in stub.calls if call.method != "getUpdates")


async def _full_stack(options: argparse.Namespace, workdir: Path) -> tuple[Run, list[list[dict[str, Any]]]]:
    from tests.support.telegram import BotApiStub

    async with BotApiStub() as stub:
        coaches = []
        for i in range(options.coaches):
            coach = stub.user(900_000 + i, f"Coach{i}")
            coach.chat.started = True
            coaches.append(coach.id)
        people = [stub.user(1_000_000 + i, f"Kandidaat{i}", language_code="nl") for i in range(options.users)]
        bot = await BotProcess.start(
            mode="stack", url=stub.url, token=stub.token, database=options.database, redis=options.redis,
            coaches=coaches, workdir=str(workdir),
        )  # fmt: skip
        rounds: list[list[dict[str, Any]]] = []
        elapsed = 0.0
        calls_before = _api_calls(stub)
        try:
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
                elapsed += await _push(stub, bot, updates)
        finally:
            result = await bot.stop()
        if result["submitted"] != options.users:
            raise RuntimeError(f"{result['submitted']} requests submitted, expected {options.users}")
        run = Run(elapsed, result["durations"], result["cpu_seconds"], _api_calls(stub) - calls_before)
    return run, rounds


async def _baseline(rounds: list[list[dict[str, Any]]], mode: str, workdir: Path) -> Run:
    """The same updates through aiogram's polling loop to handlers that do nothing (or only
    answer, or make the intake bot's number of Bot API calls)."""
    from tests.support.telegram import BotApiStub

    async with BotApiStub() as stub:
        for user_id in {u["message"]["chat"]["id"] for r in rounds for u in r if "message" in u}:
            stub.user(user_id).chat.started = True
        bot = await BotProcess.start(
            mode=mode, url=stub.url, token=stub.token, database=None, redis=None, workdir=str(workdir)
        )
        elapsed = 0.0
        try:
            for updates in rounds:
                if mode != "noop":  # presses must be answerable, as they were in the real run
                    for update in updates:
                        if "callback_query" in update:
                            stub._pending_callbacks.add(update["callback_query"]["id"])
                elapsed += await _push(stub, bot, updates)
        finally:
            result = await bot.stop()
        return Run(elapsed, result["durations"], result["cpu_seconds"], _api_calls(stub))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


BASELINES = (
    ("noop", "no-op aiogram handler (baseline)"),
    ("answer", "aiogram handler, one answer per update"),
    ("like_the_bot", "aiogram handler, {calls:.1f} Bot API calls per update"),
    ("middlewares", "intake's middlewares, no-op handlers ({calls:.1f} calls/update)"),
)


async def _run(options: argparse.Namespace) -> int:
    runs: dict[str, list[Run]] = {"stack": [], **{mode: [] for mode, _ in BASELINES}}
    for _ in range(options.repeat):  # interleaved: a busy neighbour slows every row alike
        with tempfile.TemporaryDirectory(prefix="bench-telegram-") as directory:
            stack, rounds = await _full_stack(options, Path(directory))
        runs["stack"].append(stack)
        for mode, _ in BASELINES:
            with tempfile.TemporaryDirectory(prefix="bench-telegram-") as directory:
                runs[mode].append(await _baseline(rounds, mode, Path(directory)))
    total = sum(len(r) for r in rounds)
    rate = {name: statistics.median(total / r.seconds for r in rs) for name, rs in runs.items()}
    database = (options.database or "sqlite").split("://")[0].split("+")[0]
    storage = "redis" if options.redis else "database"
    table = Table(
        title=f"Telegram updates: {options.users} candidates x {len(STEPS)} steps "
        f"({database}, conversations in the {storage}); medians of {options.repeat} runs"
    )
    for column in ("handlers", "updates", "updates/s", "CPU ms/update", "p50 ms", "p99 ms", "vs no-op"):
        table.add_column(column, justify="left" if column == "handlers" else "right")
    calls = {name: statistics.median(r.calls for r in rs) / total for name, rs in runs.items()}
    rows = [(mode, label.format(calls=calls[mode])) for mode, label in BASELINES]
    rows.append(("stack", f"intake bot, whole stack ({calls['stack']:.1f} calls/update)"))
    for name, label in rows:
        durations = [d for r in runs[name] for d in r.durations]
        cpu = statistics.median(r.cpu_seconds for r in runs[name]) / total
        table.add_row(
            label,
            str(total),
            f"{rate[name]:,.0f}",
            f"{cpu * 1000:.2f}",
            f"{statistics.median(durations) * 1000:.2f}",
            f"{_percentile(durations, 0.99) * 1000:.2f}",
            f"{rate[name] / rate['noop']:.3f}",
        )
    console.print(table)
    console.print(
        "[dim]Each bot runs in its own process; the Bot API stand-in runs in the benchmark's"
        " process. CPU: the bot process's, from its start of polling to its stop, per update.[/]"
    )
    ratio = rate["stack"] / rate["noop"]
    verdict = "[green]met[/]" if ratio >= GOAL else "[red]not met[/]"
    console.print(f"goal: the intake bot at >= {GOAL} of the no-op rate: {ratio:.3f} ({verdict})")
    return 0


def main(argv: list[str]) -> int:
    options = _parse(argv)
    return asyncio.run(_run(options))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
