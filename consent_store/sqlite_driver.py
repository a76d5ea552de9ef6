"""SQLAlchemy's aiosqlite adapter, with one trip to the SQLite thread per statement.

aiosqlite runs every call on the connection's own thread, and SQLAlchemy's adapter makes
four such calls per statement (new cursor, execute, fetch, close), each a hand-over to that
thread and back through the event loop. Under load that hand-over, not SQLite, is what a
transaction waits for, and on SQLite a transaction holds the one write lock meanwhile.
Here a statement is one call: the thread executes it, fetches all rows and closes the
cursor. A commit or rollback outside a transaction (which SQLite would ignore anyway) is
not sent at all.

Nothing else changes: the same connection, the same SQL, in the same order, so WAL,
``synchronous=FULL`` and ``BEGIN IMMEDIATE`` mean exactly what they meant. It relies on
aiosqlite's ``Connection._execute`` and ``_conn`` (as SQLAlchemy's own adapter relies on
``_tx`` and ``_conn``); both are pinned in constraints.txt.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

T = TypeVar("T")


def _run(connection: sqlite3.Connection, operation: Any, parameters: Any, many: bool) -> tuple[Any, ...]:
    """On the SQLite thread: the whole statement, results included."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid, connection.in_transaction
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: OneTripConnection) -> None:  # no cursor on the thread
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # nothing open on the thread

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._statement(operation, parameters, False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._statement(operation, seq_of_parameters, True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _statement(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapt._execute_mutex:
            connection = self._connection
            try:
                result = await connection._execute(_run, connection._conn, operation, parameters, many)
            finally:
                adapt._in_transaction = True  # until the thread tells otherwise
            self._description, rows, self._rowcount, self._lastrowid, adapt._in_transaction = result
            self._rows = collections.deque(rows) if rows else collections.deque()

    def nextset(self) -> None:
        return None  # sqlite3 has one result set per statement


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_in_transaction",)

    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self._in_transaction = True  # not known yet

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # streamed results keep aiosqlite's own cursor
            self._in_transaction = True
        return super().cursor(server_side)

    def commit(self) -> None:
        if self._in_transaction:
            super().commit()
            self._in_transaction = False

    def rollback(self) -> None:
        if self._in_transaction:
            super().rollback()
            self._in_transaction = False

    def create_function(self, *args: Any, **kw: Any) -> None:
        self._in_transaction = True
        super().create_function(*args, **kw)

    @property  # type: ignore[override]
    def isolation_level(self) -> str | None:
        return AsyncAdapt_aiosqlite_connection.isolation_level.fget(self)  # type: ignore[attr-defined]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._in_transaction = True
        AsyncAdapt_aiosqlite_connection.isolation_level.fset(self, value)  # type: ignore[attr-defined]


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDbapi:
    """Pass as ``module=`` to ``create_async_engine`` for a ``sqlite+aiosqlite`` URL."""
    return OneTripDbapi(aiosqlite, sqlite3)


async def run_on_thread(connection: AsyncConnection, function: Callable[[sqlite3.Connection], T]) -> T:
    """``function(sqlite3 connection)`` on the connection's SQLite thread, in one trip: for a
    hot path that does a whole transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``) at once.
    ``connection`` must come from an engine made with ``dbapi()``."""
    raw = await connection.get_raw_connection()
    adapted = raw.dbapi_connection
    if not isinstance(adapted, OneTripConnection):
        raise TypeError("not a connection of the one-trip SQLite driver")
    driver = adapted._connection

    def call(sqlite: sqlite3.Connection) -> tuple[T, bool]:
        return function(sqlite), sqlite.in_transaction

    async with adapted._execute_mutex:
        adapted._in_transaction = True  # until the thread tells otherwise
        result, adapted._in_transaction = await driver._execute(call, driver._conn)
    return result
