"""The SMTP server's side of the worker processes (``mail_ingest.worker_process``): starts
``mail_worker_processes`` of them, wakes them after each commit, adds their batch reports to
this service's metrics, wakes the outbox dispatcher for them, starts one again if it dies, and
stops them on shutdown (end of file on their stdin: each finishes its round, then exits).

The queue makes several workers safe: each claims messages with a lease and finishes them only
while it holds the claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys

from intake import metrics, safe_log
from intake.core import Core
from intake.settings import to_json
from mail_ingest.worker import BatchReport, record

log = logging.getLogger("intake.mail")

READY_TIMEOUT_SECONDS = 300.0  # loading the anonymiser's models on a slow machine
STOP_TIMEOUT_SECONDS = 30.0
RESTART_DELAYS = (1.0, 2.0, 5.0, 15.0, 30.0)


class WorkerProcessFailed(RuntimeError):
    pass


class _Child:
    def __init__(self, pool: WorkerProcesses, number: int) -> None:
        self.pool = pool
        self.number = number
        self.process: asyncio.subprocess.Process | None = None
        self.ready = self._not_ready()

    @staticmethod
    def _not_ready() -> asyncio.Future[None]:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ready.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved
        return ready

    async def spawn(self) -> None:
        self.ready = self._not_ready()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mail_ingest.worker_process",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1024 * 1024,
        )
        assert self.process.stdin is not None
        self.process.stdin.write(to_json(self.pool.core.settings).encode() + b"\n")
        await self.process.stdin.drain()

    def wake(self) -> None:
        stdin = self.process.stdin if self.process else None
        if stdin is not None and not stdin.is_closing():
            stdin.write(b"w")

    async def listen(self) -> int:
        """Apply what the process reports until it exits; its exit code."""
        process = self.process
        assert process is not None and process.stdout is not None
        while line := await process.stdout.readline():
            try:
                message = json.loads(line)
                if "batch" in message:
                    record(self.pool.metrics, BatchReport.from_json(message["batch"]))
                elif message.get("outbox"):
                    self.pool.core.wake_dispatcher()
                elif message.get("ready") and not self.ready.done():
                    self.ready.set_result(None)
            except (ValueError, KeyError, TypeError) as exc:
                log.error("unreadable report from mail worker process: %s", safe_log.failure(exc))
        code = await process.wait()
        if not self.ready.done():
            self.ready.set_exception(WorkerProcessFailed(f"mail worker process exited with {code}"))
        return code

    async def supervise(self) -> None:
        """Listen; when the process dies while the server runs, start another (with backoff)."""
        failures = 0
        while True:
            started = asyncio.get_running_loop().time()
            code = await self.listen()
            if self.pool.stopping:
                return
            if asyncio.get_running_loop().time() - started > 60:
                failures = 0
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            failures += 1
            log.error(
                "mail worker process %d exited with %s; starting it again in %.0fs", self.number, code, delay
            )
            await asyncio.sleep(delay)
            if self.pool.stopping:
                return
            try:
                await self.spawn()
            except Exception as exc:
                log.error("starting mail worker process %d failed: %s", self.number, safe_log.failure(exc))
                self.process = None
                return
            self.pool.wake()

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()  # end of file: finish the round, then exit
        try:
            async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                await process.wait()
        except TimeoutError:
            log.error("mail worker process %d did not stop in time: killing it", self.number)
            process.kill()  # its claims expire after mail_lease_seconds; nothing is lost
            await process.wait()


class WorkerProcesses:
    def __init__(self, core: Core, count: int) -> None:
        self.core = core
        self.metrics = metrics.of(core)
        self.stopping = False
        self._children = [_Child(self, number) for number in range(count)]
        self._tasks: list[asyncio.Task[None]] = []
        self._wake_pending = False

    @property
    def count(self) -> int:
        return len(self._children)

    @property
    def pids(self) -> list[int]:
        """The running processes' ids."""
        return [c.process.pid for c in self._children if c.process and c.process.returncode is None]

    async def start(self) -> None:
        """Start the processes and wait until each can process mail."""
        try:
            for child in self._children:
                await child.spawn()
                self._tasks.append(asyncio.create_task(child.supervise(), name=f"mail-worker-{child.number}"))
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                for child in self._children:
                    await asyncio.shield(child.ready)
        except BaseException:
            await self.stop()
            raise

    def wake(self) -> None:
        """Tell the processes that mail is waiting (once per turn of the loop, however many
        messages were committed in it)."""
        if not self._wake_pending:
            self._wake_pending = True
            asyncio.get_running_loop().call_soon(self._send_wake)

    def _send_wake(self) -> None:
        self._wake_pending = False
        for child in self._children:
            child.wake()

    async def stop(self) -> None:
        self.stopping = True
        await asyncio.gather(*(child.stop() for child in self._children), return_exceptions=True)
        if self._tasks:  # they read the last reports, or wait to start a process again
            _, late = await asyncio.wait(self._tasks, timeout=5.0)
            for task in late:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks.clear()
