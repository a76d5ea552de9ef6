"""Serialising use cases about the same key (a sender, a contact detail) across processes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from consent_store import dialects


async def serialise(session: AsyncSession, keys: Iterable[str]) -> None:
    """Hold a lock on each of ``keys`` (hex digests) until the transaction ends, so that use
    cases about the same key run one after the other. Taken in sorted order, so two
    transactions cannot deadlock. SQLite already runs one writer at a time."""
    ordered = sorted({int(key[:15], 16) for key in keys})
    if ordered and dialects.on_postgres(session):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
            {"keys": ordered},  # taken in array order
        )
