"""Logging failures without personal data: the exception's type and where it happened, never
its message (a database error's message can carry the values of the statement)."""

from __future__ import annotations

import logging
import traceback


def failure(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    where = " <- ".join(f"{f.name} ({f.filename.rsplit('/', 1)[-1]}:{f.lineno})" for f in reversed(frames))
    return f"{type(exc).__name__} at {where}" if where else type(exc).__name__


class _Withheld(logging.Filter):
    """For a library's logger that writes what people send (aiosmtpd's ``mail.log`` logs every
    command line, envelope addresses and peers' IP addresses): drop its routine records; keep
    warnings and errors, as their level, type and place only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        record.msg = "%s (details withheld: they can name people)"
        record.args = (failure(exc) if exc else "problem reported",)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def withhold(logger_name: str) -> None:
    """Install ``_Withheld`` on that logger (once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, _Withheld) for f in logger.filters):
        logger.addFilter(_Withheld())
