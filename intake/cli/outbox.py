"""``intake outbox``: messages waiting or failed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from consent_store.enums import OutboxState
from intake.cli import app, command, console
from intake.cli.context import with_core
from intake.core import Core


@command(app, "outbox")
def outbox(
    state: Annotated[
        list[OutboxState] | None,
        typer.Option("--state", help="pending, sending, failed, sent, cancelled (repeat)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit")] = 200,
) -> None:
    """Outgoing messages that are pending or failed (no personal data is shown)."""
    states = state or [OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED]

    async def call(core: Core):  # type: ignore[no-untyped-def]
        async with core.uow() as uow:
            return await uow.outbox.listing(states, limit=limit), await uow.outbox.count_by_state()

    rows, counts = with_core(call)
    table = Table(
        "id", "created (UTC)", "channel", "to", "kind", "state", "attempts", "next attempt", "last error"
    )
    for row in rows:
        table.add_row(
            str(row.id),
            row.created_at.strftime("%Y-%m-%d %H:%M"),
            row.channel.value,
            row.recipient_kind.value,
            row.kind,
            row.state.value,
            str(row.attempts),
            row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.last_error or "",
        )
    console.print(table)
    console.print("totals: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"))
