"""The newsletter from the chat: the button at the end of a request signs the e-mail address
up (pending, a confirmation mail through the outbox), the link confirms, /afmelden leaves."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from consent_store.enums import Actor, Channel, ConsentAction, NewsletterState
from intake import contacts
from intake.services import subjects
from tests.e2e.email.test_email_flow import Inbox
from tests.e2e.telegram import flow
from tests.integration.test_newsletter import is_suppressed, newsletter_events, subscription_of
from tests.support.mail import body_text, forms

EMAIL = "noor@example.org"


async def test_the_button_the_confirmation_mail_and_afmelden(stub, start_service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    service = await start_service(web_enabled=True, web_port=0)
    core = service.core
    user = stub.user(7701, "Noor")
    await flow.complete(
        stub,
        user,
        text="Ik wil na tien jaar in de zorg iets anders gaan doen.",
        email=EMAIL,
        topic="Loopbaan en carrièreswitch",
        special=False,
        newsletter=True,
    )
    ref = await subjects.lookup(core, contacts.email(EMAIL))
    assert ref is not None
    assert (await subscription_of(core, ref.id)).state is NewsletterState.PENDING
    assert await newsletter_events(core, ref.pseudonym) == []  # the button alone grants nothing

    inbox = Inbox(tmp_path / "mail")
    confirmation = await inbox.next(EMAIL)
    assert "Bevestig je aanmelding" in confirmation["Subject"]
    public = core.settings.public_url
    link = next(w for w in body_text(confirmation).split() if w.startswith(public + "/n/"))
    link = service.adapter("web").url + link[len(public) :]  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as response:
            (form,) = forms(await response.text())
        async with http.post(link, data=[*form["fields"], *form["buttons"]]) as response:
            assert response.status == 200 and "Je bent aangemeld" in await response.text()
    assert (await subscription_of(core, ref.id)).state is NewsletterState.ACTIVE

    (left,) = await user.say("/afmelden")
    assert left.params["text"].startswith("Je bent afgemeld voor de nieuwsbrief.")
    (again,) = await user.say("/unsubscribe")
    assert again.params["text"] == "Je was niet aangemeld voor de nieuwsbrief."
    assert (await subscription_of(core, ref.id)).state is NewsletterState.UNSUBSCRIBED
    assert await is_suppressed(core, EMAIL)
    events = await newsletter_events(core, ref.pseudonym)
    assert [(e.action, e.channel, e.actor) for e in events] == [
        (ConsentAction.GRANTED, Channel.WEB, Actor.SUBJECT),  # the link in the mail
        (ConsentAction.WITHDRAWN, Channel.TELEGRAM, Actor.SUBJECT),  # /afmelden, once
    ]
    assert events[-1].evidence.startswith("telegram update ")


async def test_a_telegram_candidate_subscribes_in_telegram_with_one_press(stub, start_service) -> None:  # type: ignore[no-untyped-def]
    from consent_store.enums import Purpose

    service = await start_service()
    core = service.core
    user = stub.user(7702, "Bas")
    await flow.to_question(user, topic="Loopbaan en carrièreswitch", special=False)
    shown = await flow.preview(user, "Ik zoek een nieuwe richting in mijn werk.")
    sent = await user.press(shown, "Verstuur zo", replies=1)
    via_telegram = await user.press(user.message(sent.sent[0]), "Via Telegram", replies=2)
    handover = user.message(via_telegram.sent[-1])
    agreed = await user.press(handover, "Ja, ik geef toestemming", replies=1)
    newsletter_question = user.message(agreed.sent[0])
    telegram_wording = core.texts.wording(Purpose.NEWSLETTER, "nl", "telegram")
    assert telegram_wording.text in (newsletter_question.text or "")
    assert "bevestigingsmail" not in (newsletter_question.text or "")  # no mail is promised here
    done = await user.press(newsletter_question, "Ja, graag")
    assert done.alert == "Verstuurd!"

    ref = await subjects.lookup(core, contacts.telegram(user.id))
    assert ref is not None
    subscription = await subscription_of(core, ref.id, Channel.TELEGRAM)
    assert subscription.state is NewsletterState.ACTIVE
    (granted,) = await newsletter_events(core, ref.pseudonym)  # the press itself is the consent
    assert (granted.action, granted.channel) == (ConsentAction.GRANTED, Channel.TELEGRAM)
    assert granted.wording_sha256 == telegram_wording.sha256
    assert granted.evidence.startswith("telegram update ")

    (left,) = await user.say("/afmelden")
    assert left.params["text"].startswith("Je bent afgemeld voor de nieuwsbrief.")
    assert (await subscription_of(core, ref.id, Channel.TELEGRAM)).state is NewsletterState.UNSUBSCRIBED
    assert [e.action for e in await newsletter_events(core, ref.pseudonym)] == [
        ConsentAction.GRANTED,
        ConsentAction.WITHDRAWN,
    ]
