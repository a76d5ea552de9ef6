"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from consent_store import sqlite_driver

SQLITE_BUSY_TIMEOUT_SECONDS = 30
READER_POOL_SIZE = 16


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, ``synchronous=FULL``, foreign keys and
    ``BEGIN IMMEDIATE`` so that every unit of work holds the write lock from its start
    (SQLite has one writer; taking the lock late would turn races into errors)."""
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)  # error messages would quote the stored values
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        if parsed.get_driver_name() == "aiosqlite":
            kwargs.setdefault("module", sqlite_driver.dbapi())
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_reader_engine(writer: AsyncEngine) -> AsyncEngine | None:
    """For a SQLite file: a second engine whose transactions only read (``PRAGMA query_only``)
    and begin DEFERRED, so that they neither wait for nor hold up the one writer (in WAL
    mode a reader sees the last committed state). Disposing ``writer`` disposes it too.
    None where that makes no difference (PostgreSQL) or is impossible (in-memory)."""
    url = writer.url
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") and "mode=memory" in database:
        return None
    # Connections beyond the pool size are opened and closed per use (a thread, a file
    # handle and the pragmas each time): keep enough for the bot's concurrent updates.
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        "pool_size": READER_POOL_SIZE,
        "hide_parameters": True,
    }
    if url.get_driver_name() == "aiosqlite":
        kwargs["module"] = sqlite_driver.dbapi()
    engine = create_async_engine(url, **kwargs)
    _configure_sqlite(engine, read_only=True)

    @event.listens_for(writer.sync_engine, "engine_disposed")
    def _on_dispose(_engine: Any) -> None:
        # Runs inside the writer's (async) dispose: closes the readers' connections too,
        # e.g. before the database file is copied or replaced.
        engine.sync_engine.dispose()

    return engine


def _configure_sqlite(engine: AsyncEngine, *, read_only: bool = False) -> None:
    pragmas = (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}",
    )
    if read_only:  # journal_mode is a property of the file, set by the writer
        pragmas = (*pragmas[2:], "PRAGMA query_only=ON")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"
