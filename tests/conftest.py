"""Shared fixtures: real SQLite and PostgreSQL databases, settings with fresh keys, a Core."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consent_store.db import create_engine
from intake.clock import ManualClock
from intake.core import Core
from intake.settings import Settings, generate_key
from tests.support import databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(databases.migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template")))


@pytest.fixture(scope="session")
def postgres_database() -> AsyncIterator[str | None]:
    if not databases.postgres_url():
        if os.environ.get("CI"):
            raise RuntimeError(f"CI must run the PostgreSQL tests: set {databases.POSTGRES_URL_VAR}")
        yield None
        return
    url = asyncio.run(databases.create_migrated_postgres())
    try:
        yield url
    finally:
        asyncio.run(databases.drop_postgres_database(databases.postgres_url() or "", url))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database")
        if url is None:
            pytest.skip(f"PostgreSQL tests need {databases.POSTGRES_URL_VAR} (CI sets it)")
        return url
    return databases.clone_sqlite(sqlite_template, tmp_path / "intake.db")


@pytest.fixture
async def engine(db_url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(db_url)
    if engine.dialect.name == "postgresql":
        await databases.reset_postgres(engine)
    yield engine
    await engine.dispose()


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "var_dir": tmp_path / "var",
        "secret_key": generate_key(),
        "master_key": generate_key(),
        "public_url": "http://127.0.0.1:8080",
        "mail_domain": "intake.test",
        # Mail is processed in the test's own event loop (ManualClock, the workers' handlers);
        # tests of the worker processes ask for them.
        "mail_worker_processes": 0,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, database_url=db_url)


@pytest.fixture(scope="session")
def anonymiser():  # type: ignore[no-untyped-def]
    from tests.support.anonymiser import load

    return load()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def core(settings: Settings, engine, clock: ManualClock, anonymiser) -> AsyncIterator[Core]:  # type: ignore[no-untyped-def]
    core = Core(settings, engine=engine, clock=clock, anonymiser=anonymiser)
    yield core
