"""Where conversations are kept between messages, so that they survive a restart.

By default in the database (table ``bot_states``): one row per chat and user under a keyed
hash (no Telegram id is stored), the data encrypted with the service key. With
``INTAKE_REDIS_URL`` set, aiogram's RedisStorage with the same hashed keys and Redis locks
that keep one person's updates in order across several instances.

Either way the draft text and contact details inside the data are sealed under the
subject's data key first (``intake.services.drafts``): neither store ever holds them plain.

On SQLite, writes are still write-through (``set_state`` returns once the row is
committed), but those arriving together are committed together: one transaction, one
trip to the SQLite thread and one sync for a whole batch (group commit), under the
same write lock as every other unit of work.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, KeyBuilder, StateType, StorageKey
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import create_async_engine

from consent_store import sqlite_driver
from consent_store.crypto import DecryptionFailed
from consent_store.db import session_factory
from consent_store.models import BotState
from intake.core import Core

# The SQLite fast path, written out: one row per key (see ``DatabaseStorage._write``).
_SELECT = "SELECT state, data FROM bot_states WHERE key = ? AND updated_at >= ?"
_KEEP = "CASE WHEN bot_states.updated_at < ? THEN NULL ELSE bot_states.{0} END"
_UPSERT = (
    "INSERT INTO bot_states (key, state, data, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at, state = {0}, data = {1}"
)
_UPSERTS = {
    written: _UPSERT.format(
        "excluded.state" if "state" in written else _KEEP.format("state"),
        "excluded.data" if "data" in written else _KEEP.format("data"),
    )
    for written in (("state",), ("data",), ("state", "data"))
}
_DELETE_EMPTY = "DELETE FROM bot_states WHERE key = ? AND state IS NULL AND data IS NULL"

_Write = tuple[str, tuple[Any, ...], bool, "asyncio.Future[None]"]  # SQL, parameters, delete, done


def _commit_batch(connection: Any, *, batch: list[_Write]) -> None:
    """On the SQLite thread: the batch in one transaction."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for sql, parameters, delete_if_empty, _ in batch:
            connection.execute(sql, parameters)
            if delete_if_empty:
                connection.execute(_DELETE_EMPTY, parameters[:1])
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


class BlindKeyBuilder(KeyBuilder):
    """Storage keys as keyed hashes of bot, chat, user (and thread/destiny)."""

    def __init__(self, core: Core, prefix: str = "intake:fsm") -> None:
        self._keyring = core.keyring
        self._prefix = prefix

    def digest(self, key: StorageKey) -> str:
        raw = ":".join(
            str(part or "")
            for part in (
                key.bot_id,
                key.business_connection_id,
                key.chat_id,
                key.thread_id,
                key.user_id,
                key.destiny,
            )
        )
        return self._keyring.blind_index("telegram-fsm", raw)

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        built = f"{self._prefix}:{self.digest(key)}"
        return f"{built}:{part}" if part else built


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class DatabaseStorage(BaseStorage):
    """aiogram FSM storage in the ``bot_states`` table; rows idle longer than ``ttl`` count as gone."""

    def __init__(self, core: Core, *, ttl: timedelta) -> None:
        self._core = core
        self._sessions = session_factory(core.engine)
        self._keys = BlindKeyBuilder(core)
        self._ttl = ttl
        self._dialect = core.engine.dialect.name
        # SQLite: our units of work take the write lock from their start (BEGIN IMMEDIATE).
        # Reading a conversation needs no lock: in WAL mode a plain connection reads the
        # last committed state without waiting for, or holding up, any writer.
        self._fast = self._dialect == "sqlite" and isinstance(
            core.engine.dialect.dbapi, sqlite_driver.OneTripDbapi
        )
        if self._fast:
            self._reader = core.read_engine
            updated_at = BotState.__table__.c.updated_at.type
            self._timestamp = updated_at.dialect_impl(core.engine.dialect).bind_processor(core.engine.dialect)
        elif self._dialect == "sqlite":
            self._reader = create_async_engine(core.engine.url, connect_args={"timeout": 30})
        else:
            self._reader = core.engine
        self._batch: list[_Write] = []  # SQLite: writes waiting for the next group commit
        self._committer: asyncio.Task[None] | None = None
        # The row read by get_state, for the get_data that follows in the same update
        # (both under the person's lock); any write drops it.
        self._just_read: dict[StorageKey, tuple[str | None, bytes | None]] = {}

    def _aad(self, digest: str) -> bytes:
        return f"bot-state:{digest}".encode()

    def _encrypt(self, digest: str, data: Mapping[str, Any]) -> bytes | None:
        if not data:
            return None
        raw = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":")).encode()
        return self._core.keyring.service.encrypt(raw, self._aad(digest))

    def _decrypt(self, digest: str, blob: bytes | None) -> dict[str, Any]:
        if not blob:
            return {}
        try:
            return dict(json.loads(self._core.keyring.service.decrypt(blob, self._aad(digest))))
        except DecryptionFailed:
            return {}  # another master key, or tampered with: start afresh rather than crash

    def _fresh_since(self) -> datetime:
        return self._core.clock.now() - self._ttl

    async def _row(self, key: StorageKey) -> tuple[str | None, bytes | None]:
        if self._fast:
            parameters = (self._keys.digest(key), self._timestamp(self._fresh_since()))
            async with self._reader.connect() as connection:
                row = await sqlite_driver.run_on_thread(
                    connection, lambda sqlite: sqlite.execute(_SELECT, parameters).fetchone()
                )
            return (row[0], row[1]) if row else (None, None)
        query = select(BotState.state, BotState.data).where(
            BotState.key == self._keys.digest(key), BotState.updated_at >= self._fresh_since()
        )
        async with self._reader.connect() as connection:
            row = (await connection.execute(query)).first()
        return (row[0], row[1]) if row else (None, None)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = self._just_read[key] = await self._row(key)
        return state

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, blob = self._just_read.pop(key, None) or await self._row(key)
        return self._decrypt(self._keys.digest(key), blob)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, {"state": _state_name(state)})

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        digest = self._keys.digest(key)
        await self._write(key, {"data": self._encrypt(digest, data)})

    async def set_state_and_data(self, key: StorageKey, state: StateType, data: Mapping[str, Any]) -> None:
        """Both in one statement (what the conversation does after nearly every step)."""
        digest = self._keys.digest(key)
        await self._write(key, {"state": _state_name(state), "data": self._encrypt(digest, data)})

    async def _write(self, key: StorageKey, values: dict[str, Any]) -> None:
        self._just_read.pop(key, None)
        digest = self._keys.digest(key)
        now = self._core.clock.now()
        if self._fast:
            await self._write_batched(digest, now, values)
            return
        expired = BotState.updated_at < self._fresh_since()
        # A column not written now is kept, unless the row had expired: an abandoned
        # conversation does not come back to life half-way.
        kept = {
            column: case((expired, None), else_=getattr(BotState, column))
            for column in ("state", "data")
            if column not in values
        }
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = insert(BotState).values(
            key=digest, updated_at=now, **{"state": None, "data": None, **values}
        )
        async with self._core.uow() as uow:  # queued with every other writer (SQLite has one)
            await uow.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["key"], set_={"updated_at": now, **values, **kept}
                )
            )
            if None in values.values():
                await uow.session.execute(
                    delete(BotState).where(
                        BotState.key == digest, BotState.state.is_(None), BotState.data.is_(None)
                    )
                )
            await uow.commit()

    async def _write_batched(self, digest: str, now: datetime, values: dict[str, Any]) -> None:
        """The same upsert as below, committed with whichever writes are waiting too."""
        written = tuple(column for column in ("state", "data") if column in values)
        stamp, expired = self._timestamp(now), self._timestamp(self._fresh_since())
        parameters: tuple[Any, ...] = (digest, values.get("state"), values.get("data"), stamp)
        parameters += (expired,) * (2 - len(written))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._batch.append((_UPSERTS[written], parameters, None in values.values(), done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_batches(), name="bot-state-commit")
        await done

    async def _commit_batches(self) -> None:
        while self._batch:
            batch, self._batch = self._batch, []
            try:
                async with self._core.uow():  # the write lock: in line with every other writer
                    async with self._core.engine.connect() as connection:
                        await sqlite_driver.run_on_thread(connection, partial(_commit_batch, batch=batch))
            except BaseException as error:
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    raise
            else:
                for *_, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def forget(self, key: StorageKey) -> None:
        self._just_read.pop(key, None)
        async with self._core.uow() as uow:
            await uow.session.execute(delete(BotState).where(BotState.key == self._keys.digest(key)))
            await uow.commit()

    async def purge(self) -> int:
        """Delete conversations idle longer than the TTL; returns how many."""
        async with self._core.uow() as uow:
            result = await uow.session.execute(
                delete(BotState).where(BotState.updated_at < self._fresh_since())
            )
            await uow.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def close(self) -> None:
        self._just_read.clear()
        if self._committer is not None:  # writes in flight: their callers wait for them anyway
            await asyncio.shield(self._committer)
        if self._reader is not self._core.engine and self._reader is not self._core.read_engine:
            await self._reader.dispose()


def create_storage(core: Core) -> tuple[BaseStorage, BaseEventIsolation]:
    """Redis when ``INTAKE_REDIS_URL`` is set (several instances), else the database."""
    ttl = timedelta(hours=core.settings.telegram_state_ttl_hours)
    if core.settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(
            core.settings.redis_url, key_builder=BlindKeyBuilder(core), state_ttl=ttl, data_ttl=ttl
        )
        return storage, storage.create_isolation()
    return DatabaseStorage(core, ttl=ttl), LocalIsolation()


class LocalIsolation(BaseEventIsolation):
    """One person's updates one at a time, within this process (enough for long polling).
    Unlike aiogram's SimpleEventIsolation, a lock is dropped once nobody waits for it."""

    def __init__(self) -> None:
        self._locks: dict[StorageKey, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def close(self) -> None:
        return None  # locks still held are released by their holders
