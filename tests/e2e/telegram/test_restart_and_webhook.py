"""A conversation survives a restart of the process (database storage, or Redis); the draft
is never stored in plain text; webhook mode accepts only Telegram's secret."""

from __future__ import annotations

import socket

import pytest
from aiohttp import ClientSession
from sqlalchemy import select

from consent_store.models import BotState, IntakeRequest
from tests.e2e.telegram import flow

TEXT = "Ik twijfel tussen een master en werken. Mijn naam is Fleur; mail fleur.devries@example.org."


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_a_conversation_survives_a_restart(stub, start_service, store, request) -> None:  # type: ignore[no-untyped-def]
    overrides = {}
    if store == "redis":
        overrides["redis_url"] = request.getfixturevalue("redis_url")
        from redis.asyncio import Redis

        redis = Redis.from_url(overrides["redis_url"])
        await redis.flushdb()
    service = await start_service(**overrides)
    user = stub.user(7401, "Fleur", last_name="de Vries")
    await flow.to_question(user, topic="Studie- en beroepskeuze", special=False)
    shown = await flow.preview(user, TEXT)
    assert "[E-MAIL-1]" in (shown.text or "")

    # What the store holds: hashed keys, no Telegram id, no draft text, no e-mail address.
    if store == "redis":
        keys = [k.decode() for k in await redis.keys("*")]
        assert keys and all(k.startswith(("intake:fsm:", "intake:throttle:")) for k in keys)
        assert not any(str(user.id) in k for k in keys)
        values = b"".join([await redis.get(k) or b"" for k in keys if k.endswith((":data", ":state"))])
        assert b"master" not in values and b"fleur" not in values.lower()
        await redis.aclose()
    else:
        async with service.core.uow() as uow:
            rows = (await uow.session.scalars(select(BotState))).all()
        assert len(rows) == 1 and rows[0].state == "Intake:preview"
        assert str(user.id) not in rows[0].key
        assert b"master" not in rows[0].data and b"fleur" not in rows[0].data.lower()

    await service.stop()
    mark = stub.mark()
    restarted = await start_service(**overrides)  # a new process: same database (or Redis), same chat

    sent = await user.press(shown, "Verstuur zo", replies=1)
    assert sent.sent[0].params["text"].startswith("Hoe mag de coach contact met je opnemen?")
    # Nothing from before the restart was handled twice.
    assert [c.params["text"][:30] for c in stub.calls[mark:] if c.method == "sendMessage"] == [
        sent.sent[0].params["text"][:30]
    ]
    newsletter_question = await flow.email_and_consent(
        user, user.message(sent.sent[0]), email="fleur@example.org"
    )
    mark = stub.mark()
    await user.press(newsletter_question, "Nee, dank je")
    await flow.receipt(stub, user, mark)
    async with restarted.core.uow() as uow:
        (saved,) = (await uow.session.scalars(select(IntakeRequest))).all()
    assert saved.topic == "study" and "[E-MAIL-1]" in saved.anonymised_text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_checks_the_secret_token(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    from bot.service import webhook_secret

    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    service = await start_service(telegram_webhook_url=url, telegram_webhook_port=port)
    assert stub.webhook is not None and stub.webhook["url"] == url
    assert stub.webhook["secret_token"] == webhook_secret(service.core)
    assert service.adapter("telegram").describe().startswith(f"webhook {url}")
    user = stub.user(7501, "Webb")

    update = user.text_update("/start")
    async with ClientSession() as client:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            update["update_id"] = 1
            async with client.post(url, json=update, headers=headers) as response:
                assert response.status == 401
    assert not [c for c in stub.calls if c.method == "sendMessage"]

    (welcome,) = await user.say("/start")  # the stand-in delivers it like Telegram, with the secret
    assert welcome.params["text"].startswith("Welkom bij")
    assert stub.webhook_responses == [200]
    assert not [c for c in stub.calls if c.method == "getUpdates"]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("123456789:AAWrongTokenThatTelegramRefuses_xyz", "Telegram refused INTAKE_TELEGRAM_TOKEN"),
        ("not a token", "does not look like a bot token"),
    ],
)
async def test_a_wrong_token_is_a_clear_configuration_error(stub, start_service, token, message) -> None:  # type: ignore[no-untyped-def]
    from intake.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=message):
        await start_service(telegram_token=token)
    assert "getUpdates" not in [c.method for c in stub.calls]
