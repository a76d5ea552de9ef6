"""``intake newsletter unsubscribe|list|export|stats|send``.

Operators may learn whether an address was on the list (the public never does). Showing or
exporting addresses is recorded in the audit trail.
"""

from __future__ import annotations

import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from consent_store.enums import NewsletterState
from intake.cli import app, command, console, err_console, fail
from intake.cli.context import operator_name, with_core
from intake.core import Core
from intake.errors import InvalidInput
from intake.services import newsletter_admin, newsletter_sending
from intake.services.newsletter import Removal

newsletter = typer.Typer(
    help="The newsletter: unsubscribe people, list, export, stats, send an issue.", no_args_is_help=True
)
app.add_typer(newsletter, name="newsletter")

SHOWN_INVALID_LINES = 50
DEFAULT_RATE = 10.0

_SAID = {
    Removal.UNSUBSCRIBED: "unsubscribed; the address is suppressed",
    Removal.ALREADY_OFF: "was already unsubscribed; the address is suppressed",
    Removal.UNKNOWN: "is not on the newsletter; the address is suppressed so it never gets it",
}


def _progress(out: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
        transient=False,
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


@command(newsletter, "unsubscribe")
def unsubscribe(
    target: Annotated[
        str | None, typer.Argument(help="E-mail address, Telegram id or pseudonym (K-...).")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="A CSV file or plain list of addresses (one per line; header row optional).",
            dir_okay=False,
        ),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Kept in the consent ledger.")] = None,
) -> None:
    """Take people off the newsletter at once: one address, or a whole list (--file).

    Listed addresses are suppressed even when nobody is known by them, so they never get
    the newsletter unless their owner opts in again and confirms."""
    if (target is None) == (file is None):
        raise fail("give one address or pseudonym, or --file with a list")
    if target is not None:
        removal = with_core(
            lambda core: newsletter_admin.unsubscribe_one(
                core, target, operator=operator_name(), reason=reason
            )
        )
        console.print(f"{target} {_SAID[removal]}", highlight=False)
        return
    assert file is not None
    if not file.is_file():
        raise fail(f"no such file: {file}")
    report = _unsubscribe_file(file, reason)
    table = Table("", "addresses", title=f"unsubscribe from {file.name}", title_justify="left")
    table.add_row("unsubscribed", str(report.unsubscribed))
    table.add_row("already off", str(report.already_off))
    table.add_row("unknown (suppressed all the same)", str(report.unknown))
    table.add_row("invalid lines", str(report.invalid))
    table.add_row("newly suppressed", str(report.newly_suppressed))
    console.print(table)
    if report.invalid:
        shown = report.invalid_lines[:SHOWN_INVALID_LINES]
        more = report.invalid - len(shown)
        raise fail(
            f"{report.invalid} line(s) hold no valid e-mail address or Telegram id: "
            + ", ".join(map(str, shown))
            + (f" and {more} more" if more else "")
            + "; every other address was processed"
        )


def _count_lines(file: Path) -> int:
    lines, last = 0, b"\n"
    with file.open("rb") as raw:
        for chunk in iter(lambda: raw.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _unsubscribe_file(file: Path, reason: str | None) -> newsletter_admin.BulkReport:
    total = _count_lines(file)
    with (
        file.open(encoding="utf-8-sig", errors="replace", newline="") as handle,
        _progress(err_console) as bar,
    ):
        task = bar.add_task("unsubscribing", total=total)

        async def call(core: Core) -> newsletter_admin.BulkReport:
            return await newsletter_admin.unsubscribe_listed(
                core,
                newsletter_admin.read_addresses(handle),
                source=file.name,
                operator=operator_name(),
                reason=reason,
                progress=lambda line: bar.update(task, completed=line),
            )

        report = with_core(call)
        bar.update(task, completed=total)
    return report


@command(newsletter, "list")
def list_subscribers(
    status: Annotated[NewsletterState | None, typer.Option("--status", help="Only this state.")] = None,
    show_addresses: Annotated[
        bool, typer.Option("--show-addresses", help="Show full addresses (recorded in the audit trail).")
    ] = False,
    reason: Annotated[
        str, typer.Option("--reason", help="Why addresses are shown (audit trail).")
    ] = "newsletter list",
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
) -> None:
    """Subscriptions with their state; addresses masked unless --show-addresses."""
    operator = operator_name() if not show_addresses else f"{operator_name()} ({reason})"[:64]

    async def call(core: Core) -> tuple[list[newsletter_admin.Subscriber], newsletter_admin.Stats]:
        rows = await newsletter_admin.listing(
            core, state=status, show_addresses=show_addresses, operator=operator, limit=limit
        )
        return rows, await newsletter_admin.stats(core)

    rows, stats = with_core(call)
    table = Table(
        "pseudonym", "channel", "state", "language", "address", "signed up", "confirmed", "unsubscribed"
    )
    for row in rows:
        table.add_row(
            row.pseudonym,
            row.channel,
            row.state,
            row.language,
            row.address,
            _when(row.created_at),
            _when(row.confirmed_at),
            _when(row.unsubscribed_at),
        )
    console.print(table)
    total = sum(n for (_, state), n in stats.subscriptions.items() if status is None or state == status.value)
    console.print(f"showing {len(rows)} of {total}")


@command(newsletter, "export")
def export(
    format: Annotated[str, typer.Option("--format", help="Only csv.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (mode 0600); default: stdout.")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (audit trail).")] = "export for a mailing tool",
) -> None:
    """Subscribers to mail now, as CSV (email, language, confirmed_at), for a mailing tool.

    Only confirmed subscribers whose consent is in force and who are not suppressed. Audited."""
    if format != "csv":
        raise fail("the only export format is csv")

    def run(out: TextIO) -> int:
        return with_core(
            lambda core: newsletter_admin.export_csv(core, out, operator=operator_name(), reason=reason)
        )

    if output is None:
        rows = run(sys.stdout)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.touch(mode=0o600, exist_ok=True)
        output.chmod(0o600)
        with output.open("w", encoding="utf-8", newline="") as out:
            rows = run(out)
    err_console.print(f"exported {rows} subscriber(s)" + (f" to {output}" if output else ""))


@command(newsletter, "stats")
def stats() -> None:
    """Subscriptions per channel and state, suppressions, newsletter mails, recent sends."""
    result = with_core(newsletter_admin.stats)
    channels = sorted({channel for channel, _ in result.subscriptions})
    states = [s.value for s in NewsletterState]
    table = Table("channel", *states, title="subscriptions", title_justify="left")
    for channel in channels:
        table.add_row(channel, *(str(result.subscriptions.get((channel, s), 0)) for s in states))
    console.print(table)
    console.print(f"suppressed addresses: {result.suppressed}")
    console.print(
        "newsletter mails: " + (", ".join(f"{k} {v}" for k, v in sorted(result.messages.items())) or "none")
    )
    if result.sends:
        sends = Table(
            "send", "started", "finished", "subject", "queued", "skipped", "by", title="recent sends"
        )
        for send in result.sends:
            sends.add_row(
                str(send.id),
                _when(send.created_at),
                _when(send.finished_at),
                send.subject,
                str(send.queued),
                str(send.skipped),
                send.operator,
            )
        console.print(sends)


@command(newsletter, "send")
def send(
    template: Annotated[
        Path,
        typer.Argument(help="A directory with nl.txt and en.txt (optional nl.html, en.html) or one file."),
    ],
    subject: Annotated[
        str | None, typer.Option("--subject", help="The e-mail subject (Dutch, or all).")
    ] = None,
    subject_en: Annotated[str | None, typer.Option("--subject-en", help="The English subject.")] = None,
    rate: Annotated[
        float | None, typer.Option("--rate", help=f"Messages per second (default {DEFAULT_RATE:g}).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count; queue nothing.")] = False,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Continue an interrupted send (its id).")
    ] = None,
) -> None:
    """Send an issue: render TEMPLATE for every subscriber and queue it at --rate.

    Suppressed and withdrawn subscribers are skipped, also if they leave while the send
    runs; --resume never sends anyone the same issue twice."""
    loaded = newsletter_sending.load_template(template)
    if resume is not None and dry_run:
        raise fail("--dry-run starts nothing to resume; leave out --resume")
    if resume is None and subject is None:
        raise fail("--subject is required")

    with _progress(err_console) as bar:
        task = bar.add_task("queueing" if not dry_run else "checking", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        async def call(core: Core) -> newsletter_sending.SendReport:
            if resume is not None:
                return await newsletter_sending.run(
                    core, _send_id(resume), loaded, rate=rate, progress=progress
                )
            lines = newsletter_sending.subject_lines(subject or "", subject_en)
            if dry_run:
                return await newsletter_sending.dry_run(core, loaded, subjects=lines, progress=progress)
            send_id = await newsletter_sending.start(
                core,
                loaded,
                subjects=lines,
                rate=DEFAULT_RATE if rate is None else rate,
                operator=operator_name(),
            )
            err_console.print(f"send {send_id} recorded (resume with --resume {send_id})")
            return await newsletter_sending.run(core, send_id, loaded, progress=progress)

        report = with_core(call)

    title = "dry run: nothing queued" if report.dry_run else f"send {report.send_id}"
    table = Table("", "subscribers", title=title, title_justify="left")
    table.add_row("would be queued" if report.dry_run else "queued", str(report.queued))
    if not report.dry_run:
        table.add_row("already queued earlier (resume)", str(report.already_queued))
    table.add_row("skipped: suppressed", str(report.skipped_suppressed))
    table.add_row("skipped: consent withdrawn", str(report.skipped_withdrawn))
    table.add_row("skipped: address gone or unreachable", str(report.skipped_unreachable))
    for language, count in sorted(report.languages.items()):
        table.add_row(f"  in {language}", str(count))
    console.print(table)
    if report.last_due is not None:
        console.print(f"delivery spread until {report.last_due.strftime('%Y-%m-%d %H:%M:%S')} UTC")


def _send_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise InvalidInput("that is not a send id (see intake newsletter stats)") from None
