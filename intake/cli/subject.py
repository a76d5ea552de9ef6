"""``intake subject show|export|correct|erase``: data-subject requests (GDPR art. 15-17, 20).

Every command is recorded in the audit trail with the operator and the reason given.
Answer within one month of the request (art. 12(3)).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from consent_store.enums import Actor, Channel, ContactKind
from intake.cli import app, command, console
from intake.cli.context import operator_name, with_core
from intake.core import Core
from intake.services import privacy

subject = typer.Typer(
    help="Data-subject requests: access, export, correction, erasure.", no_args_is_help=True
)
app.add_typer(subject, name="subject")

KEY_HELP = "Pseudonym (K-...), e-mail address, phone number or Telegram id."
REASON = typer.Option("--reason", help="The request you are handling (kept in the audit trail).")


@command(subject, "show")
def show(key: Annotated[str, typer.Argument(help=KEY_HELP)], reason: Annotated[str, REASON]) -> None:
    """Everything stored about a person (right of access)."""

    async def call(core: Core) -> privacy.SubjectReport:
        ref = await privacy.find(core, key)
        return await privacy.access(
            core, subject_id=ref.id, actor=f"operator:{operator_name()}", reason=reason
        )

    report = with_core(call)
    console.print(
        f"[bold]{report.pseudonym}[/] · language {report.locale} · since {report.created_at[:10]}"
        f" · last active {report.last_active_at[:10]}"
    )
    contacts = Table("kind", "value", "reachable", title="contact details", title_justify="left")
    for c in report.contacts:
        contacts.add_row(c.kind, c.value, "no" if c.unreachable else "yes")
    console.print(contacts)
    requests = Table(
        "reference", "state", "topic", "created", "handed over to", title="requests", title_justify="left"
    )
    for r in report.requests:
        requests.add_row(r.reference, r.state, r.topic, r.created_at[:10], r.handed_over_to or "")
    console.print(requests)
    consents = Table("time", "purpose", "action", "channel", title="consents", title_justify="left")
    for e in report.consents:
        consents.add_row(e.at[:19], e.purpose, e.action, e.channel)
    console.print(consents)


@command(subject, "export")
def export(
    key: Annotated[str, typer.Argument(help=KEY_HELP)],
    reason: Annotated[str, REASON],
    output: Annotated[Path, typer.Option("--output", "-o", help="Write the JSON here (mode 0600).")],
) -> None:
    """Export a person's data as JSON (right to data portability)."""

    async def call(core: Core) -> privacy.SubjectReport:
        ref = await privacy.find(core, key)
        return await privacy.access(
            core, subject_id=ref.id, actor=f"operator:{operator_name()}", reason=f"export: {reason}"
        )

    report = with_core(call)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.touch(mode=0o600, exist_ok=True)
    output.write_text(report.to_json() + "\n", encoding="utf-8")
    console.print(f"exported {report.pseudonym} to {output}")


@command(subject, "correct")
def correct(
    key: Annotated[str, typer.Argument(help=KEY_HELP)],
    kind: Annotated[ContactKind, typer.Option("--kind", help="Which contact detail.")],
    value: Annotated[str, typer.Option("--value", help="The corrected value.")],
    reason: Annotated[str, REASON],
) -> None:
    """Correct a contact detail (right to rectification)."""

    async def call(core: Core) -> str:
        ref = await privacy.find(core, key)
        await privacy.correct_contact(
            core,
            subject_id=ref.id,
            kind=kind,
            new_value=value,
            actor=f"operator:{operator_name()}",
            reason=reason,
        )
        return ref.pseudonym

    console.print(f"corrected the {kind.value} of {with_core(call)}")


@command(subject, "erase")
def erase(
    key: Annotated[str, typer.Argument(help=KEY_HELP)],
    reason: Annotated[str, REASON],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a person (right to erasure): consents withdrawn, data key destroyed, rows deleted.

    The pseudonymous consent ledger and the audit line stay, as the law requires proof.
    """
    if not yes:
        typer.confirm(f"Erase {key!r} permanently?", abort=True)

    async def call(core: Core) -> privacy.Erasure:
        ref = await privacy.find(core, key)
        return await privacy.erase(
            core,
            subject_id=ref.id,
            actor=Actor.OPERATOR,
            channel=Channel.OPERATOR,
            reason=reason,
            by=operator_name(),
        )

    result = with_core(call)
    withdrawn = (
        f"; withdrawn requests: {', '.join(result.withdrawn_requests)}" if result.withdrawn_requests else ""
    )
    console.print(f"erased {result.pseudonym}{withdrawn}")
