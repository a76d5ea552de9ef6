"""The candidate's own commands: consents, unsubscribe, access, erasure, language, cancel;
and per-user throttling."""

from __future__ import annotations

import json

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from consent_store.enums import ConsentAction, Purpose, RequestState
from consent_store.models import BotState, ConsentEvent, IntakeRequest, Subject
from intake import contacts
from intake.services import subjects
from tests.e2e.telegram import flow

EMAIL = "yara@example.org"
TEXT = "Ik wil leren beter nee te zeggen tegen extra projecten."


async def _submitted(stub, user, **kwargs) -> str:  # type: ignore[no-untyped-def]
    return await flow.complete(
        stub, user, text=TEXT, email=EMAIL, topic="Leidinggeven en samenwerken", special=False, **kwargs
    )


async def test_consents_are_listed_and_withdrawn_with_one_press(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    user = stub.user(7601, "Yara")
    reference = await _submitted(stub, user)

    (listing,) = await user.say("/toestemming")
    assert "Je contactgegevens aan één coach doorgeven: gegeven op" in listing.params["text"]
    buttons = [b["text"] for b in user.message(listing).buttons()]
    assert buttons == ["Trek in: contactgegevens doorgeven"]

    mark = stub.mark()
    await user.press(user.message(listing), "Trek in: contactgegevens doorgeven", replies=1)
    (done,) = [
        c for c in user.calls()[-3:] if c.method == "sendMessage" and "ingetrokken" in c.params["text"]
    ]
    assert done.params["text"] == (
        "Je toestemming voor je contactgegevens doorgeven is ingetrokken.\n"
        f"Daardoor is ook ingetrokken: {reference}."
    )
    await stub.wait_for(  # the service's own notice, through the outbox
        lambda c: (
            c.chat_id == user.id and "is ingetrokken, omdat je je toestemming" in c.params.get("text", "")
        ),
        since=mark,
    )
    async with service.core.uow() as uow:
        request = await uow.session.scalar(select(IntakeRequest))
        withdrawal = await uow.session.scalar(
            select(ConsentEvent).where(ConsentEvent.action == ConsentAction.WITHDRAWN)
        )
    assert request.state is RequestState.WITHDRAWN and request.original_ciphertext is None
    assert withdrawal.purpose is Purpose.CONTACT_HANDOVER and withdrawal.evidence.startswith(
        "telegram update "
    )

    (again,) = await user.say("/consent")  # the English name works too
    assert "ingetrokken op" in again.params["text"] and not user.message(again).buttons()


async def test_my_data_shows_everything_and_delete_erases_it(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    user = stub.user(7602, "Yara")
    reference = await _submitted(stub, user, newsletter=True)

    summary, document = await user.say("/mijngegevens", replies=2)
    text = summary.params["text"]
    assert f"- E-mail: {EMAIL}" in text and f"- Telegram: {user.id}" in text
    assert f"- {reference} (open, wacht op een coach)" in text
    assert "Contactgegevens doorgeven: gegeven op" in text
    assert document.method == "sendDocument" and document.params["caption"] == "Al je gegevens (JSON)"
    (exported,) = document.files.values()
    report = json.loads(exported)
    assert report["requests"][0]["text_as_written"] == TEXT
    assert {c["purpose"] for c in report["consents"]} == {"contact_handover"}
    assert report["newsletter"][0]["state"] == "pending"  # e-mail opt-in waits for the confirmation link

    (unsubscribed,) = await user.say("/afmelden")
    assert unsubscribed.params["text"].startswith("Je bent afgemeld voor de nieuwsbrief.")

    (ask,) = await user.say("/verwijderen")
    assert ask.params["text"].startswith("Weet je het zeker?")
    kept = await user.press(user.message(ask), "Nee, toch niet")
    assert kept.alert == "Oké, er is niets veranderd."
    (ask,) = await user.say("/delete")
    erased = await user.press(user.message(ask), "Ja, verwijder alles", replies=1)
    assert erased.sent[0].params["text"].startswith("Klaar: je gegevens zijn verwijderd.")

    async with service.core.uow() as uow:
        assert (await uow.session.scalars(select(Subject))).all() == []
        assert (await uow.session.scalars(select(BotState))).all() == []
    assert await subjects.lookup(service.core, contacts.telegram(user.id)) is None
    (nothing,) = await user.say("/mijngegevens")
    assert nothing.params["text"] == "We bewaren geen gegevens van je."


async def test_language_can_be_changed(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    user = stub.user(7603, "Chris", language_code="nl")
    await _submitted(stub, user)
    (choose,) = await user.say("/language")
    chosen = await user.press(user.message(choose), "English", replies=1)
    assert chosen.sent[0].params["text"] == "From now on I will talk to you in English."
    (helped,) = await user.say("/help")
    assert helped.params["text"].startswith("In this chat you can ask a coach for help.")
    found = await subjects.lookup(service.core, contacts.telegram(user.id))
    assert found is not None and found.locale == "en"  # messages from the service follow
    storage = service.adapter("telegram").storage  # type: ignore[attr-defined]
    data = await storage.get_data(StorageKey(bot_id=stub.bot_id, chat_id=user.id, user_id=user.id))
    assert data["lang"] == "en"


async def test_cancel_forgets_the_draft(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    user = stub.user(7604, "Dani")
    await flow.to_question(user, topic="Loopbaan en carrièreswitch", special=False)
    await flow.preview(user, TEXT)
    (cancelled,) = await user.say("/annuleren")
    assert cancelled.params["text"].startswith("Gestopt. We hebben niets verstuurd")
    storage = service.adapter("telegram").storage  # type: ignore[attr-defined]
    key = StorageKey(bot_id=stub.bot_id, chat_id=user.id, user_id=user.id)
    assert await storage.get_state(key) is None and "text" not in await storage.get_data(key)
    (hint,) = await user.say("hallo?")
    assert hint.params["text"].startswith("Wil je een coach om hulp vragen? Begin met /start.")


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_a_burst_is_throttled_per_user(stub, start_service, store, request) -> None:  # type: ignore[no-untyped-def]
    shared = {"redis_url": request.getfixturevalue("redis_url")} if store == "redis" else {}
    await start_service(telegram_throttle_burst=3, telegram_throttle_rate=0.01, **shared)
    eager, calm = stub.user(7605, "Eager"), stub.user(7606, "Calm")
    mark = stub.mark()
    await stub.push_updates([eager.text_update("/help") for _ in range(6)])
    replies = await eager.replies(mark, 4)
    texts = [c.params["text"] for c in replies]
    assert sum(t.startswith("Via deze chat vraag je een coach") for t in texts) == 3
    assert texts.count("Je stuurt veel berichten kort na elkaar. Wacht even en probeer het dan opnieuw.") == 1
    (other,) = await calm.say("/help")  # someone else is not affected
    assert other.params["text"].startswith("Via deze chat vraag je een coach")
    assert len([c for c in stub.calls[mark:] if c.chat_id == eager.id]) == 4  # the rest: silence
    if shared:  # counted where every instance counts
        from redis.asyncio import Redis

        async with Redis.from_url(shared["redis_url"]) as redis:
            assert await redis.keys("intake:throttle:*")


async def test_nothing_is_discussed_in_a_group(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    await start_service()
    user = stub.user(7607, "Groupie")
    update = user.text_update("/start")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Team"}
    stub.chats[-100123] = stub.chats[user.id].__class__(-100123, "Team", None, None, None, started=True)
    mark = stub.mark()
    await stub.push_update(update)
    (reply,) = await stub.wait_for(lambda c: c.method == "sendMessage", since=mark)
    assert reply.chat_id == -100123
    assert reply.params["text"].startswith("Ik praat alleen in een privégesprek over hulpvragen.")
