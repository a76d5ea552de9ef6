from __future__ import annotations

from intake import __version__
from intake.cli import command, console


@command()
def version() -> None:
    """Print the version."""
    console.print(__version__)
