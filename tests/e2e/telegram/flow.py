"""The candidate's conversation as a person goes through it, in Dutch, step by step."""

from __future__ import annotations

from tests.support.telegram import BotApiStub, Call, FakeUser, Message

RECEIPT = "Je referentie is"


async def to_question(user: FakeUser, *, topic: str, special: bool | None, start: str = "/start") -> Message:
    """/start, "Beginnen", the topic and the special-category question; returns the last bot message."""
    (welcome,) = await user.say(start)
    begun = await user.press(user.message(welcome), "Beginnen", replies=1)
    chosen = await user.press(user.message(begun.sent[0]), topic, replies=1)
    question = user.message(chosen.sent[0])
    if special is None:  # consent already in force: the bot goes straight to the question
        return question
    answered = await user.press(question, "Ja, ik geef toestemming" if special else "Nee", replies=1)
    return user.message(answered.sent[0])


async def preview(user: FakeUser, text: str) -> Message:
    (shown,) = await user.say(text)
    return user.message(shown)


async def contact_and_consent(user: FakeUser, preview_message: Message, *, email: str) -> Message:
    """Press "Verstuur zo", give an e-mail address, consent; returns the newsletter question."""
    sent = await user.press(preview_message, "Verstuur zo", replies=1)
    return await email_and_consent(user, user.message(sent.sent[0]), email=email)


async def email_and_consent(user: FakeUser, contact_question: Message, *, email: str) -> Message:
    asked = await user.press(contact_question, "E-mail", replies=1)
    assert asked.sent[0].params["text"] == "Wat is je e-mailadres?"
    noted, consent_question = await user.say(email, replies=2)
    assert email in noted.params["text"]
    agreed = await user.press(user.message(consent_question), "Ja, ik geef toestemming", replies=1)
    return user.message(agreed.sent[0])


async def receipt(stub: BotApiStub, user: FakeUser, since: int) -> Call:
    """The confirmation with the reference (step 9), delivered through the outbox."""
    (call,) = await stub.wait_for(
        lambda c: c.method == "sendMessage" and c.chat_id == user.id and RECEIPT in c.params["text"],
        since=since,
    )
    return call


async def complete(
    stub: BotApiStub,
    user: FakeUser,
    *,
    text: str,
    email: str,
    topic: str = "Werkdruk, stress en balans",
    special: bool | None = True,
    newsletter: bool = False,
    start: str = "/start",
) -> str:
    """The whole conversation; returns the request's reference from the receipt."""
    question = await to_question(user, topic=topic, special=special, start=start)
    assert "Beschrijf nu in je eigen woorden" in (question.text or "")
    shown = await preview(user, text)
    newsletter_question = await contact_and_consent(user, shown, email=email)
    mark = stub.mark()
    done = await user.press(newsletter_question, "Ja, graag" if newsletter else "Nee, dank je")
    assert done.alert == "Verstuurd!"
    call = await receipt(stub, user, mark)
    return call.params["text"].split(RECEIPT, 1)[1].split(".")[0].strip()
