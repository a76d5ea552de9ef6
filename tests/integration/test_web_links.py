"""The pages behind e-mail links, over HTTP: confirming an e-mailed request with consent, coaches
answering offers, candidates answering matches; tokens, replays and link scanners."""

from __future__ import annotations

import html
import time
from datetime import timedelta
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from consent_store.enums import Channel, NewsletterState, OfferState, Purpose, RequestState
from consent_store.models import (
    ConsentEvent,
    Handover,
    IntakeRequest,
    NewsletterSubscription,
    Offer,
    OutboxMessage,
)
from intake.core import Core
from intake.links import Links
from intake.services import coaches, retention
from intake.tokens import CONFIRM_REQUEST, OFFER, TokenPurpose
from tests.support.mail import MailService, body_text, forms, mail_fixture, message, rows, settings_fixture

USES_FIXTURES = (mail_fixture, settings_fixture)  # pytest finds them by name: mail, settings


async def _request(core: Core) -> IntakeRequest:
    (request,) = await rows(core, IntakeRequest)
    return request


async def _confirmation_link(mail: MailService, body: str = "Ik zoek hulp bij een loopbaanswitch.") -> str:
    assert (await mail.send(message(body))).code == 250
    await mail.settle()
    (answer,) = mail.new_mail()
    return mail.link(answer, "/c/")


async def _submit(
    mail: MailService, link: str, *, tick: tuple[str, ...] = ("contact_handover",), action: str = "confirm"
) -> tuple[int, str, dict[str, Any]]:
    status, page = await mail.get(link)
    assert status == 200
    form = forms(page)[0 if action == "confirm" else 1]
    data = [*form["fields"], *((f"consent_{p}", "yes") for p in tick), ("action", action)]
    status, result = await mail.post(link, data)
    return status, result, form


async def _state(core: Core) -> list[tuple[str, ...]]:
    """Everything a stray GET could change, as comparable tuples."""
    async with core.uow() as uow:
        session = uow.session
        rows = await session.scalars(select(IntakeRequest))
        requests = [(str(r.id), r.state.value, r.topic) for r in rows]
        offers = [(str(o.id), o.state.value) for o in (await session.scalars(select(Offer)))]
        counts = [
            str(await session.scalar(select(func.count()).select_from(model)))
            for model in (ConsentEvent, OutboxMessage, Handover, NewsletterSubscription)
        ]
    return sorted(requests) + sorted(offers) + [tuple(counts)]


async def test_confirmation_page_shows_the_text_the_notice_and_unticked_boxes(
    mail: MailService, core: Core
) -> None:
    link = await _confirmation_link(mail, "Ik zoek hulp <script>alert(1)</script> bij mijn loopbaan.")
    status, page = await mail.get(link)
    assert status == 200
    request = await _request(core)
    assert html.escape(request.anonymised_text, quote=False) in page
    assert "<script>" not in page
    assert '<a href="/privacy?lang=nl">' in page
    (form, _) = forms(page)
    assert form["checkboxes"] == {
        "consent_special_category": False,
        "consent_contact_handover": False,
        "consent_newsletter": False,
    }
    for purpose in Purpose:
        wording = core.texts.wording(purpose, "nl")
        assert html.escape(wording.text, quote=False) in page
        assert (f"shown_{purpose.value}", f"{wording.version}:{wording.sha256}") in form["fields"]
    english = (await mail.get(link + "?lang=en"))[1]
    assert html.escape(core.texts.wording(Purpose.CONTACT_HANDOVER, "en").text, quote=False) in english


async def test_without_contact_consent_nothing_is_recorded(mail: MailService, core: Core) -> None:
    link = await _confirmation_link(mail)
    status, page, _ = await _submit(mail, link, tick=("newsletter",))
    assert status == 422
    assert "Zonder toestemming om je e-mailadres aan één coach te geven" in page
    assert 'role="alert"' in page
    assert forms(page)[0]["checkboxes"]["consent_newsletter"] is True  # the choice is kept
    assert await rows(core, ConsentEvent) == []
    assert await rows(core, NewsletterSubscription) == []
    assert (await _request(core)).state is RequestState.DRAFT


async def test_confirming_records_each_consent_and_offers_the_request(mail: MailService, core: Core) -> None:
    coach = await coaches.add(
        core, display_name="Coach Mail", email="coach@example.org", topic_codes=("career",), languages=("nl",)
    )
    link = await _confirmation_link(mail)
    status, page, form = await _submit(mail, link, tick=("contact_handover", "newsletter"))
    assert status == 200 and "Je vraag is verstuurd" in page and "nieuwsbrief" in page
    submission = dict(form["fields"])["submission"]

    (event,) = await rows(core, ConsentEvent)
    wording = core.texts.wording(Purpose.CONTACT_HANDOVER, "nl")
    assert event.purpose is Purpose.CONTACT_HANDOVER and event.channel is Channel.WEB
    assert event.evidence == f"web-form:{submission}"
    assert (event.wording_version, event.wording_sha256) == (wording.version, wording.sha256)
    request = await _request(core)
    assert request.state is RequestState.OPEN and request.expires_at is None
    (offer,) = await rows(core, Offer)
    assert offer.coach_id == coach.id
    (subscription,) = await rows(core, NewsletterSubscription)
    assert subscription.state is NewsletterState.PENDING  # double opt-in: not granted yet

    await mail.settle()
    sent = {m["To"]: m for m in mail.new_mail()}
    assert set(sent) == {"coach@example.org", "kandidaat@example.org"}
    assert request.anonymised_text in body_text(sent["coach@example.org"])
    assert "kandidaat@example.org" not in body_text(sent["coach@example.org"])

    replayed = [*form["fields"], ("consent_contact_handover", "yes"), ("action", "confirm")]
    again = await mail.post(link, replayed)
    assert again[0] == 200 and "Al bevestigd" in again[1]  # a replayed POST
    assert len(await rows(core, ConsentEvent)) == 1


async def test_special_category_text_needs_the_explicit_box(mail: MailService, core: Core) -> None:
    link = await _confirmation_link(mail, "Na mijn burn-out wil ik voorzichtig weer aan het werk.")
    request = await _request(core)
    assert request.special_category
    page = (await mail.get(link))[1]
    assert "Nodig voor deze vraag" in page

    status, refused, _ = await _submit(mail, link, tick=("contact_handover",))
    assert status == 422 and "uitdrukkelijke toestemming" in refused
    assert await rows(core, ConsentEvent) == []

    status, _page, _ = await _submit(mail, link, tick=("contact_handover", "special_category"))
    assert status == 200
    assert sorted(e.purpose.value for e in await rows(core, ConsentEvent)) == [
        "contact_handover",
        "special_category",
    ]
    assert (await _request(core)).state is RequestState.OPEN


async def test_topic_can_be_corrected_on_the_page(mail: MailService, core: Core) -> None:
    link = await _confirmation_link(mail)
    page = (await mail.get(link))[1]
    fields = [(k, v) for k, v in forms(page)[0]["fields"] if k != "topic"]
    data = [*fields, ("topic", "leadership"), ("consent_contact_handover", "yes"), ("action", "confirm")]
    assert (await mail.post(link, data))[0] == 200
    assert (await _request(core)).topic == "leadership"


async def test_candidate_can_delete_the_draft(mail: MailService, core: Core) -> None:
    link = await _confirmation_link(mail)
    status, page, _ = await _submit(mail, link, tick=(), action="delete")
    assert status == 200 and "verwijderd" in page
    assert await rows(core, IntakeRequest) == []
    assert (await mail.get(link))[0] == 410


async def test_unconfirmed_request_expires_and_is_erased(mail: MailService, core: Core) -> None:
    link = await _confirmation_link(mail)
    page = (await mail.get(link))[1]
    core.clock.advance(core.settings.confirmation_ttl + timedelta(minutes=1))  # type: ignore[attr-defined]
    status, gone = await mail.get(link)
    assert status == 410 and "Deze link is verlopen" in gone  # the link expires with the draft
    data = [*forms(page)[0]["fields"], ("consent_contact_handover", "yes"), ("action", "confirm")]
    assert (await mail.post(link, data))[0] == 410
    assert await rows(core, ConsentEvent) == []

    report = await retention.run(core)  # the hourly task of `intake run`
    assert report.expired_drafts == 1
    assert await rows(core, IntakeRequest) == []


class _PastSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 400 * 86400


def _expired(core: Core, purpose: TokenPurpose, ref: str) -> str:
    serializer = URLSafeTimedSerializer(
        core.settings.secret_key_bytes, salt=f"intake/{purpose.name}", signer=_PastSigner
    )
    return str(serializer.dumps(ref))


async def test_tampered_expired_and_misused_tokens(mail: MailService, core: Core) -> None:
    link = await _confirmation_link(mail)
    request = await _request(core)
    token = link.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_purpose = Links(mail.web.url, core.tokens).offer(request.id.hex).rsplit("/", 1)[1]
    for path in ("/c/", "/o/", "/m/"):
        for bad in (tampered, "not-a-token", other_purpose if path != "/o/" else token):
            status, page = await mail.get(mail.web.url + path + bad)
            assert status == 400 and "Deze link klopt niet" in page, (path, bad)
            assert (await mail.post(mail.web.url + path + bad, {"action": "confirm"}))[0] == 400
    expired = {"/c/": _expired(core, CONFIRM_REQUEST, request.id.hex), "/o/": _expired(core, OFFER, "00")}
    for path, token_value in expired.items():
        status, page = await mail.get(mail.web.url + path + token_value)
        assert status == 410 and "verlopen" in page
    assert (await _request(core)).state is RequestState.DRAFT


async def _confirmed_with_coaches(mail: MailService, core: Core, count: int = 2) -> list[Any]:
    added = [
        await coaches.add(
            core,
            display_name=f"Coach {n}",
            intro=f"Ik ben coach {n}.",
            email=f"coach{n}@example.org",
            topic_codes=("career",),
            languages=("nl", "en"),
        )
        for n in range(count)
    ]
    link = await _confirmation_link(mail)
    assert (await _submit(mail, link))[0] == 200
    await mail.settle()
    return added


async def test_link_scanners_change_nothing(mail: MailService, core: Core) -> None:
    await _confirmed_with_coaches(mail, core, 1)
    offer_mail = next(m for m in mail.new_mail() if m["To"] == "coach0@example.org")
    offer_link = mail.link(offer_mail, "/o/")
    draft_link = await _confirmation_link(mail, "Nog een vraag over solliciteren.")
    before = await _state(core)
    for link in (offer_link, draft_link, offer_link + "?lang=en"):
        for _ in range(3):
            assert (await mail.get(link))[0] == 200
            async with mail.http.head(link) as response:
                assert response.status == 200
    assert await _state(core) == before


async def test_coach_and_candidate_answer_by_link_up_to_the_handover(mail: MailService, core: Core) -> None:
    first, second = await _confirmed_with_coaches(mail, core)
    offer_mails = {m["To"]: m for m in mail.new_mail() if m["To"].startswith("coach")}
    request = await _request(core)

    link_first = mail.link(offer_mails["coach0@example.org"], "/o/")
    page = (await mail.get(link_first))[1]
    assert html.escape(request.anonymised_text, quote=False) in page and "Aannemen" in page
    status, declined = await mail.post(link_first, {"action": "decline"})
    assert status == 200 and "niet bij je past" in declined

    link_second = mail.link(offer_mails["coach1@example.org"], "/o/")
    status, accepted = await mail.post(link_second, {"action": "accept"})
    assert status == 200 and "Je hebt deze hulpvraag aangenomen" in accepted
    assert "Je hebt deze hulpvraag aangenomen" in (await mail.post(link_second, {"action": "accept"}))[1]
    assert "niet bij je past" in (await mail.post(link_first, {"action": "accept"}))[1]  # too late
    states = {o.coach_id: o.state for o in await rows(core, Offer)}
    assert states == {first.id: OfferState.DECLINED, second.id: OfferState.ACCEPTED}

    await mail.settle()
    proposal = next(m for m in mail.new_mail() if m["To"] == "kandidaat@example.org")
    match_link = mail.link(proposal, "/m/")
    page = (await mail.get(match_link))[1]
    assert "Coach 1" in page and "Ik ben coach 1." in page
    assert await rows(core, Handover) == []  # looking is not answering
    status, confirmed = await mail.post(match_link, {"action": "confirm"})
    assert status == 200 and "We hebben je contactgegevens aan Coach 1 gegeven" in confirmed
    replay = await mail.post(match_link, {"action": "confirm"})
    assert replay[0] == 200 and "We hebben je contactgegevens aan Coach 1 gegeven" in replay[1]
    (handover,) = await rows(core, Handover)
    assert handover.coach_id == second.id

    await mail.settle()
    delivered = mail.new_mail()
    handover_mail = next(m for m in delivered if m["To"] == "coach1@example.org")
    assert "kandidaat@example.org" in body_text(handover_mail)
    assert handover_mail.get_body(preferencelist=("html",)) is not None
    others = [m for m in delivered if m["To"] == "coach0@example.org"]
    assert not any("kandidaat@example.org" in body_text(m) for m in others)


async def test_candidate_declines_the_match_and_the_request_is_offered_again(
    mail: MailService, core: Core
) -> None:
    await _confirmed_with_coaches(mail, core, 1)
    offer_mail = next(m for m in mail.new_mail() if m["To"] == "coach0@example.org")
    await mail.post(mail.link(offer_mail, "/o/"), {"action": "accept"})
    await mail.settle()
    proposal = next(m for m in mail.new_mail() if m["To"] == "kandidaat@example.org")
    status, page = await mail.post(mail.link(proposal, "/m/"), {"action": "decline"})
    assert status == 200 and "opnieuw aan andere" in page
    assert (await _request(core)).state is RequestState.OPEN
    assert await rows(core, Handover) == []


async def test_metrics_and_health(mail: MailService, core: Core) -> None:
    link = await _confirmation_link(mail)
    client = await mail.client()
    try:
        await client.command("MAIL FROM:<kandidaat@example.org>")
        assert (await client.command("RCPT TO:<nobody@intake.test>")).code == 550
    finally:
        await client.quit()
    async with mail.http.get(mail.web.url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    assert 'intake_smtp_messages_received_total{kind="request"} 1.0' in text
    assert 'intake_smtp_replies_rejected_total{code="550"} 1.0' in text
    assert 'intake_requests{state="draft"} 1.0' in text
    assert 'intake_mail_processed_total{kind="request",outcome="draft"} 1.0' in text
    assert "intake_outbox_backlog 0.0" in text
    assert 'intake_inbound_mail{kind="request",state="done"} 1.0' in text
    assert "intake_smtp_data_seconds_count 1.0" in text
    request = await _request(core)
    for secret in ("kandidaat", "example.org", link.rsplit("/", 1)[1], request.reference, "loopbaan"):
        assert secret not in text

    async with mail.http.get(mail.web.url + "/healthz") as response:
        assert response.status == 200 and (await response.json())["database"] == "ok"
