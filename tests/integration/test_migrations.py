"""Migrations apply from empty on both engines and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from consent_store.db import create_engine
from consent_store.migrate import pending, upgrade
from consent_store.models import Base
from tests.support import databases


async def _from_empty(url: str) -> None:
    engine = create_engine(url)
    try:
        assert await pending(engine)  # nothing applied yet
        await upgrade(engine)
        assert await pending(engine) == []
        await upgrade(engine)  # idempotent

        def check(connection: Connection) -> None:
            tables = set(inspect(connection).get_table_names())
            assert {t.name for t in Base.metadata.sorted_tables} <= tables
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
            )
            assert diff == [], diff

        async with engine.connect() as connection:
            await connection.run_sync(check)
            head = (await connection.execute(text("SELECT length, last_hash FROM ledger_head"))).one()
            assert head == (0, "0" * 64)
    finally:
        await engine.dispose()


async def test_sqlite_from_empty(tmp_path) -> None:  # type: ignore[no-untyped-def]
    await _from_empty(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")


async def test_postgresql_from_empty(postgres_database) -> None:  # type: ignore[no-untyped-def]
    import pytest

    base = databases.postgres_url()
    if base is None:
        pytest.skip("needs INTAKE_TEST_DATABASE_URL (CI sets it)")
    url = await databases.create_postgres_database(base)
    try:
        await _from_empty(url)
    finally:
        await databases.drop_postgres_database(base, url)
