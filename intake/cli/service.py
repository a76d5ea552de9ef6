"""``intake run``, ``intake db upgrade``, ``intake keys generate``."""

from __future__ import annotations

import asyncio
import logging

import typer

from consent_store.migrate import pending, upgrade
from intake.cli import app, command, console, fail
from intake.cli.context import settings, with_core
from intake.core import Core
from intake.settings import generate_key

db = typer.Typer(help="Database schema.", no_args_is_help=True)
keys = typer.Typer(help="Keys for INTAKE_SECRET_KEY and INTAKE_MASTER_KEY.", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(keys, name="keys")


@command(app, "run")
def run() -> None:
    """Start the service: web, SMTP, the bot (when a token is set), the outbox and retention."""
    from intake.runner import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    loaded = settings()
    try:
        asyncio.run(serve(loaded, console))
    except OSError as exc:  # typically: address already in use
        raise fail(f"cannot start: {exc.strerror or exc}") from None


@command(db, "upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""

    async def call(core: Core) -> list[str]:
        missing = await pending(core.engine)
        await upgrade(core.engine)
        return missing

    applied = with_core(call, migrate=False)
    console.print(f"applied: {', '.join(applied)}" if applied else "the database is up to date")


@command(db, "status")
def db_status() -> None:
    """Show migrations not yet applied."""

    async def call(core: Core) -> list[str]:
        return await pending(core.engine)

    missing = with_core(call, migrate=False)
    console.print(f"pending: {', '.join(missing)}" if missing else "the database is up to date")


@command(keys, "generate")
def keys_generate() -> None:
    """Print a new random key (32 bytes, base64) for INTAKE_SECRET_KEY or INTAKE_MASTER_KEY."""
    console.print(generate_key(), highlight=False)
