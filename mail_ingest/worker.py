"""The worker that processes accepted mail from the durable queue, after the SMTP reply.

It claims due messages with their content, reads them (off the event loop) and hands each
kind's batch to its service function: requests (intake@), unsubscribe mail (unsubscribe@,
unsubscribe+TOKEN@) and reports (bounces@).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from consent_store.models import InboundKind
from intake import metrics, safe_log
from intake.core import Core
from intake.services import mail_intake, mail_queue, mail_unsubscribe
from intake.services.mail_queue import Claimed
from mail_ingest import parse

log = logging.getLogger("intake.mail")
T = TypeVar("T")

# A handler processes a batch of claimed messages of its kind and returns one outcome per
# message (in order). It must finish each message with ``mail_queue.finish_in`` in the
# transaction that does its work, or leave it to be retried.
Handler = Callable[[Core, Sequence[Claimed]], Awaitable[list[str]]]

HOUSEKEEPING_SECONDS = 3600.0


LARGE = 256 * 1024  # read in a thread; smaller mails in the loop, yielding in between (a
# CPU-bound thread would make every other task wait for the GIL at each switch)


async def _read(function: Callable[..., T], raw: bytes, *args: Any) -> T:
    if len(raw) > LARGE:
        return await asyncio.to_thread(function, raw, *args)
    await asyncio.sleep(0)
    return function(raw, *args)


async def _requests(core: Core, batch: Sequence[Claimed]) -> list[str]:
    mails = [await _read(parse.request, item.raw, item.mail_from) for item in batch]
    answered = await mail_intake.answer_requests(
        core, [(item.claim, m) for item, m in zip(batch, mails, strict=True)]
    )
    return [a.outcome for a in answered]


async def _bounces(core: Core, batch: Sequence[Claimed]) -> list[str]:
    outcomes = []
    for item in batch:
        report = await _read(parse.delivery_report, item.raw)
        outcomes.append(await mail_intake.apply_delivery_report(core, item.claim, report))
    return outcomes


async def _unsubscribes(core: Core, batch: Sequence[Claimed]) -> list[str]:
    domain = core.settings.mail_domain
    outcomes = []
    for item in batch:
        mail = await _read(parse.unsubscribe, item.raw, item.mail_from, item.recipients, domain)
        outcomes.append(await mail_unsubscribe.apply_unsubscribe_mail(core, item.claim, mail))
    return outcomes


HANDLERS: Mapping[InboundKind, Handler] = {
    InboundKind.REQUEST: _requests,
    InboundKind.UNSUBSCRIBE: _unsubscribes,
    InboundKind.BOUNCE: _bounces,
}


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What one processed batch adds to the metrics: counts by outcome only (no content)."""

    kind: str
    seconds: float  # per message
    outcomes: dict[str, int] = field(default_factory=dict)
    failures: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "seconds": self.seconds,
            "outcomes": self.outcomes,
            "failures": self.failures,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchReport:
        outcomes = {str(k): int(v) for k, v in dict(data["outcomes"]).items()}
        return cls(str(data["kind"]), float(data["seconds"]), outcomes, int(data["failures"]))


def record(into: metrics.Metrics, report: BatchReport) -> None:
    if report.failures:
        into.mail_failures.labels(report.kind).inc(report.failures)
    for outcome, count in report.outcomes.items():
        into.mail_processed.labels(report.kind, outcome).inc(count)
        for _ in range(count):
            into.mail_process_seconds.labels(report.kind).observe(report.seconds)


class InboundWorker:
    def __init__(
        self,
        core: Core,
        *,
        handlers: Mapping[InboundKind, Handler] = HANDLERS,
        batch_size: int = 50,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        """``on_batch`` gets each batch's report; by default it goes into this core's metrics."""
        self.core = core
        self.handlers = dict(handlers)
        self.batch_size = batch_size
        self._wake = asyncio.Event()
        self._report = on_batch or (lambda report: record(metrics.of(core), report))
        self._last_housekeeping = 0.0

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Process every message that is due now; returns how many were handled.

        One batch at a time. SQLite has one writer: parallel batches would only wait for each
        other. On PostgreSQL they could overlap, but a batch costs about as much as a few more
        mails in it (its queries, its two transactions), and mail that arrives while one batch
        is processed makes the next one bigger; with four at once the batches stayed small and
        the worker used ~40% more CPU per mail."""
        handled = 0
        while claimed := await mail_queue.claim(self.core, list(self.handlers), limit=self.batch_size):
            handled += len(claimed)
            await self._process(claimed)
        return handled

    async def drain(self) -> None:
        """Process until nothing is due or in progress (also what another worker claimed).
        Callers bound it with ``asyncio.timeout``."""
        while True:
            await self.run_once()
            if not await mail_queue.unfinished(self.core, list(self.handlers)):
                return
            await asyncio.sleep(0.01)

    async def run_forever(self, stop: asyncio.Event) -> None:
        poll = self.core.settings.outbox_poll_seconds
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.run_once()
                await self._housekeeping()
            except Exception as exc:  # the loop must survive a database hiccup
                log.error("inbound mail round failed: %s", safe_log.failure(exc))
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for task in (waiter, stopper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _process(self, claimed: list[Claimed]) -> None:
        for kind in {item.claim.kind for item in claimed}:
            await self._process_kind(kind, [item for item in claimed if item.claim.kind is kind])

    async def _process_kind(self, kind: InboundKind, batch: list[Claimed]) -> None:
        started = time.perf_counter()
        try:
            outcomes = await self.handlers[kind](self.core, batch)
        except Exception as exc:  # the whole batch failed (e.g. the database): retry each later
            log.error(
                "processing %d inbound %s mails failed: %s", len(batch), kind.value, safe_log.failure(exc)
            )
            self._report(BatchReport(kind.value, 0.0, failures=len(batch)))
            for item in batch:
                with contextlib.suppress(Exception):
                    if await mail_queue.retry_later(self.core, item.claim, type(exc).__name__):
                        log.error("gave up on inbound %s mail %s", kind.value, item.claim.id)
            return
        elapsed = (time.perf_counter() - started) / len(batch)
        done: Counter[str] = Counter()
        failures = 0
        for item, outcome in zip(batch, outcomes, strict=True):
            if outcome.startswith("error:"):
                log.error("processing inbound %s mail %s failed: %s", kind.value, item.claim.id, outcome)
                failures += 1
                continue
            done[outcome] += 1
        self._report(BatchReport(kind.value, elapsed, dict(done), failures))

    async def _housekeeping(self) -> None:
        if time.monotonic() - self._last_housekeeping < HOUSEKEEPING_SECONDS:
            return
        self._last_housekeeping = time.monotonic()
        purged = await mail_queue.purge(self.core)
        if purged.messages or purged.replies:
            log.info("inbound mail housekeeping: %s", purged)
