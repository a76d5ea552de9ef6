"""``intake mail queue|retry``: the queue of received mail (no personal data is shown)."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.table import Table

from intake.cli import app, command, console
from intake.cli.context import with_core
from intake.core import Core
from intake.errors import InvalidInput, NotFound
from intake.services import mail_queue, monitoring

mail = typer.Typer(help="Mail received by the SMTP server.", no_args_is_help=True)
app.add_typer(mail, name="mail")


@command(mail, "queue")
def queue(limit: Annotated[int, typer.Option("--limit")] = 50) -> None:
    """Received mail by kind and state, and the mails that could not be processed."""

    async def call(core: Core):  # type: ignore[no-untyped-def]
        return (await monitoring.snapshot(core)).inbound, await mail_queue.failed(core, limit=limit)

    counts, failed = with_core(call)
    console.print(
        "totals: "
        + (", ".join(f"{kind} {state} {n}" for (kind, state), n in sorted(counts.items())) or "empty")
    )
    if failed:
        table = Table("id", "kind", "received (UTC)", "size", "attempts", "last error", title="failed")
        for row in failed:
            table.add_row(
                str(row.id),
                row.kind.value,
                row.received_at.strftime("%Y-%m-%d %H:%M"),
                str(row.size),
                str(row.attempts),
                row.last_error or "",
            )
        console.print(table)
        console.print("Fix the cause, then: intake mail retry ID")


@command(mail, "retry")
def retry(inbound_id: Annotated[str, typer.Argument(help="The id shown by `intake mail queue`.")]) -> None:
    """Process a failed mail again (after fixing what made it fail)."""
    try:
        key = uuid.UUID(inbound_id.strip())
    except ValueError:
        raise InvalidInput("that is not a mail id from `intake mail queue`") from None

    async def call(core: Core) -> bool:
        return await mail_queue.requeue(core, key)

    if not with_core(call):
        raise NotFound("no failed mail with that id (it may have been processed or forgotten)")
    console.print("queued again; the running service picks it up within a few seconds")
