"""The newsletter's public routes over real HTTP and SMTP on loopback: the sign-up form and
the double opt-in page, one-click unsubscribe (both encodings), the mailto route and mail to
unsubscribe@, bounces and complaints to bounces@, re-subscribing; each change in the ledger."""

from __future__ import annotations

import html
import uuid
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from consent_store.enums import Actor, Channel, ConsentAction, ContactKind, NewsletterState, Purpose
from consent_store.models import (
    ConsentEvent,
    ContactPoint,
    InboundMail,
    NewsletterSubscription,
    OutboxMessage,
    Suppression,
)
from intake import contacts
from intake.clock import ManualClock
from intake.core import Core
from intake.services import newsletter, subjects
from intake.settings import Settings
from tests.integration.test_newsletter import (
    email_subscriber,
    is_suppressed,
    newsletter_events,
    subscription_of,
)
from tests.integration.test_newsletter_send import send, write_template
from tests.support.mail import (
    MailService,
    body_text,
    complaint,
    delivery_report,
    forms,
    mail_fixture,
    mail_settings,
    message,
    rows,
)
from web import server as web_server

USES_FIXTURES = (mail_fixture,)  # pytest finds it by name: mail

SIGNED_UP = "Kijk in je mailbox"
UNSUBSCRIBED = "Je bent afgemeld"


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path, db_url: str) -> Settings:
    return mail_settings(tmp_path, db_url, newsletter_signups_per_minute=0)  # one test sets its own


async def _state(core: Core) -> tuple[object, ...]:
    """Everything a GET could change, comparable."""
    async with core.uow() as uow:
        session = uow.session
        subscriptions = sorted(
            (str(s.id), s.state.value) for s in (await session.scalars(select(NewsletterSubscription)))
        )
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (ConsentEvent, OutboxMessage, Suppression)
        ]
    return (*subscriptions, *counts)


def _web(mail: MailService, url: str) -> str:
    """A link from a mail (public URL), pointing at the running web server."""
    public = mail.core.settings.public_url
    assert url.startswith(public + "/")
    return mail.web.url + url[len(public) :]


async def _sign_up(
    mail: MailService, address: str, *, tick: bool = True, path: str = "/nieuwsbrief"
) -> tuple[int, str]:
    status, page = await mail.get(mail.web.url + path)
    assert status == 200
    (form,) = forms(page)
    data = [*(f for f in form["fields"] if f[0] != "email"), ("email", address)]
    if tick:
        data.append(("consent_newsletter", "yes"))
    return await mail.post(mail.web.url + path, data)


async def _confirmation_mail(mail: MailService, to: str) -> EmailMessage:
    await mail.settle()
    found = [m for m in mail.new_mail() if m["To"] == to and "/n/" in body_text(m)]
    assert len(found) == 1, "one confirmation mail"
    return found[0]


async def _confirm(mail: MailService, link: str) -> tuple[int, str, list[tuple[str, str]]]:
    """Open the confirmation page and press its button; returns status, page and what was sent."""
    status, page = await mail.get(link)
    assert status == 200
    (form,) = forms(page)
    data = [*form["fields"], *form["buttons"]]
    status, done = await mail.post(link, data)
    return status, done, data


def _main(page: str) -> str:
    """The page's content, without the links around it (the language switch repeats the path)."""
    return page[page.index("<main") : page.index("</main>")]


async def _outcomes_unanswered(mail: MailService, core: Core) -> list[str]:
    """Process what was received; nobody may get an answer. The outcome of each mail."""
    await mail.settle()
    assert mail.new_mail() == []
    return sorted(m.outcome for m in await rows(core, InboundMail))


# Signing up ----------------------------------------------------------------------------------


async def test_double_opt_in_through_the_form_the_mail_and_the_page(mail: MailService, core: Core) -> None:
    status, page = await mail.get(mail.web.url + "/nieuwsbrief")
    wording = core.texts.wording(Purpose.NEWSLETTER, "nl")
    assert status == 200 and html.escape(wording.text, quote=False) in page
    (form,) = forms(page)
    assert form["checkboxes"] == {"consent_newsletter": False}  # never ticked for them

    # An unticked box or an invalid address: a clear error, nothing stored, the input kept.
    status, refused = await _sign_up(mail, "anna@example.org", tick=False)
    assert status == 422 and 'role="alert"' in refused and "Vink het vakje aan" in refused
    assert 'value="anna@example.org"' in refused
    status, refused = await _sign_up(mail, "anna at example")
    assert status == 422 and "Vul een geldig e-mailadres in" in refused
    assert forms(refused)[0]["checkboxes"] == {"consent_newsletter": True}
    assert await rows(core, NewsletterSubscription) == []

    status, answer = await _sign_up(mail, "Anna@Example.org")
    assert status == 200 and SIGNED_UP in answer
    ref = await subjects.lookup(core, contacts.email("anna@example.org"))
    assert ref is not None
    assert (await subscription_of(core, ref.id)).state is NewsletterState.PENDING
    assert await newsletter_events(core, ref.pseudonym) == []  # no grant before the confirmation

    confirmation = await _confirmation_mail(mail, "anna@example.org")
    assert "Bevestig je aanmelding" in confirmation["Subject"]
    link = mail.link(confirmation, "/n/")
    before = await _state(core)
    for _ in range(2):  # a mail scanner, then the person: nothing changes
        status, page = await mail.get(link)
        assert status == 200 and html.escape(wording.text, quote=False) in page
    assert await _state(core) == before

    status, done, sent = await _confirm(mail, link)
    assert status == 200 and "Je bent aangemeld" in done
    submission = dict(sent)["submission"]
    assert (await subscription_of(core, ref.id)).state is NewsletterState.ACTIVE
    [grant] = await newsletter_events(core, ref.pseudonym)
    assert (grant.action, grant.channel, grant.actor, grant.evidence) == (
        ConsentAction.GRANTED,
        Channel.WEB,
        Actor.SUBJECT,
        f"web-form:{submission}",
    )
    assert (grant.wording_version, grant.wording_sha256) == (wording.version, wording.sha256)

    status, again = await mail.post(link, sent)  # a replayed form: nothing is recorded twice
    assert status == 200 and "al bevestigd" in again
    page = (await mail.get(link))[1]
    assert forms(page) == [] and "al bevestigd" in page
    assert len(await newsletter_events(core, ref.pseudonym)) == 1


async def test_the_form_answers_alike_whoever_the_address_belongs_to(mail: MailService, core: Core) -> None:
    await email_subscriber(core, "active@example.org")
    left = await email_subscriber(core, "left@example.org")
    await newsletter.unsubscribe(core, subject_id=left.subject_id, channel=Channel.WEB, evidence="e")
    await mail.settle()
    mail.new_mail()

    addresses = ("new@example.org", "active@example.org", "left@example.org")
    answers = {address: await _sign_up(mail, address) for address in addresses}
    assert len({(status, _main(page)) for status, page in answers.values()}) == 1
    assert answers["new@example.org"][0] == 200
    await mail.settle()
    mailed = sorted(m["To"] for m in mail.new_mail())
    assert mailed == ["left@example.org", "new@example.org"]  # the active subscriber needs nothing

    status, english = await _sign_up(mail, "new2@example.org", path="/newsletter")
    assert status == 200 and "Check your mailbox" in english
    confirmation = await _confirmation_mail(mail, "new2@example.org")
    assert confirmation["Subject"].startswith("Confirm")
    status, page = await mail.get(mail.link(confirmation, "/n/"))
    assert 'lang="en"' in page and core.texts.wording(Purpose.NEWSLETTER, "en").text[:40] in page


async def test_the_checkbox_on_the_request_confirmation_page_sends_the_opt_in_mail(
    mail: MailService, core: Core
) -> None:
    assert (await mail.send(message("Ik zoek hulp bij een loopbaanswitch."))).code == 250
    await mail.settle()
    (answer,) = mail.new_mail()
    request_link = mail.link(answer, "/c/")
    page = (await mail.get(request_link))[1]
    data = [
        *forms(page)[0]["fields"],
        ("consent_contact_handover", "yes"),
        ("consent_newsletter", "yes"),
        ("action", "confirm"),
    ]
    status, confirmed = await mail.post(request_link, data)
    assert status == 200 and "nieuwsbrief" in confirmed

    ref = await subjects.lookup(core, contacts.email("kandidaat@example.org"))
    assert ref is not None
    assert (await subscription_of(core, ref.id)).state is NewsletterState.PENDING
    confirmation = await _confirmation_mail(mail, "kandidaat@example.org")
    status, done, _ = await _confirm(mail, mail.link(confirmation, "/n/"))
    assert status == 200 and "Je bent aangemeld" in done
    assert [e.action for e in await newsletter_events(core, ref.pseudonym)] == [ConsentAction.GRANTED]


async def test_confirmation_links_tampered_withdrawn_or_expired(
    mail: MailService, core: Core, clock: ManualClock
) -> None:
    for address in ("gone@example.org", "late@example.org"):
        await _sign_up(mail, address)
    await mail.settle()
    links = {m["To"]: mail.link(m, "/n/") for m in mail.new_mail()}
    page = (await mail.get(links["late@example.org"]))[1]
    (form,) = forms(page)
    data = [*form["fields"], *form["buttons"]]

    link = links["late@example.org"]
    tampered = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    assert (await mail.get(tampered))[0] == 400
    assert (await mail.post(tampered, data))[0] == 400
    other_purpose = mail.web.url + "/n/" + core.tokens.unsubscribe(uuid.uuid4())
    assert (await mail.get(other_purpose))[0] == 400
    assert (await mail.post(link, [f for f in data if f[0] != "shown_newsletter"]))[0] == 400

    ref = await subjects.lookup(core, contacts.email("gone@example.org"))
    assert ref is not None
    await newsletter.unsubscribe(core, subject_id=ref.id, channel=Channel.WEB, evidence="changed my mind")
    status, gone = await mail.get(links["gone@example.org"])
    assert status == 410 and "Meld je dan opnieuw aan" in gone
    assert (await mail.post(links["gone@example.org"], data))[0] == 410

    clock.advance(newsletter.SIGNUP_TTL + timedelta(minutes=1))
    status, expired = await mail.get(link)
    assert status == 410 and "Deze link is verlopen" in expired
    assert (await mail.post(link, data))[0] == 410
    assert await rows(core, ConsentEvent) == []


async def test_the_form_limits_each_client(core: Core) -> None:
    core.settings.newsletter_signups_per_minute = 2
    web = await web_server.start(core)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(web.url + "/nieuwsbrief") as response:
                (form,) = forms(await response.text())
            fields = [f for f in form["fields"] if f[0] != "email"]
            data = [*fields, ("email", "x@example.org"), ("consent_newsletter", "yes")]
            statuses = []
            for _ in range(3):
                async with http.post(web.url + "/nieuwsbrief", data=data) as response:
                    statuses.append(response.status)
                    text = await response.text()
    finally:
        await web.stop()
    assert statuses == [200, 200, 429] and "Even wachten" in text
    assert len(await rows(core, NewsletterSubscription)) == 1


# Leaving -------------------------------------------------------------------------------------


async def _issue(mail: MailService, core: Core, tmp_path: Path, count: int) -> dict[str, EmailMessage]:
    """``count`` confirmed subscribers, an issue sent to them through the outbox: mail by address."""
    for i in range(count):
        await email_subscriber(core, f"reader{i}@example.org")
    await send(core, write_template(tmp_path / "issue"))
    await mail.settle()
    issues = {m["To"]: m for m in mail.new_mail() if m["List-Id"]}
    assert len(issues) == count
    return issues


def _one_click_url(mail: MailService, issue: EmailMessage) -> str:
    https, mailto = (part.strip(" <>") for part in str(issue["List-Unsubscribe"]).split(","))
    assert mailto.startswith("mailto:unsubscribe+") and mailto.endswith("@intake.test")
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert https in body_text(issue)  # the visible link is the same
    return _web(mail, https)


async def _post_raw(mail: MailService, url: str, body: bytes, content_type: str) -> tuple[int, str]:
    async with mail.http.post(
        url, data=body, headers={"Content-Type": content_type}, allow_redirects=False
    ) as response:
        return response.status, await response.text()


MULTIPART = (
    b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n',
    "multipart/form-data; boundary=XyZ",
)
URLENCODED = (b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")


async def test_one_click_in_both_encodings_and_get_changes_nothing(
    mail: MailService, core: Core, tmp_path: Path
) -> None:
    issues = await _issue(mail, core, tmp_path, 3)
    first, second, third = (issues[f"reader{i}@example.org"] for i in range(3))
    url = _one_click_url(mail, first)

    before = await _state(core)
    status, page = await mail.get(url)
    assert status == 200 and forms(page)[0]["buttons"] == [("List-Unsubscribe", "One-Click")]
    assert await _state(core) == before

    assert (await _post_raw(mail, url, b"", URLENCODED[1]))[0] == 400  # no one-click body
    assert (await _post_raw(mail, url, b"List-Unsubscribe=Maybe", URLENCODED[1]))[0] == 400
    assert await _state(core) == before

    answers = {}
    for issue, (body, content_type) in ((first, MULTIPART), (second, URLENCODED)):
        answers[issue["To"]] = await _post_raw(mail, _one_click_url(mail, issue), body, content_type)
    unknown = mail.web.url + "/u/" + core.tokens.unsubscribe(uuid.uuid4())
    answers["unknown"] = await _post_raw(mail, unknown, *URLENCODED)
    answers["again"] = await _post_raw(mail, url, *MULTIPART)
    assert len({(status, _main(page)) for status, page in answers.values()}) == 1  # known or not
    status, done = answers["again"]
    assert status == 200 and UNSUBSCRIBED in done  # 200 itself: no redirect

    for issue, encoding in ((first, "multipart"), (second, "urlencoded")):
        ref = await subjects.lookup(core, contacts.email(issue["To"]))
        assert ref is not None
        assert (await subscription_of(core, ref.id)).state is NewsletterState.UNSUBSCRIBED
        assert await is_suppressed(core, issue["To"])
        _, withdrawal = await newsletter_events(core, ref.pseudonym)  # once: repeating changed nothing
        assert (withdrawal.action, withdrawal.channel, withdrawal.actor, withdrawal.evidence) == (
            ConsentAction.WITHDRAWN,
            Channel.WEB,
            Actor.SUBJECT,
            f"one-click POST ({encoding})",
        )

    # The page's own button does the same.
    third_url = _one_click_url(mail, third)
    (form,) = forms((await mail.get(third_url))[1])
    status, done = await mail.post(third_url, [*form["fields"], *form["buttons"]])
    assert status == 200 and UNSUBSCRIBED in done
    ref = await subjects.lookup(core, contacts.email(third["To"]))
    assert ref is not None
    withdrawal = (await newsletter_events(core, ref.pseudonym))[-1]
    assert withdrawal.evidence == f"web-form:{dict(form['fields'])['submission']}"

    tampered = url[:-1] + ("a" if url[-1] != "a" else "b")
    before = await _state(core)
    assert (await mail.get(tampered))[0] == 400
    assert (await _post_raw(mail, tampered, *URLENCODED))[0] == 400
    assert await _state(core) == before
    async with core.uow() as uow:
        assert (await uow.ledger.verify()).ok


async def test_coming_back_after_leaving_needs_a_new_confirmed_opt_in(
    mail: MailService, core: Core, tmp_path: Path
) -> None:
    (issue,) = (await _issue(mail, core, tmp_path, 1)).values()
    address = issue["To"]
    await _post_raw(mail, _one_click_url(mail, issue), *URLENCODED)
    assert (await _sign_up(mail, address))[0] == 200
    ref = await subjects.lookup(core, contacts.email(address))
    assert ref is not None
    assert (await subscription_of(core, ref.id)).state is NewsletterState.PENDING
    assert await is_suppressed(core, address)  # signing up alone lifts nothing
    report = await send(core, write_template(tmp_path / "issue2"))
    assert report.queued == 0

    confirmation = await _confirmation_mail(mail, address)
    status, _, sent = await _confirm(mail, mail.link(confirmation, "/n/"))
    assert status == 200 and not await is_suppressed(core, address)
    submission = dict(sent)["submission"]
    assert (await send(core, write_template(tmp_path / "issue3"))).queued == 1
    events = await newsletter_events(core, ref.pseudonym)
    assert [(e.action, e.channel, e.actor) for e in events] == [
        (ConsentAction.GRANTED, Channel.WEB, Actor.SUBJECT),  # the first opt-in (test helper)
        (ConsentAction.WITHDRAWN, Channel.WEB, Actor.SUBJECT),  # one click
        (ConsentAction.GRANTED, Channel.WEB, Actor.SUBJECT),  # the new confirmation
    ]
    assert events[-1].evidence == f"web-form:{submission}"


def _unsubscribe_mail(sender: str, to: str, **headers: str) -> bytes:
    raw = message("Please unsubscribe me.", sender=sender, subject="unsubscribe", headers=headers)
    return raw.replace(b"To: intake@intake.test", f"To: {to}".encode())


async def test_the_mailto_route_and_mail_to_unsubscribe_at(
    mail: MailService, core: Core, tmp_path: Path
) -> None:
    issues = await _issue(mail, core, tmp_path, 3)
    by_token, by_address, automatic = (issues[f"reader{i}@example.org"] for i in range(3))

    # The List-Unsubscribe mailto, from whatever address the reader's mail program uses.
    mailto = str(by_token["List-Unsubscribe"]).split(",")[1].strip(" <>").removeprefix("mailto:")
    raw = _unsubscribe_mail("Reader <forwarded@example.net>", mailto)
    assert (await mail.send(raw, mail_from="forwarded@example.net", to=[mailto])).code == 250
    # From the subscribed address to plain unsubscribe@.
    plain = "unsubscribe@intake.test"
    raw = _unsubscribe_mail(by_address["To"], plain)
    assert (await mail.send(raw, mail_from=by_address["To"], to=[plain])).code == 250
    # Automatic mail is no request to leave: a delivery report (null sender), an auto-reply.
    for envelope, headers in (("", {}), (automatic["To"], {"Auto-Submitted": "auto-replied"})):
        raw = _unsubscribe_mail(automatic["To"], plain, **headers)
        assert (await mail.send(raw, mail_from=envelope, to=[plain])).code == 250
    assert await _outcomes_unanswered(mail, core) == [
        "ignored:auto_submitted",
        "ignored:null_sender",
        "unsubscribe:address",
        "unsubscribe:token",
    ]
    for issue in (by_token, by_address):
        ref = await subjects.lookup(core, contacts.email(issue["To"]))
        assert ref is not None
        assert (await subscription_of(core, ref.id)).state is NewsletterState.UNSUBSCRIBED
        assert await is_suppressed(core, issue["To"])
        withdrawal = (await newsletter_events(core, ref.pseudonym))[-1]
        assert (withdrawal.action, withdrawal.channel, withdrawal.actor) == (
            ConsentAction.WITHDRAWN,
            Channel.EMAIL,
            Actor.SUBJECT,
        )
        assert withdrawal.evidence.startswith("mail <") and withdrawal.evidence.endswith("@example.org>")
    assert not await is_suppressed(core, "forwarded@example.net")  # the token named the subscription
    ref = await subjects.lookup(core, contacts.email(automatic["To"]))
    assert ref is not None
    assert (await subscription_of(core, ref.id)).state is NewsletterState.ACTIVE


# Bounces and complaints ----------------------------------------------------------------------


async def test_hard_bounces_and_complaints_unsubscribe_soft_and_forged_ones_do_not(
    mail: MailService, core: Core, tmp_path: Path
) -> None:
    issues = await _issue(mail, core, tmp_path, 4)
    hard, soft, complained, named = (issues[f"reader{i}@example.org"] for i in range(4))
    bounces = ["bounces@intake.test"]
    reports = [
        delivery_report(hard["Message-ID"], hard["To"], "5.1.1"),
        delivery_report(soft["Message-ID"], soft["To"], "4.2.2", action="delayed"),
        delivery_report("<never-sent@intake.test>", soft["To"], "5.1.1"),  # forged: not a mail we sent
        delivery_report(complained["Message-ID"], soft["To"], "5.1.1"),  # names someone it was not sent to
        complaint(complained["Message-ID"], None),
        complaint(named["Message-ID"], named["To"]),
    ]
    for report in reports:
        assert (await mail.send(report, mail_from="", to=bounces)).code == 250
    assert await _outcomes_unanswered(mail, core) == [
        "bounce:marked",
        "bounce:not_failed",
        "bounce:soft",
        "bounce:unmatched",
        "complaint:unsubscribed",
        "complaint:unsubscribed",
    ]
    async with core.uow() as uow:
        unreachable = {
            p.subject_id for p in (await uow.session.scalars(select(ContactPoint))).all() if p.unreachable
        }
    expected = {hard["To"]: "hard bounce", complained["To"]: "complaint", named["To"]: "complaint"}
    for address, reason in expected.items():
        ref = await subjects.lookup(core, contacts.email(address))
        assert ref is not None and ref.id in unreachable
        assert (await subscription_of(core, ref.id)).state is NewsletterState.UNSUBSCRIBED
        assert await is_suppressed(core, address)
        withdrawal = (await newsletter_events(core, ref.pseudonym))[-1]
        assert (withdrawal.action, withdrawal.channel, withdrawal.actor, withdrawal.actor_reason) == (
            ConsentAction.WITHDRAWN,
            Channel.EMAIL,
            Actor.SYSTEM,
            reason,
        )
    ref = await subjects.lookup(core, contacts.email(soft["To"]))
    assert ref is not None and ref.id not in unreachable
    assert (await subscription_of(core, ref.id)).state is NewsletterState.ACTIVE
    assert not await is_suppressed(core, soft["To"])


async def test_a_complaint_about_a_candidates_own_mail_changes_nothing(mail: MailService, core: Core) -> None:
    assert (await mail.send(message("Ik zoek een coach voor mijn loopbaan."))).code == 250
    await mail.settle()
    (answer,) = mail.new_mail()
    report = complaint(answer["Message-ID"], "kandidaat@example.org")
    assert (await mail.send(report, mail_from="", to=["bounces@intake.test"])).code == 250
    assert await _outcomes_unanswered(mail, core) == ["complaint:ignored", "draft"]
    assert [p.unreachable for p in await rows(core, ContactPoint) if p.kind is ContactKind.EMAIL] == [False]
    assert not await is_suppressed(core, "kandidaat@example.org")
