"""The database-backed conversation storage and the sealed drafts, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from bot.states import Intake
from bot.storage import DatabaseStorage, LocalIsolation
from consent_store.enums import Actor, Channel
from consent_store.models import BotState
from intake import contacts
from intake.services import drafts, privacy, requests, subjects
from tests.support import scenario

KEY = StorageKey(bot_id=42, chat_id=123456789, user_id=123456789)
OTHER = StorageKey(bot_id=42, chat_id=987654321, user_id=987654321)


async def _rows(core) -> list[BotState]:  # type: ignore[no-untyped-def]
    async with core.uow() as uow:
        return list((await uow.session.scalars(select(BotState))).all())


async def test_state_and_data_round_trip_under_a_hashed_key_encrypted(core) -> None:  # type: ignore[no-untyped-def]
    storage = DatabaseStorage(core, ttl=timedelta(hours=1))
    await storage.set_state(KEY, Intake.topic)
    await storage.set_data(KEY, {"topic": "career", "lang": "en"})
    assert await storage.get_state(KEY) == "Intake:topic"
    assert await storage.get_data(KEY) == {"topic": "career", "lang": "en"}
    assert await storage.get_state(OTHER) is None and await storage.get_data(OTHER) == {}

    await storage.set_state_and_data(KEY, Intake.preview, {"text": "sealed"})
    assert (await storage.get_state(KEY), await storage.get_data(KEY)) == (
        "Intake:preview",
        {"text": "sealed"},
    )

    (row,) = await _rows(core)
    assert str(KEY.user_id) not in row.key and len(row.key) == 64
    assert b"sealed" not in row.data and b"text" not in row.data


async def test_an_idle_conversation_expires_and_does_not_come_back(core, clock) -> None:  # type: ignore[no-untyped-def]
    storage = DatabaseStorage(core, ttl=timedelta(hours=2))
    await storage.set_state_and_data(KEY, Intake.preview, {"text": "sealed", "topic": "career"})
    await storage.set_state(OTHER, Intake.topic)
    clock.advance(timedelta(hours=1))
    await storage.set_state(OTHER, Intake.text)  # OTHER stays active
    clock.advance(timedelta(hours=1, minutes=30))

    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}
    await storage.set_state(KEY, Intake.text)  # a new step after expiry starts from nothing
    assert await storage.get_data(KEY) == {}
    assert await storage.get_state(OTHER) == "Intake:text"

    clock.advance(timedelta(hours=3))
    assert await storage.purge() == 2
    assert await _rows(core) == []


async def test_an_empty_conversation_leaves_no_row(core) -> None:  # type: ignore[no-untyped-def]
    storage = DatabaseStorage(core, ttl=timedelta(hours=1))
    await storage.set_state_and_data(KEY, Intake.text, {"lang": "nl"})
    await storage.set_state(KEY, None)
    assert len(await _rows(core)) == 1  # the chosen language is still there
    await storage.set_data(KEY, {})
    assert await _rows(core) == []
    await storage.set_data(KEY, {"lang": "en"})
    await storage.forget(KEY)
    assert await _rows(core) == []


async def test_damaged_data_reads_as_a_fresh_start_rather_than_failing(core) -> None:  # type: ignore[no-untyped-def]
    storage = DatabaseStorage(core, ttl=timedelta(hours=1))
    await storage.set_state_and_data(KEY, Intake.text, {"lang": "en"})
    async with core.uow() as uow:
        row = await uow.session.scalar(select(BotState))
        row.data = row.data[:-1] + bytes([row.data[-1] ^ 1])
        await uow.commit()
    assert await storage.get_data(KEY) == {}
    assert await storage.get_state(KEY) == "Intake:text"


async def test_drafts_are_sealed_under_the_subject_key_and_die_with_it(core) -> None:  # type: ignore[no-untyped-def]
    ref = await subjects.identify(core, contacts.telegram(5550001), locale="nl")
    sealed = await drafts.seal(core, ref.id, "text", "Mijn vraag over werkdruk")
    assert "werkdruk" not in sealed
    assert await drafts.unseal(core, ref.id, "text", sealed) == "Mijn vraag over werkdruk"
    assert await drafts.unseal(core, ref.id, "contact", sealed) is None  # bound to its field
    assert await drafts.unseal(core, ref.id, "text", "not-base64!") is None

    await privacy.erase(core, subject_id=ref.id, actor=Actor.SUBJECT, channel=Channel.TELEGRAM, reason="test")
    assert await drafts.unseal(core, ref.id, "text", sealed) is None


async def test_local_isolation_orders_one_persons_updates_and_forgets_idle_locks() -> None:
    isolation = LocalIsolation()
    order: list[str] = []

    async def step(name: str, key: StorageKey, pause: float) -> None:
        async with isolation.lock(key):
            order.append(f"{name}+")
            await asyncio.sleep(pause)
            order.append(f"{name}-")

    await asyncio.gather(step("a1", KEY, 0.02), step("a2", KEY, 0), step("b", OTHER, 0))
    assert order.index("a1-") < order.index("a2+")  # the same person: one at a time
    assert order.index("b+") < order.index("a1-")  # someone else: not held up
    assert isolation._locks == {}


class _Renamed:
    """An anonymiser changed between the preview and the submission (e.g. a new model)."""

    def __init__(self, real: object) -> None:
        self.real = real

    def analyse(self, text: str, lang: str | None = None) -> object:
        analysis = self.real.analyse(text, lang)  # type: ignore[attr-defined]
        return replace(analysis, redacted="[ANDERS] " + analysis.redacted)


async def test_coaches_get_exactly_the_preview_the_candidate_saw(core) -> None:  # type: ignore[no-untyped-def]
    who = await scenario.candidate(core)
    text = "Ik ben Jan de Vries uit Zwolle en zoek een nieuwe baan als docent."
    shown = await requests.preview(core, subject_id=who.id, text=text, language="nl")
    sealed = await drafts.seal_question(core, who.id, text, shown)
    assert "Zwolle" not in sealed and "Vries" not in sealed

    core._anonymiser = _Renamed(core.anonymiser)
    question = await drafts.unseal_question(core, who.id, sealed)
    assert question is not None and question.text == text and question.preview == shown
    sent = await requests.submit_new(
        core,
        subject_id=who.id,
        channel=Channel.TELEGRAM,
        topic="career",
        text=question.text,
        contact_point_id=who.contact_id,
        shown=question.preview,
    )
    async with core.uow() as uow:
        request = await uow.requests.get(sent.request_id)
    assert request is not None
    assert request.anonymised_text == shown.anonymised
    assert "Zwolle" not in request.anonymised_text and "[ANDERS]" not in request.anonymised_text


async def test_a_draft_sealed_as_plain_text_is_analysed_again_when_sent(core) -> None:  # type: ignore[no-untyped-def]
    who = await scenario.candidate(core)
    sealed = await drafts.seal(core, who.id, drafts.QUESTION, "Ik zoek werk in Zwolle.")
    assert await drafts.unseal_question(core, who.id, sealed) == drafts.Question(
        "Ik zoek werk in Zwolle.", None
    )
    assert await drafts.unseal_question(core, who.id, "not-base64!") is None
