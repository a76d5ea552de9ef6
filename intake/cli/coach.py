"""``intake coach add|list|deactivate|offers``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from intake.cli import app, command, console
from intake.cli.context import with_core
from intake.services import coaches
from intake.topics import TOPICS

coach = typer.Typer(help="Coaches who receive anonymised requests.", no_args_is_help=True)
app.add_typer(coach, name="coach")


@command(coach, "add")
def add(
    name: Annotated[str, typer.Option("--name", help="Name shown to candidates.")],
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help=f"Topic covered (repeat); one of: {', '.join(TOPICS)}."),
    ] = None,
    language: Annotated[list[str] | None, typer.Option("--language", help="nl or en (repeat).")] = None,
    telegram_id: Annotated[
        int | None, typer.Option("--telegram-id", help="The coach's Telegram user id.")
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="For coaches who work by e-mail.")] = None,
    intro: Annotated[
        str, typer.Option("--intro", help="Short introduction shown to a matched candidate.")
    ] = "",
    capacity: Annotated[int, typer.Option("--capacity", help="New candidates per 30 days.")] = 5,
) -> None:
    """Register a coach (Telegram user id or e-mail address)."""
    view = with_core(
        lambda core: coaches.add(
            core,
            display_name=name,
            intro=intro,
            topic_codes=topic or (),
            languages=language or ("nl",),
            telegram_user_id=telegram_id,
            email=email,
            capacity=capacity,
        )
    )
    console.print(f"added coach [bold]{view.code}[/] ({view.display_name}, via {view.channel})")


@command(coach, "list")
def list_coaches(
    active: Annotated[bool, typer.Option("--active", help="Only active coaches.")] = False,
) -> None:
    """List coaches."""
    views = with_core(lambda core: coaches.list_all(core, active_only=active))
    table = Table("code", "name", "topics", "languages", "channel", "capacity", "active")
    for v in views:
        table.add_row(
            v.code,
            v.display_name,
            ", ".join(v.topics) or "all",
            ", ".join(v.languages) or "all",
            v.channel,
            str(v.capacity),
            "yes" if v.active else "no",
        )
    console.print(table)


@command(coach, "deactivate")
def deactivate(
    key: Annotated[str, typer.Argument(help="Coach code (C-...), Telegram id or e-mail.")],
) -> None:
    """Stop offering requests to a coach; their open offers are withdrawn."""
    view, withdrawn = with_core(lambda core: coaches.deactivate(core, key))
    console.print(f"deactivated {view.code} ({view.display_name}); {withdrawn} open offer(s) withdrawn")
