"""Group commit for the SMTP server: every message that finished DATA while the previous
commit was running is stored in the next transaction, and each session gets its reply when
that transaction is durable. One commit serves many sessions; nothing is answered early."""

from __future__ import annotations

import asyncio
import contextlib

from intake.core import Core
from intake.services import mail_queue
from intake.services.mail_queue import Accepted, Stored

MAX_BATCH = 100
MAX_BATCH_BYTES = 32 * 1024 * 1024


class GroupCommitter:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._pending: list[tuple[Accepted, asyncio.Future[Stored]]] = []
        self._ready = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="smtp-group-commit")

    async def store(self, accepted: Accepted) -> Stored:
        """Stored once committed; raises if the commit failed (nothing of it stored)."""
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._pending.append((accepted, future))
        self._ready.set()
        return await asyncio.shield(future)  # a session that goes away does not cancel the batch

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._pending:
                batch = self._take()
                try:
                    results = await mail_queue.store_batch(self.core, [accepted for accepted, _ in batch])
                except BaseException as exc:  # each session answers 451 (or the server is stopping)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(
                                exc if isinstance(exc, Exception) else ConnectionAbortedError()
                            )
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, future), stored in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(stored)

    def _take(self) -> list[tuple[Accepted, asyncio.Future[Stored]]]:
        batch, size = [], 0
        while self._pending and len(batch) < MAX_BATCH:
            accepted, future = self._pending[0]
            if batch and size + len(accepted.raw) > MAX_BATCH_BYTES:
                break
            self._pending.pop(0)
            batch.append((accepted, future))
            size += len(accepted.raw)
        return batch

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        for _, future in self._pending:
            if not future.done():
                future.set_exception(ConnectionAbortedError("the server is stopping"))
        self._pending.clear()
