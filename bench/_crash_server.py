"""``intake run``'s composition (runner.start) with the anonymiser the tests use, for the crash
test: settings from the ``INTAKE_*`` environment; stops on SIGTERM, dies on SIGKILL."""

from __future__ import annotations

import asyncio
import signal
import sys

from intake import runner
from intake.settings import load_settings
from tests.support.anonymiser import load


async def main() -> None:
    service = await runner.start(load_settings(), anonymiser=load())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await service.stop()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
