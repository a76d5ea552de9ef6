"""A process that processes accepted mail (``python -m mail_ingest.worker_process``), started by
the SMTP server (``mail_ingest.worker_pool``) so that accepting and processing use a core each.

Its stdin is the pipe from the server: the first line is the settings (``intake.settings.to_json``,
secrets included, so they are neither on the command line nor in the environment), then any
byte means "mail was committed, look now"; end of file (the server stopped or died) means
finish the round in progress and exit. It also polls every ``outbox_poll_seconds``.

Its stdout is the pipe back, one JSON object a line: ``{"ready": true}`` once it can process,
``{"batch": {...}}`` per processed batch (a ``BatchReport``: counts by outcome, for the
server's metrics) and ``{"outbox": true}`` after a commit that queued outgoing mail (the
server's dispatcher sends it). Errors go to stderr as their type and place only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from typing import BinaryIO

from intake import safe_log
from intake.core import Core
from intake.settings import from_json
from mail_ingest.worker import InboundWorker

log = logging.getLogger("intake.mail.worker")


class _Replies:
    def __init__(self, out: BinaryIO, gone: asyncio.Event) -> None:
        self._out = out
        self._gone = gone

    def send(self, message: dict[str, object]) -> None:
        try:
            self._out.write(json.dumps(message).encode() + b"\n")
            self._out.flush()
        except (BrokenPipeError, ValueError):  # the server is gone: stop after this round
            self._gone.set()


async def _stdin() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def _listen(reader: asyncio.StreamReader, worker: InboundWorker, stop: asyncio.Event) -> None:
    with contextlib.suppress(ConnectionError):
        while await reader.read(4096):
            worker.wake()
    stop.set()


async def _forward_outbox(core: Core, replies: _Replies) -> None:
    while True:
        await core.outbox_ready.wait()
        core.outbox_ready.clear()
        replies.send({"outbox": True})


async def serve() -> None:
    reader = await _stdin()
    settings = from_json((await reader.readline()).decode())
    stop = asyncio.Event()
    replies = _Replies(sys.stdout.buffer, stop)
    core = Core(settings)
    tasks: list[asyncio.Task[None]] = []
    try:
        core.anonymiser  # noqa: B018 - load the models now: ready means able to process
        worker = InboundWorker(core, on_batch=lambda report: replies.send({"batch": report.to_json()}))
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        tasks.append(asyncio.create_task(_listen(reader, worker, stop)))
        tasks.append(asyncio.create_task(_forward_outbox(core, replies)))
        replies.send({"ready": True})
        await worker.run_forever(stop)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await core.close()


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group: the server stops us (end of file).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        asyncio.run(serve())
    except Exception as exc:  # never the traceback: its messages can carry personal data
        log.error("mail worker process failed: %s", safe_log.failure(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
