"""``intake retention run|reapply-erasures``."""

from __future__ import annotations

import typer

from intake.cli import app, command, console
from intake.cli.context import with_core
from intake.services import privacy
from intake.services import retention as retention_service

retention = typer.Typer(help="Erase what may no longer be kept.", no_args_is_help=True)
app.add_typer(retention, name="retention")


@command(retention, "run")
def run() -> None:
    """Apply the retention periods now (`intake run` also does this every hour)."""
    report = with_core(retention_service.run)
    console.print(
        f"expired drafts: {report.expired_drafts}, lapsed matches: {report.lapsed_matches}, "
        f"expired requests: {report.expired_requests}, erased requests: {report.erased_requests}, "
        f"erased subjects: {report.erased_subjects}, purged messages: {report.purged_messages}, "
        f"expired newsletter sign-ups: {report.expired_signups}, "
        f"re-applied erasures: {report.reapplied_erasures}"
    )


@command(retention, "reapply-erasures")
def reapply() -> None:
    """After restoring a backup: erase again everyone in the erasure journal."""
    erased = with_core(privacy.reapply_erasures)
    console.print(f"re-applied {len(erased)} erasure(s)" + (f": {', '.join(erased)}" if erased else ""))
