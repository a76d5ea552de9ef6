"""Counts for health and metrics pages: states only, never anything about a person."""

from __future__ import annotations

from dataclasses import dataclass

from consent_store.inbound import InboundRepository
from intake.core import Core


@dataclass(frozen=True, slots=True)
class Snapshot:
    requests: dict[str, int]  # state -> count
    outbox: dict[str, int]  # state -> count
    inbound: dict[tuple[str, str], int]  # (kind, state) -> count


async def snapshot(core: Core) -> Snapshot:
    async with core.reader() as uow:
        return Snapshot(
            requests=await uow.requests.count_by_state(),
            outbox=await uow.outbox.count_by_state(),
            inbound=await InboundRepository(uow.session).count_by(),
        )
