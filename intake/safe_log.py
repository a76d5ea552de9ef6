"""Logging failures without personal data: the exception's type and where it happened, never
its message (a database error's message can carry the values of the statement)."""

from __future__ import annotations

import traceback


def failure(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    where = " <- ".join(f"{f.name} ({f.filename.rsplit('/', 1)[-1]}:{f.lineno})" for f in reversed(frames))
    return f"{type(exc).__name__} at {where}" if where else type(exc).__name__
