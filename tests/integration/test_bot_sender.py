"""Outbox delivery to Telegram through the real dispatcher and the Bot API stand-in:
buttons, flood limits, edits, long texts, unreachable people. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select

from bot.sender import TelegramSender
from consent_store.enums import Channel, ContactKind, OutboxState, Purpose
from consent_store.models import ContactPoint, Offer, OutboxMessage
from intake import contacts
from intake.services import matching, requests, subjects
from intake.services.dispatch import Dispatcher
from tests.support import scenario
from tests.support.telegram import BotApiStub


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    async with BotApiStub() as running:
        yield running


@pytest.fixture
async def dispatcher(core, stub: BotApiStub) -> AsyncIterator[Dispatcher]:  # type: ignore[no-untyped-def]
    bot = Bot(stub.token, session=AiohttpSession(api=TelegramAPIServer.from_base(stub.url)))
    yield Dispatcher(core, {Channel.TELEGRAM: TelegramSender(bot)})
    await bot.session.close()


async def _coach_chats(core, stub: BotApiStub, count: int, **kwargs) -> list[int]:  # type: ignore[no-untyped-def]
    views = await scenario.telegram_coaches(core, count, **kwargs)
    ids = []
    async with core.uow() as uow:
        for view in views:
            coach = await uow.coaches.get(view.id)
            ids.append(coach.telegram_user_id)
    for user_id in ids:
        stub.user(user_id, "Coach").chat.started = True
    return ids


async def _outbox(core) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    async with core.uow() as uow:
        return list((await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_flood_limit_is_honoured_and_nothing_is_sent_twice(core, clock, stub, dispatcher) -> None:  # type: ignore[no-untyped-def]
    chats = await _coach_chats(core, stub, 2)
    stub.flood("sendMessage", times=1, retry_after=7)
    await scenario.submitted(core, await scenario.candidate(core))

    first = await dispatcher.run_once()
    assert (first.sent, first.retried) == (1, 1)
    waiting = [
        m for m in await _outbox(core) if m.channel is Channel.TELEGRAM and m.state is OutboxState.PENDING
    ]
    assert [m.next_attempt_at - clock.now() for m in waiting] == [timedelta(seconds=7)]

    assert (await dispatcher.run_once()).handled == 0  # not before Telegram's retry_after
    clock.advance(timedelta(seconds=8))
    assert (await dispatcher.run_once()).sent == 1
    assert (await dispatcher.run_once()).handled == 0

    for chat in chats:
        sent = [c for c in stub.sent_to(chat) if c.method == "sendMessage"]
        assert len(sent) == 1
        markup = sent[0].params["reply_markup"]["inline_keyboard"]
        assert [b["text"] for row in markup for b in row] == ["Aannemen", "Niet voor mij"]
        assert all(b["callback_data"].startswith(("oa:", "od:")) for row in markup for b in row)
        assert "parse_mode" not in sent[0].params
    refs = {m.delivery_ref for m in await _outbox(core) if m.channel is Channel.TELEGRAM}
    assert all(ref and ref.split(":")[0].isdigit() for ref in refs)
    assert not any(str(chat) in ref for ref in refs for chat in chats)  # Telegram ids only encrypted


async def test_taken_offers_are_edited_in_place(core, stub, dispatcher) -> None:  # type: ignore[no-untyped-def]
    winner_chat, other_chat = await _coach_chats(core, stub, 2)
    submitted = await scenario.submitted(core, await scenario.candidate(core))
    await dispatcher.run_once()
    (offer_call,) = [c for c in stub.sent_to(other_chat) if c.method == "sendMessage"]

    async with core.uow() as uow:
        offers = (
            await uow.session.scalars(select(Offer).where(Offer.request_id == submitted.request_id))
        ).all()
        winner = await uow.coaches.by_telegram(winner_chat)
    mine = next(o for o in offers if o.coach_id == winner.id)
    await matching.accept(core, offer_id=mine.id, coach_id=winner.id)
    mark = stub.mark()
    await dispatcher.run_once()

    to_other = [c for c in stub.calls[mark:] if c.chat_id == other_chat]
    assert [c.method for c in to_other] == ["editMessageText"]
    assert int(to_other[0].params["message_id"]) == offer_call.result["message_id"]
    assert "door een andere coach aangenomen" in to_other[0].params["text"]
    assert stub.chats[other_chat].messages[offer_call.result["message_id"]].reply_markup is None
    to_winner = [c for c in stub.calls[mark:] if c.chat_id == winner_chat]
    assert [c.method for c in to_winner] == ["sendMessage"]  # "you accepted" is a new message


async def test_a_long_offer_is_split_with_the_buttons_on_the_last_part(core, stub, dispatcher) -> None:  # type: ignore[no-untyped-def]
    (chat,) = await _coach_chats(core, stub, 1)
    words = ("Ik zoek begeleiding bij het kiezen van een nieuwe richting in mijn loopbaan. " * 60)[:4000]
    await scenario.submitted(core, await scenario.candidate(core), text=words)
    await dispatcher.run_once()
    parts = [c for c in stub.sent_to(chat) if c.method == "sendMessage"]
    assert len(parts) == 2
    assert "reply_markup" not in parts[0].params and "reply_markup" in parts[1].params
    assert all(len(c.params["text"]) <= 4096 for c in parts)
    joined = " ".join(c.params["text"] for c in parts)
    assert words.strip().split()[-1] in joined


async def _telegram_candidate(core, user_id: int) -> None:  # type: ignore[no-untyped-def]
    ref = await subjects.identify(core, contacts.telegram(user_id), locale="nl")
    await scenario.grant(core, ref.id, Purpose.CONTACT_HANDOVER)
    point = await subjects.add_contact_detail(core, ref.id, contacts.telegram(user_id))
    await requests.submit_new(
        core,
        subject_id=ref.id,
        channel=Channel.TELEGRAM,
        topic="career",
        text="Ik zoek werk.",
        contact_point_id=point,
    )


@pytest.mark.parametrize("how", ["never_started", "blocked"])
async def test_people_who_cannot_be_reached_are_marked_unreachable(core, stub, dispatcher, how) -> None:  # type: ignore[no-untyped-def]
    user = stub.user(8101, "Gone")
    if how == "blocked":
        user.chat.started = True
        user.block()
    await _telegram_candidate(core, user.id)
    stats = await dispatcher.run_once()
    assert stats.failed == 1 and stats.errors == {"recipient_unreachable": 1}
    (row,) = [m for m in await _outbox(core) if m.channel is Channel.TELEGRAM]
    assert row.state is OutboxState.FAILED and row.attempts == 1
    async with core.uow() as uow:
        point = await uow.session.scalar(
            select(ContactPoint).where(ContactPoint.kind == ContactKind.TELEGRAM)
        )
    assert point.unreachable
    assert (await dispatcher.run_once()).handled == 0  # never tried again


async def test_an_unreachable_api_is_a_temporary_failure(core, stub) -> None:  # type: ignore[no-untyped-def]
    user = stub.user(8102, "Later")
    user.chat.started = True
    await _telegram_candidate(core, user.id)
    bot = Bot(stub.token, session=AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:9")))
    try:
        stats = await Dispatcher(core, {Channel.TELEGRAM: TelegramSender(bot)}).run_once()
    finally:
        await bot.session.close()
    assert stats.retried == 1 and stats.errors == {"delivery_temporary": 1}
