"""``intake run``: every enabled adapter on one event loop, plus the outbox dispatcher and
the periodic retention task. Stops cleanly on Ctrl-C / SIGTERM. Received mail is processed
in worker processes that the SMTP adapter starts and stops (``INTAKE_MAIL_WORKER_PROCESSES``;
0: in this event loop).

This is the composition root: the only place in ``intake/`` that imports the adapters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import astuple, dataclass, field
from typing import Protocol

from rich.console import Console
from rich.table import Table

from consent_store.enums import Channel
from consent_store.migrate import pending, upgrade
from intake import safe_log
from intake.core import Core
from intake.errors import ConfigurationError
from intake.ports import AnonymiserPort, Sender
from intake.services import matching, retention
from intake.services.dispatch import Dispatcher
from intake.settings import Settings

log = logging.getLogger("intake.runner")

RETENTION_INTERVAL_SECONDS = 3600.0
MAINTENANCE_INTERVAL_SECONDS = 300.0
SHUTDOWN_GRACE_SECONDS = 15.0


class RunningAdapter(Protocol):
    name: str

    def describe(self) -> str: ...

    async def stop(self) -> None: ...


@dataclass
class Service:
    """What ``start`` brought up; ``stop`` takes it down in reverse order."""

    core: Core
    adapters: list[RunningAdapter] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def adapter(self, name: str) -> RunningAdapter:
        return next(a for a in self.adapters if a.name == name)

    async def stop(self) -> None:
        self.stopping.set()
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception as exc:
                log.error("stopping %s failed: %s", adapter.name, safe_log.failure(exc))
        if self.tasks:  # background loops watch `stopping`: let them finish the round they are in
            _, late = await asyncio.wait(self.tasks, timeout=SHUTDOWN_GRACE_SECONDS)
            for task in late:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.core.close()


async def prepare_database(core: Core) -> list[str]:
    """Development: apply pending migrations. Production: refuse to run with any pending."""
    missing = await pending(core.engine)
    if missing and core.settings.is_production:
        raise ConfigurationError(
            f"the database needs migrations {', '.join(missing)}: run `intake db upgrade`"
        )
    if missing:
        await upgrade(core.engine)
    return missing


async def start(settings: Settings, *, anonymiser: AnonymiserPort | None = None) -> Service:
    from mail_ingest import server as smtp_server
    from mail_ingest.outbound import EmailSender
    from web import server as web_server

    core = Core(settings, anonymiser=anonymiser)
    service = Service(core)
    try:
        applied = await prepare_database(core)
        if applied:
            service.notes.append(("migrations", f"applied {', '.join(applied)}"))
        email = EmailSender(settings, clock=core.clock)
        senders: dict[Channel, Sender] = {Channel.EMAIL: email}
        service.notes.append(("outbound mail", email.outbound.describe()))
        if settings.web_enabled:
            service.adapters.append(await web_server.start(core))
        if settings.smtp_enabled:
            service.adapters.append(await smtp_server.start(core))
        if settings.telegram_token is not None:
            from bot import service as bot_service

            running_bot = await bot_service.start(core)
            service.adapters.append(running_bot)
            senders[Channel.TELEGRAM] = running_bot.sender
        else:
            service.notes.append(("telegram", "off (set INTAKE_TELEGRAM_TOKEN to start the bot)"))
        dispatcher = Dispatcher(core, senders)
        service.tasks.append(asyncio.create_task(dispatcher.run_forever(service.stopping), name="outbox"))
        service.tasks.append(
            asyncio.create_task(_maintenance_loop(core, service.stopping), name="maintenance")
        )
    except BaseException:
        await service.stop()
        raise
    return service


async def _maintenance_loop(core: Core, stopping: asyncio.Event) -> None:
    """Re-offer waiting requests every few minutes; apply retention every hour."""
    next_retention = 0.0
    loop = asyncio.get_running_loop()
    while not stopping.is_set():
        try:
            if offered := await matching.reoffer_waiting(core):
                log.info("re-offered %d waiting request(s)", offered)
            if loop.time() >= next_retention:
                report = await retention.run(core)
                next_retention = loop.time() + RETENTION_INTERVAL_SECONDS
                if any(astuple(report)):
                    log.info("retention: %s", report)
        except Exception as exc:
            log.error("maintenance round failed: %s", safe_log.failure(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=MAINTENANCE_INTERVAL_SECONDS)


def describe(service: Service) -> Table:
    table = Table(title="intake is running", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    settings = service.core.settings
    table.add_row("database", _safe_url(settings.resolved_database_url))
    for adapter in service.adapters:
        table.add_row(adapter.name, adapter.describe())
    for name, note in service.notes:
        table.add_row(name, note)
    return table


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def serve(
    settings: Settings, console: Console, *, on_ready: Callable[[Service], None] | None = None
) -> None:
    service = await start(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        console.print(describe(service))
        console.print("Press Ctrl-C to stop.")
        if on_ready:
            on_ready(service)
        await stop.wait()
        console.print("stopping...")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await service.stop()
        console.print("stopped.")
