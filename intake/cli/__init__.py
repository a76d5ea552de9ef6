"""The operator CLI ``intake``.

Each submodule adds its commands with :func:`command`. Expected errors (``IntakeError``)
become a one-line message on stderr and exit code 1; nobody sees a traceback for bad input.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from intake.errors import IntakeError

err_console = Console(stderr=True)
console = Console()

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Operate the intake service: run it, manage coaches, prove consent, answer data-subject requests.",
)


@app.callback()
def _root() -> None:
    """Operate the intake service: run it, manage coaches, prove consent, answer data-subject requests."""


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def command(target: typer.Typer = app, *args: Any, **kwargs: Any) -> Callable[[F], F]:
    """``target.command(...)`` that turns ``IntakeError`` into a message and exit code 1."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*a: Any, **k: Any) -> Any:
            try:
                return func(*a, **k)
            except IntakeError as exc:
                raise fail(exc.message) from None

        target.command(*args, **kwargs)(wrapper)
        return func

    return decorate


def main() -> None:
    app()


from intake.cli import commands  # noqa: E402,F401 - registers every command
