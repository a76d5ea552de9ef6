"""``intake consent show|verify``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from intake.cli import app, command, console, fail
from intake.cli.context import operator_name, with_core
from intake.services import consent as consent_service

consent = typer.Typer(help="The consent ledger: proof of every grant and withdrawal.", no_args_is_help=True)
app.add_typer(consent, name="consent")


@command(consent, "show")
def show(
    key: Annotated[
        str, typer.Argument(help="Pseudonym (K-...), e-mail address, phone number or Telegram id.")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why you look (recorded in the audit trail).")
    ] = "proof",
) -> None:
    """A person's consent history, as proof (each event with its hash; the chain is verified)."""
    proof = with_core(lambda core: consent_service.proof(core, key, operator=operator_name(), reason=reason))
    table = Table(
        "#",
        "time (UTC)",
        "purpose",
        "action",
        "channel",
        "actor",
        "wording",
        "evidence",
        "hash",
        title=f"consent history of {proof.pseudonym}",
        title_justify="left",
    )
    for event in proof.events:
        table.add_row(
            str(event.seq),
            event.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            event.purpose.value,
            event.action.value,
            event.channel.value,
            event.actor.value + (f" ({event.actor_reason})" if event.actor_reason else ""),
            f"{event.language} v{event.wording_version} {event.wording_sha256[:12]}",
            event.evidence,
            event.hash[:16],
        )
    console.print(table)
    if proof.chain.ok:
        console.print(f"[green]ledger verified[/]: {proof.chain.length} events, chain intact")
    else:
        broken = proof.chain.broken
        assert broken is not None
        raise fail(f"the ledger does not verify at event {broken.seq}: {broken.reason}")


@command(consent, "verify")
def verify() -> None:
    """Check the whole hash chain; exit 1 at the first event that does not verify."""
    report = with_core(consent_service.verify)
    if report.ok:
        console.print(f"[green]ok[/]: {report.length} events, chain intact")
        return
    broken = report.broken
    assert broken is not None
    ident = f" (id {broken.event_id})" if broken.event_id else ""
    raise fail(f"ledger broken at event {broken.seq}{ident}: {broken.reason}")
