"""Running a service call from a CLI command: settings, Core, migrations, clear errors."""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError

from intake.core import Core
from intake.errors import ConfigurationError, IntakeError
from intake.settings import Settings, load_settings

T = TypeVar("T")


class DatabaseUnavailable(IntakeError):
    """The database cannot be reached."""

    code = "database_unavailable"


def operator_name() -> str:
    """Who is at the keyboard, for the audit trail."""
    name = os.environ.get("INTAKE_OPERATOR")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def settings() -> Settings:
    try:
        loaded = load_settings()
        loaded.check()
    except ValueError as exc:  # pydantic validation of INTAKE_* values
        raise ConfigurationError(f"invalid settings: {exc}") from None
    return loaded


def with_core(call: Callable[[Core], Awaitable[T]], *, migrate: bool = True) -> T:
    async def main() -> T:
        from intake.runner import prepare_database

        core = Core(settings())
        try:
            if migrate:
                await prepare_database(core)
            return await call(core)
        except (OperationalError, SAInterfaceError, DBAPIError, OSError) as exc:
            raise DatabaseUnavailable(
                f"database error ({type(exc.__cause__ or exc).__name__}); is it running?"
            ) from None
        finally:
            await core.close()

    return asyncio.run(main())
