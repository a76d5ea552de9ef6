"""The composition of the core: settings, database, keys, texts, clock and anonymiser.

Adapters get one ``Core`` and call the service functions in ``intake.services`` with it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from consent_store.crypto import KeyRing
from consent_store.db import create_engine, is_sqlite, session_factory
from consent_store.unit_of_work import UnitOfWork, WriteLock
from intake.clock import Clock, SystemClock
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
        self.keyring = KeyRing(settings.master_key_bytes, settings.secret_key_bytes)
        self.clock: Clock = clock or SystemClock()
        self.tokens = Tokens(settings.secret_key_bytes, self.clock)
        self.texts = Texts(settings)
        self._anonymiser = anonymiser
        self.outbox_ready = asyncio.Event()  # set after a commit that queued messages

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions, self.keyring, self._write_lock)

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
        await self.engine.dispose()
