"""The composition of the core: settings, database, keys, texts, clock and anonymiser.

Adapters get one ``Core`` and call the service functions in ``intake.services`` with it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from consent_store.crypto import KeyRing
from consent_store.db import create_engine, create_reader_engine, is_sqlite, session_factory
from consent_store.unit_of_work import UnitOfWork, WriteLock
from intake.clock import Clock, SystemClock
from intake.links import Links
from intake.ports import AnonymiserPort
from intake.settings import Settings
from intake.texts import Texts
from intake.tokens import Tokens


class Core:
    def __init__(
        self,
        settings: Settings,
        *,
        engine: AsyncEngine | None = None,
        clock: Clock | None = None,
        anonymiser: AnonymiserPort | None = None,
    ) -> None:
        settings.check()
        self.settings = settings
        self.engine = engine or create_engine(settings.resolved_database_url)
        self._sessions = session_factory(self.engine)
        self._write_lock = WriteLock() if is_sqlite(self.engine) else None
        # SQLite: read-only units of work on their own connections (see ``reader``).
        self._reader_engine = create_reader_engine(self.engine) if self._write_lock else None
        self._read_sessions = session_factory(self._reader_engine) if self._reader_engine else None
        self.keyring = KeyRing(settings.master_key_bytes, settings.secret_key_bytes)
        self.clock: Clock = clock or SystemClock()
        self.tokens = Tokens(settings.secret_key_bytes, self.clock)
        self.links = Links(settings.public_url, self.tokens)
        self.texts = Texts(settings)
        self._anonymiser = anonymiser
        self.outbox_ready = asyncio.Event()  # set after a commit that queued messages

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions, self.keyring, self._write_lock)

    @property
    def read_engine(self) -> AsyncEngine:
        """Where ``reader`` units of work read (on SQLite not the engine that writes)."""
        return self._reader_engine or self.engine

    def reader(self) -> UnitOfWork:
        """A unit of work for use cases that only read. On SQLite it neither queues for the
        write lock nor holds it (a snapshot of the last committed state, WAL mode), and any
        write in it fails; elsewhere it is an ordinary unit of work."""
        if self._read_sessions is None:
            return self.uow()
        return UnitOfWork(self._read_sessions, self.keyring, None)

    @property
    def anonymiser(self) -> AnonymiserPort:
        if self._anonymiser is None:
            from anonymiser import Anonymiser

            self._anonymiser = Anonymiser.load(
                model_nl=self.settings.spacy_model_nl,
                model_en=self.settings.spacy_model_en,
                max_chars=self.settings.anonymiser_max_chars,
            )
        return self._anonymiser

    def wake_dispatcher(self) -> None:
        self.outbox_ready.set()

    async def close(self) -> None:
        if self._reader_engine is not None:
            await self._reader_engine.dispose()
        await self.engine.dispose()
