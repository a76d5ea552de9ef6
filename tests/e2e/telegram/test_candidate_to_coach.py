"""A candidate completes the conversation; three coaches get the anonymised offer; two press
"accept" at the same moment; one wins; the candidate confirms; only the winner ever sees
any of the candidate's contact details or names. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from consent_store.enums import ConsentAction, OfferState, Purpose, RequestState
from consent_store.models import ConsentEvent, Handover, IntakeRequest, Offer
from intake.services import coaches
from tests.e2e.telegram import flow
from tests.support.telegram import BotApiStub, Call

EMAIL = "marieke.jansen@example.org"
PHONE_FORMS = ("06 12345678", "0612345678", "+31612345678", "+31 6 12345678", "612345678")
TEXT = (
    "Sinds mijn burn-out vorig jaar kom ik moeilijk op gang in mijn werk als projectleider. "
    f"Mail me gerust op {EMAIL} of bel 06 12345678."
)


def _coach_calls(stub: BotApiStub, coach_id: int) -> list[Call]:
    return [c for c in stub.sent_to(coach_id) if c.method != "answerCallbackQuery"]


async def test_one_coach_wins_and_only_the_winner_gets_the_details(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    core = service.core
    coach_users = [stub.user(5001 + i, f"Coach{i}", last_name="Coachington") for i in range(3)]
    for i, user in enumerate(coach_users):
        await coaches.add(
            core,
            display_name=f"Coach {i}",
            intro=f"Ik ben coach {i} en help bij werkdruk.",
            topic_codes=("wellbeing",),
            languages=("nl", "en"),
            telegram_user_id=user.id,
        )
        (hello,) = await user.say("/start")  # a coach must have started the bot to get messages
        assert "aangemeld als coach" in hello.params["text"]

    candidate = stub.user(7001, "Marieke", last_name="Jansen", username="marieke_j", language_code="nl")
    secrets_of_candidate = (EMAIL, *PHONE_FORMS, "Marieke", "Jansen", "marieke_j", str(candidate.id))

    mark = stub.mark()
    reference = await flow.complete(stub, candidate, text=TEXT, email=EMAIL, special=True)
    assert reference.startswith("R-")

    # Three coaches get the anonymised offer with two buttons.
    offers = await stub.wait_for(
        lambda c: c.method == "sendMessage" and c.chat_id in {u.id for u in coach_users}, since=mark, count=3
    )
    for call in offers:
        text = call.params["text"]
        assert reference in text and "burn-out" in text and "[E-MAIL-1]" in text and "[TELEFOON-1]" in text
        labels = [b["text"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Aannemen", "Niet voor mij"]
        assert "parse_mode" not in call.params
    by_chat = {c.chat_id: c for c in offers}
    first, second, third = coach_users

    # Two coaches press "accept" at the same moment: both presses arrive in one getUpdates batch.
    mark = stub.mark()
    presses = []
    for user in (first, second):
        message = user.message(by_chat[user.id])
        presses.append(user.press_update(message, message.button("Aannemen")["callback_data"]))
    await stub.push_updates([update for update, _ in presses])
    answers = await stub.wait_for(
        lambda c: (
            c.method == "answerCallbackQuery"
            and c.params["callback_query_id"] in {query for _, query in presses}
        ),
        since=mark,
        count=2,
    )
    alerts = {a.params["callback_query_id"]: a.params.get("text", "") for a in answers}
    won = [
        user
        for user, (_, query) in zip((first, second), presses, strict=True)
        if alerts[query].startswith("Je hebt ")
    ]
    lost = [
        user for user, (_, query) in zip((first, second), presses, strict=True) if "net voor" in alerts[query]
    ]
    assert len(won) == 1 and len(lost) == 1, alerts
    winner, loser = won[0], lost[0]

    # Everyone else's offer message is edited to say it was taken, without buttons.
    for other in (loser, third):
        (edit,) = await stub.wait_for(
            lambda c, who=other: c.method == "editMessageText" and c.chat_id == who.id, since=mark
        )
        assert int(edit.params["message_id"]) == by_chat[other.id].result["message_id"]
        assert "door een andere coach aangenomen" in edit.params["text"]
        assert not other.message(by_chat[other.id]).buttons()
    assert not winner.message(by_chat[winner.id]).buttons()  # the winner's buttons are gone too

    # The candidate is asked to confirm the winner, and confirms.
    (proposal,) = await stub.wait_for(
        lambda c: (
            c.method == "sendMessage" and c.chat_id == candidate.id and "wil je helpen" in c.params["text"]
        ),
        since=mark,
    )
    winner_name = f"Coach {coach_users.index(winner)}"
    assert winner_name in proposal.params["text"]
    assert not any(EMAIL in c.params.get("text", "") for c in _coach_calls(stub, winner.id))  # not yet
    mark = stub.mark()
    confirmed = await candidate.press(candidate.message(proposal), "Ja, deel mijn gegevens")
    assert winner_name in (confirmed.alert or "")

    (handover,) = await stub.wait_for(
        lambda c: (
            c.method == "sendMessage" and c.chat_id == winner.id and "Neem contact op via" in c.params["text"]
        ),
        since=mark,
    )
    assert EMAIL in handover.params["text"]
    await stub.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.chat_id == candidate.id
            and "neemt binnenkort contact" in c.params["text"]
        ),
        since=mark,
    )

    # Over every call the stand-in recorded: no other coach ever saw a contact detail or a name.
    for other in (loser, third):
        for call in _coach_calls(stub, other.id):
            for shown in call.texts():
                for secret in secrets_of_candidate:
                    assert secret not in shown, (call.method, secret)
    for call in _coach_calls(stub, winner.id):
        if call is not handover:
            for shown in call.texts():
                assert not any(secret in shown for secret in secrets_of_candidate), call.method
    assert all("parse_mode" not in c.params for c in stub.calls)

    # The database agrees: one handover, to the winner; the consents carry wording and evidence.
    async with core.uow() as uow:
        request = await uow.session.scalar(select(IntakeRequest).where(IntakeRequest.reference == reference))
        assert request is not None and request.state is RequestState.HANDED_OVER
        handovers = (await uow.session.scalars(select(Handover))).all()
        winner_coach = await uow.coaches.by_telegram(winner.id)
        assert [(h.request_id, h.coach_id) for h in handovers] == [(request.id, winner_coach.id)]
        states = sorted(o.state.value for o in (await uow.session.scalars(select(Offer))).all())
        assert states == sorted(
            [OfferState.ACCEPTED.value, OfferState.SUPERSEDED.value, OfferState.SUPERSEDED.value]
        )
        subject = await uow.subjects.get(request.subject_id)
        events = (
            await uow.session.scalars(
                select(ConsentEvent).where(ConsentEvent.subject_pseudonym == subject.pseudonym)
            )
        ).all()
    granted = {e.purpose: e for e in events if e.action is ConsentAction.GRANTED}
    assert set(granted) == {Purpose.SPECIAL_CATEGORY, Purpose.CONTACT_HANDOVER}
    for purpose, event in granted.items():
        wording = core.texts.wording(purpose, "nl")
        assert (event.wording_version, event.wording_sha256) == (wording.version, wording.sha256)
        assert event.evidence.startswith("telegram update ") and event.channel.value == "telegram"
    assert granted[Purpose.SPECIAL_CATEGORY].evidence != granted[Purpose.CONTACT_HANDOVER].evidence


async def test_the_coach_who_declines_is_not_bothered_again(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    service = await start_service()
    coach = stub.user(5101, "Coach")
    await coaches.add(service.core, display_name="Solo", topic_codes=("career",), telegram_user_id=coach.id)
    await coach.say("/start")
    candidate = stub.user(7101, "Kim")
    mark = stub.mark()
    reference = await flow.complete(
        stub,
        candidate,
        text="Ik wil een nieuwe baan zoeken.",
        email="kim@example.org",
        topic="Loopbaan en carrièreswitch",
        special=False,
        start="/start campagne_voorjaar",  # a deep link: t.me/<bot>?start=campagne_voorjaar
    )
    async with service.core.uow() as uow:
        request = await uow.requests.by_reference(reference)
    assert request.source_ref == "telegram:start:campagne_voorjaar"
    (offer,) = await stub.wait_for(lambda c: c.chat_id == coach.id and c.method == "sendMessage", since=mark)
    pressed = await coach.press(coach.message(offer), "Niet voor mij")
    assert pressed.alert == f"Genoteerd: {reference} is niet voor jou."
    assert "✔ Niet voor mij" in (coach.message(offer).text or "")
    (listing,) = await coach.say("/aanbod")
    assert listing.params["text"] == "Je hebt op dit moment geen open hulpvragen."
