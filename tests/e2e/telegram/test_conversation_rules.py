"""The rules of the conversation: "no" to special-category consent is respected, a text that
still reveals such data is not kept, only text is accepted, contact details are checked."""

from __future__ import annotations

from pathlib import Path

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from consent_store.enums import ConsentAction, Purpose
from consent_store.models import ConsentEvent, IntakeRequest
from intake.runner import Service
from tests.e2e.telegram import flow
from tests.support.telegram import BotApiStub, FakeUser

HEALTH_TEXT = "Door mijn depressie lukt het niet meer om fulltime te werken. Hoe pak ik dat aan?"
PLAIN_TEXT = "Ik wil minder uren werken en zoek hulp bij het gesprek met mijn leidinggevende."


async def _draft(service: Service, stub: BotApiStub, user: FakeUser) -> dict:  # type: ignore[type-arg]
    storage = service.adapter("telegram").storage  # type: ignore[attr-defined]
    return await storage.get_data(StorageKey(bot_id=stub.bot_id, chat_id=user.id, user_id=user.id))


async def _requests(service: Service) -> int:
    async with service.core.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(IntakeRequest)) or 0)


async def _special_grants(service: Service) -> int:
    async with service.core.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count())
                .select_from(ConsentEvent)
                .where(
                    ConsentEvent.purpose == Purpose.SPECIAL_CATEGORY,
                    ConsentEvent.action == ConsentAction.GRANTED,
                )
            )
            or 0
        )


def _sqlite_files_contain(service: Service, needle: str) -> bool:
    url = service.core.settings.resolved_database_url
    if not url.startswith("sqlite"):
        return False
    path = Path(url.split("///", 1)[1])
    return any(
        needle.encode() in candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )


async def test_no_to_special_consent_and_a_health_text_keeps_nothing(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    user = stub.user(7201, "Sam")
    question = await flow.to_question(user, topic="Werkdruk, stress en balans", special=False)
    assert (question.text or "").startswith("Helder: je geeft geen toestemming. Je kunt gewoon verder.")

    (explained,) = await user.say(HEALTH_TEXT)
    text = explained.params["text"]
    assert "Je gaf daar geen toestemming voor, dus we hebben je tekst niet bewaard." in text
    assert service.core.texts.wording(Purpose.SPECIAL_CATEGORY, "nl").text in text  # the question, verbatim
    labels = [b["text"] for b in user.message(explained).buttons()]
    assert labels == ["Ja, ik geef toestemming", "Ik herschrijf mijn vraag"]

    # Nothing of that text is stored: not in the conversation, not as a request, not on disk.
    assert "text" not in await _draft(service, stub, user)
    assert await _requests(service) == 0
    assert await _special_grants(service) == 0
    assert not _sqlite_files_contain(service, "depressie")

    rewrite = await user.press(user.message(explained), "Ik herschrijf mijn vraag", replies=1)
    assert "Typ je vraag opnieuw" in rewrite.sent[0].params["text"]
    shown = await flow.preview(user, PLAIN_TEXT)
    assert PLAIN_TEXT in (shown.text or "")
    assert "gevoelige informatie" not in (shown.text or "")
    newsletter_question = await flow.contact_and_consent(user, shown, email="sam@example.org")
    mark = stub.mark()
    await user.press(newsletter_question, "Nee, dank je")
    await flow.receipt(stub, user, mark)
    async with service.core.uow() as uow:
        (request,) = (await uow.session.scalars(select(IntakeRequest))).all()
    assert not request.special_category
    assert await _special_grants(service) == 0


async def test_consent_given_after_all_asks_for_the_text_again(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    user = stub.user(7202, "Noor")
    await flow.to_question(user, topic="Werkdruk, stress en balans", special=False)
    (explained,) = await user.say(HEALTH_TEXT)
    agreed = await user.press(user.message(explained), "Ja, ik geef toestemming", replies=1)
    assert "stuur je vraag nu nog een keer" in agreed.sent[0].params["text"]
    assert await _special_grants(service) == 1

    shown = await flow.preview(user, HEALTH_TEXT)
    assert "depressie" in (shown.text or "")
    assert "Je vraag bevat gevoelige informatie; je gaf daar toestemming voor." in (shown.text or "")
    assert "text" in await _draft(service, stub, user)
    assert not _sqlite_files_contain(service, "depressie")  # the draft is sealed, never plain


async def test_only_text_is_accepted(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service(max_request_chars=200)
    user = stub.user(7203, "Robin")
    await flow.to_question(user, topic="Loopbaan en carrièreswitch", special=False)
    for kind in ("photo", "voice", "document", "sticker", "location"):
        (reply,) = await user.send_media(kind)
        assert reply.params["text"] == (
            "Ik kan alleen tekst lezen. Foto's, spraakberichten, bestanden, stickers en locaties "
            "bewaar ik niet. Typ je vraag als gewoon tekstbericht."
        )
    draft = await _draft(service, stub, user)
    assert "AgAD" not in str(draft) and "mijn cv" not in str(draft)
    assert not [c for c in stub.calls if c.method in ("getFile", "downloadFile")]

    (too_long,) = await user.say("a" * 250)
    assert too_long.params["text"].startswith("Je bericht is 250 tekens lang; het maximum is 200.")
    assert "text" not in await _draft(service, stub, user)

    shown = await flow.preview(user, PLAIN_TEXT[:190])  # still waiting for the question: it goes on
    assert "Zo ziet een coach je vraag" in (shown.text or "")


async def test_contact_details_are_checked(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    await start_service()
    user = stub.user(7204, "Lou")
    await flow.to_question(user, topic="Loopbaan en carrièreswitch", special=False)
    shown = await flow.preview(user, PLAIN_TEXT)
    sent = await user.press(shown, "Verstuur zo", replies=1)
    asked = await user.press(user.message(sent.sent[0]), "Telefoon", replies=1)
    keyboard = asked.sent[0].params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True

    (wrong,) = await user.say("12")
    assert wrong.params["text"].startswith("Dat telefoonnummer klopt niet.")
    (foreign,) = await user.share_contact("+31612345678", user_id=999)
    assert foreign.params["text"].startswith("Dit is niet jouw eigen nummer.")
    noted, question = await user.share_contact("31612345678", replies=2)
    assert noted.params["text"] == "Genoteerd: +31 6 12345678."
    assert noted.params["reply_markup"] == {"remove_keyboard": True}
    assert "Mogen wij je contactgegevens" in question.params["text"]


async def test_email_is_validated(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    await start_service()
    user = stub.user(7205, "Jo")
    await flow.to_question(user, topic="Loopbaan en carrièreswitch", special=False)
    shown = await flow.preview(user, PLAIN_TEXT)
    sent = await user.press(shown, "Verstuur zo", replies=1)
    await user.press(user.message(sent.sent[0]), "E-mail", replies=1)
    (wrong,) = await user.say("jo at example")
    assert wrong.params["text"].startswith("Dat lijkt geen geldig e-mailadres.")
    (photo,) = await user.send_media("photo")
    assert photo.params["text"].startswith("Ik kan alleen tekst lezen.")
    noted, _ = await user.say("Jo@Example.org", replies=2)
    assert noted.params["text"] == "Genoteerd: jo@example.org."


async def test_the_conversation_speaks_english_to_english_speakers(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    user = stub.user(7206, "Alex", language_code="en-GB")
    (welcome,) = await user.say("/start")
    assert welcome.params["text"].startswith("Welcome to")
    assert service.core.texts.notice_short("en") in welcome.params["text"]
    begun = await user.press(user.message(welcome), "Start", replies=1)
    chosen = await user.press(user.message(begun.sent[0]), "Career and career change", replies=1)
    wording = service.core.texts.wording(Purpose.SPECIAL_CATEGORY, "en")
    assert wording.text in chosen.sent[0].params["text"]
    assert [b["text"] for b in user.message(chosen.sent[0]).buttons()] == ["Yes, I consent", "No"]
    assert {key for key in stub.commands} == {("default", ""), ("default", "nl"), ("default", "en")}
    assert "consent" in [c["command"] for c in stub.commands[("default", "en")]]
    assert "toestemming" in [c["command"] for c in stub.commands[("default", "")]]
