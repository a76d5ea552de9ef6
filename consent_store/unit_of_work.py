"""Unit of work: one transaction around one use case, with the repositories it needs.

Leaving the block without ``commit()`` rolls everything back. Callbacks registered with
``after_commit`` run only once the transaction is durable (e.g. waking the dispatcher).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import object_mapper

from consent_store import locks
from consent_store.crypto import Cipher, DecryptionFailed, KeyRing
from consent_store.ledger import Ledger
from consent_store.models import SubjectKey
from consent_store.repositories import (
    AuditRepository,
    CoachRepository,
    ContactRepository,
    HandoverRepository,
    NewsletterRepository,
    OfferRepository,
    OutboxRepository,
    RequestRepository,
    SubjectKeyRepository,
    SubjectRepository,
    SuppressionRepository,
)


def _by_table(rows: Sequence[object]) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Consecutive rows of one table, as column values; one list per set of columns given."""
    statements: list[tuple[Table, list[dict[str, Any]]]] = []
    run: dict[frozenset[str], list[dict[str, Any]]] = {}
    current: Table | None = None
    for row in rows:
        mapper = object_mapper(row)
        table = mapper.local_table
        if not isinstance(table, Table) or len(mapper.tables) != 1:
            raise TypeError(f"{type(row).__name__}: insert_all needs a model on one table")
        if table is not current:
            statements.extend((current, values) for values in run.values() if current is not None)
            current, run = table, {}
        state = row.__dict__
        values = {
            prop.columns[0].key: value
            for prop in mapper.column_attrs
            if (value := state.get(prop.key)) is not None
        }
        run.setdefault(frozenset(values), []).append(values)
    statements.extend((current, values) for values in run.values() if current is not None)
    return statements


class WriteLock:
    """Queues units of work in this process when the database has a single writer (SQLite).

    Without it, concurrent ``BEGIN IMMEDIATE`` calls wait in SQLite's sleeping busy handler;
    with it they wait in line. Other processes still meet SQLite's busy timeout. Nesting a
    unit of work inside another in the same task would deadlock, so it is refused.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None

    async def acquire(self) -> None:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            raise RuntimeError("nested unit of work: finish the outer one first")
        await self._lock.acquire()
        self._owner = task

    def release(self) -> None:
        self._owner = None
        self._lock.release()


class UnitOfWork:
    session: AsyncSession
    subjects: SubjectRepository
    subject_keys: SubjectKeyRepository
    contacts: ContactRepository
    ledger: Ledger
    coaches: CoachRepository
    requests: RequestRepository
    offers: OfferRepository
    handovers: HandoverRepository
    outbox: OutboxRepository
    audit: AuditRepository
    newsletter: NewsletterRepository
    suppressions: SuppressionRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keyring: KeyRing,
        write_lock: WriteLock | None = None,
    ) -> None:
        self._sessions = sessions
        self.keyring = keyring
        self._write_lock = write_lock
        self._after_commit: list[Callable[[], None]] = []
        self._ciphers: dict[uuid.UUID, Cipher] = {}

    async def __aenter__(self) -> Self:
        if self._write_lock is not None:
            await self._write_lock.acquire()
        self.session = self._sessions()
        self.subjects = SubjectRepository(self.session)
        self.subject_keys = SubjectKeyRepository(self.session)
        self.contacts = ContactRepository(self.session)
        self.ledger = Ledger(self.session, self.keyring.ledger_mac_key)
        self.coaches = CoachRepository(self.session)
        self.requests = RequestRepository(self.session)
        self.offers = OfferRepository(self.session)
        self.handovers = HandoverRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.newsletter = NewsletterRepository(self.session)
        self.suppressions = SuppressionRepository(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed and detaches loaded objects with
        # their state intact, so read-only use cases can return them.
        try:
            await self.session.close()
        finally:
            if self._write_lock is not None:
                self._write_lock.release()

    async def commit(self) -> None:
        await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def rollback(self) -> None:
        await self.session.rollback()
        self._after_commit.clear()

    async def serialise(self, *keys: str) -> None:
        """Run use cases about the same keys (hex digests) one after the other."""
        await locks.serialise(self.session, keys)

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    # Envelope keys -------------------------------------------------------------------

    def create_subject_key(self, subject_id: uuid.UUID) -> Cipher:
        self.session.add(self.new_subject_key(subject_id))
        return self._ciphers[subject_id]

    def new_subject_key(self, subject_id: uuid.UUID) -> SubjectKey:
        """A new data key for the subject, usable in this unit of work at once; the caller
        writes the row it returns (``create_subject_key`` adds it to the session)."""
        cipher, wrapped = self.keyring.new_data_key(str(subject_id))
        self._ciphers[subject_id] = cipher
        return SubjectKey(subject_id=subject_id, wrapped_key=wrapped)

    async def insert_all(self, rows: Sequence[object]) -> None:
        """Write new rows (model instances that are not in the session) with one INSERT per
        table, in the order given (referenced rows first), without tracking them: for batches,
        where the session's bookkeeping per object costs more than the statements.

        As ``bulk_save_objects`` would, but as Core statements on the tables (the ORM's bulk
        path still works per object): attributes left unset or None are left out, so the
        column defaults apply."""
        for table, values in _by_table(rows):
            await self.session.execute(insert(table), values)

    async def subject_cipher(self, subject_id: uuid.UUID) -> Cipher:
        """The subject's data key; ``DecryptionFailed`` once it has been destroyed."""
        if subject_id not in self._ciphers:
            wrapped = await self.subject_keys.wrapped(subject_id)
            if wrapped is None:
                raise DecryptionFailed("the data key of this subject no longer exists")
            self._ciphers[subject_id] = self.keyring.unwrap(wrapped, str(subject_id))
        return self._ciphers[subject_id]

    async def destroy_subject_key(self, subject_id: uuid.UUID) -> None:
        self._ciphers.pop(subject_id, None)
        await self.subject_keys.destroy(subject_id)
