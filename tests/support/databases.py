"""Real databases for tests: SQLite files cloned from a migrated template, and a throwaway
PostgreSQL database per test session (when INTAKE_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from consent_store.db import create_engine
from consent_store.ledger import GENESIS_HASH
from consent_store.migrate import upgrade
from consent_store.models import Base

POSTGRES_URL_VAR = "INTAKE_TEST_DATABASE_URL"


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VAR) or None


async def migrated_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await engine.dispose()
    return path


def clone_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database(base_url: str) -> str:
    """A new, empty database next to the one in ``base_url``; returns its URL."""
    name = f"intake_test_{os.getpid()}_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(_asyncpg_dsn(base_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    connection = await asyncpg.connect(_asyncpg_dsn(base_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def copy_postgres_database(url: str, target: str) -> None:
    """Replace database ``target`` by a copy of the one at ``url`` (a backup, or its restore).
    The source must have no open connections: ``CREATE DATABASE ... TEMPLATE`` needs that."""
    source = make_url(url).database
    connection = await asyncpg.connect(_asyncpg_dsn(postgres_url() or url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    finally:
        await connection.close()


async def reset_postgres(engine: AsyncEngine) -> None:
    """Empty every table between tests. The harness runs as superuser and may lift the
    append-only trigger for this; the application never can."""
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text("SET session_replication_role = replica"))
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await connection.execute(text("SET session_replication_role = DEFAULT"))
        await connection.execute(
            text("INSERT INTO ledger_head (id, length, last_hash, mac) VALUES (1, 0, :h, '')"),
            {"h": GENESIS_HASH},
        )


async def create_migrated_postgres(base: str | None = None) -> str:
    """A new database next to ``base`` (default: the test server's), migrated; its URL."""
    base = base or postgres_url()
    assert base, f"{POSTGRES_URL_VAR} is not set"
    url = await create_postgres_database(base)
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return url
