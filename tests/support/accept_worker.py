"""A separate OS process that accepts offers on command (for the multi-process race test).

Protocol on stdin/stdout, one JSON object per line:
  parent -> {"offers": [[offer_id, coach_id], ...]}   worker -> {"ready": true}
  parent -> {"go": true}                              worker -> {"won": [offer_id, ...], "taken": n}
  parent -> {"quit": true}
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from intake.core import Core
from intake.errors import OfferTaken
from intake.services import matching
from intake.settings import load_settings
from tests.support.anonymiser import load


async def _accept(core: Core, offer_id: uuid.UUID, coach_id: uuid.UUID) -> bool:
    try:
        await matching.accept(core, offer_id=offer_id, coach_id=coach_id)
    except OfferTaken:
        return False
    return True


async def main() -> None:
    core = Core(load_settings(), anonymiser=load())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    offers: list[tuple[uuid.UUID, uuid.UUID]] = []
    try:
        while line := await reader.readline():
            command = json.loads(line)
            if "quit" in command:
                break
            if "offers" in command:
                offers = [(uuid.UUID(o), uuid.UUID(c)) for o, c in command["offers"]]
                # warm the pool so that every accept starts at once when told to go
                async with core.engine.connect():
                    pass
                print(json.dumps({"ready": True}), flush=True)
            elif "go" in command:
                results = await asyncio.gather(*(_accept(core, o, c) for o, c in offers))
                won = [str(o) for (o, _), ok in zip(offers, results, strict=True) if ok]
                print(json.dumps({"won": won, "taken": results.count(False)}), flush=True)
    finally:
        await core.close()


if __name__ == "__main__":
    asyncio.run(main())
