"""Mail to intake@ through real SMTP sessions on loopback: stored before 250, processed into a
held draft with an automatic answer, and never answered when that could start a loop."""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import make_msgid

import pytest

from consent_store.enums import ContactKind, RequestState
from consent_store.models import (
    AutoReply,
    ContactPoint,
    InboundMail,
    InboundState,
    IntakeRequest,
    OutboxMessage,
)
from intake.core import Core
from intake.services import requests
from tests.support.mail import INTAKE, MailService, body_text, mail_fixture, message, rows, settings_fixture

USES_FIXTURES = (mail_fixture, settings_fixture)  # pytest finds them by name: mail, settings


async def _original(core: Core, request: IntakeRequest) -> str:
    async with core.uow() as uow:
        cipher = await uow.subject_cipher(request.subject_id)
        assert request.original_ciphertext is not None
        return cipher.decrypt_text(request.original_ciphertext, requests.request_aad(request.id))


async def test_a_request_by_mail_becomes_a_held_draft_and_is_answered(mail: MailService, core: Core) -> None:
    message_id = make_msgid(domain="example.org")
    raw = message(
        "Ik ben docent en wil graag een overstap maken naar ander werk. Bel me op 06-12345678.",
        subject="Hulp bij mijn loopbaan",
        message_id=message_id,
        headers={"References": "<earlier@example.org>"},
    )
    reply = await mail.send(raw)
    assert reply.code == 250 and reply.text.startswith("2.0.0 OK: queued as")

    assert len(await rows(core, InboundMail)) == 1  # committed before the 250

    await mail.settle()
    (request,) = await rows(core, IntakeRequest)
    assert request.state is RequestState.DRAFT
    assert request.source_ref == message_id
    assert request.expires_at == core.clock.now() + core.settings.confirmation_ttl
    assert request.topic == "career"
    assert "06-12345678" not in request.anonymised_text and "overstap" in request.anonymised_text
    assert await _original(core, request) == (
        "Hulp bij mijn loopbaan\n\n"
        "Ik ben docent en wil graag een overstap maken naar ander werk. Bel me op 06-12345678."
    )
    (processed,) = await rows(core, InboundMail)
    assert processed.state is InboundState.DONE and processed.outcome == "draft"
    assert processed.raw is None and processed.envelope is None  # the message itself is not kept
    (point,) = await rows(core, ContactPoint)
    assert point.kind is ContactKind.EMAIL and b"kandidaat@example.org" not in point.ciphertext

    (answer,) = mail.new_mail()
    assert answer["To"] == "kandidaat@example.org"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer["In-Reply-To"] == message_id
    assert answer["References"] == f"<earlier@example.org> {message_id}"
    assert answer["From"].addresses[0].domain == "intake.test"
    assert answer["Message-ID"].endswith("@intake.test>") and answer["Date"]
    assert request.reference in answer["Subject"]
    assert answer.get_content_type() == "multipart/alternative"
    text = body_text(answer)
    assert request.anonymised_text in text  # exactly what coaches would see
    html = answer.get_body(preferencelist=("html",)).get_content()
    assert "Zo lezen coaches je vraag" in html and "/c/" in html
    assert mail.link(answer, "/c/")


async def test_english_mail_gets_an_english_answer(mail: MailService, core: Core) -> None:
    raw = message(
        "I would like some help finding a new job after my studies.",
        subject="Looking for a coach",
        headers={"Content-Language": "en-GB"},
    )
    assert (await mail.send(raw)).code == 250
    await mail.settle()
    (answer,) = mail.new_mail()
    assert answer["Subject"].startswith("Please confirm your request")
    (request,) = await rows(core, IntakeRequest)
    async with core.uow() as uow:
        subject = await uow.subjects.get(request.subject_id)
    assert subject is not None and subject.locale == "en"


async def test_html_only_mail(mail: MailService, core: Core) -> None:
    raw = message(
        None,
        html="<html><body><p>Ik zoek <b>begeleiding</b> bij solliciteren.</p>"
        '<div class="gmail_quote">oud bericht</div></body></html>',
        subject="Vraag",
    )
    assert (await mail.send(raw)).code == 250
    await mail.settle()
    (request,) = await rows(core, IntakeRequest)
    assert await _original(core, request) == "Ik zoek begeleiding bij solliciteren."
    assert request.topic == "job_search"


async def test_non_utf8_mail_and_encoded_headers(mail: MailService, core: Core) -> None:
    raw = (
        "From: =?iso-8859-1?Q?Ren=E9e?= <renee@example.org>\r\n"
        f"To: {INTAKE}\r\n"
        "Subject: =?windows-1252?Q?Overstap_na_mijn_caf=E9?=\r\n"
        "Message-ID: <latin1@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=windows-1252\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Ik had 20 jaar een caf\xe9 en zoek nu \x93iets anders\x94.\r\n"
    ).encode("latin-1")
    assert (await mail.send(raw, mail_from="renee@example.org")).code == 250
    await mail.settle()
    (request,) = await rows(core, IntakeRequest)
    assert await _original(core, request) == (
        "Overstap na mijn café\n\nIk had 20 jaar een café en zoek nu “iets anders”."
    )
    assert len(mail.new_mail()) == 1


async def test_smtputf8_address_and_utf8_body(mail: MailService, core: Core) -> None:
    client = await mail.client()
    try:
        raw = message("Ik zoek hulp bij mijn loopbaan.", sender="Zoë <zoë@exämple.org>")
        reply = await client.send("zoë@exämple.org", [INTAKE], raw, options="SMTPUTF8")
        assert reply.code == 250
    finally:
        await client.quit()
    await mail.settle()
    assert len(await rows(core, IntakeRequest)) == 1
    (answer,) = mail.new_mail()
    assert "zoë@exämple.org" in answer["To"]


async def test_malformed_mime_is_accepted_and_read_as_far_as_possible(mail: MailService, core: Core) -> None:
    broken = (
        b"From: kandidaat@example.org\r\nTo: intake@intake.test\r\nSubject: =?bogus?Q?x?=\r\n"
        b"Message-ID: <broken@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="zzz"\r\n\r\n'
        b"--zzz\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        # "Ik zoek een coach voor mijn loopbaan", then junk
        b"SWsgem9layBlZW4gY29hY2ggdm9vciBtaWpuIGxvb3BiYWFu!!!\r\n"
        b"--zzz\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01"  # never closed
    )
    assert (await mail.send(broken)).code == 250
    await mail.settle()
    (request,) = await rows(core, IntakeRequest)
    assert "Ik zoek een coach voor mijn loopbaan" in await _original(core, request)
    (answer,) = mail.new_mail()
    assert "1 bijlage" in body_text(answer)


async def test_mail_without_any_text_gets_a_short_answer_and_no_draft(mail: MailService, core: Core) -> None:
    raw = message("", subject="", attachments=[("cv.pdf", b"%PDF-1.4 " + b"x" * 1000, "application/pdf")])
    assert (await mail.send(raw)).code == 250
    await mail.settle()
    assert await rows(core, IntakeRequest) == []
    (answer,) = mail.new_mail()
    assert answer["Subject"] == "We konden geen vraag in je e-mail vinden"
    assert "intake@intake.test" in body_text(answer)
    (processed,) = await rows(core, InboundMail)
    assert processed.outcome == "no_text"


async def test_nine_megabyte_mail_with_attachment_is_accepted_but_the_attachment_not_kept(
    mail: MailService, core: Core
) -> None:
    attachment = bytes(range(256)) * (int(6.6 * 1024 * 1024) // 256)  # base64: about 9.5 MB
    raw = message(
        "Zie mijn cv in de bijlage. Ik zoek werk.", attachments=[("cv.pdf", attachment, "application/pdf")]
    )
    assert 9_000_000 < len(raw) < core.settings.smtp_max_bytes
    reply = await mail.send(raw)
    assert reply.code == 250
    await mail.settle()
    (request,) = await rows(core, IntakeRequest)
    assert len(request.original_ciphertext or b"") < 1000
    (processed,) = await rows(core, InboundMail)
    assert processed.raw is None and processed.size == len(raw)
    (answer,) = mail.new_mail()
    assert "1 bijlage meegestuurd" in body_text(answer).replace("\n", " ") or "1 bijlage" in body_text(answer)
    assert "bewaren we niet" in body_text(answer)


async def test_long_mail_is_cut_and_the_candidate_told(mail: MailService, core: Core) -> None:
    raw = message("Ik zoek een nieuwe baan. " * 400, subject="Vraag")
    assert (await mail.send(raw)).code == 250
    await mail.settle()
    (request,) = await rows(core, IntakeRequest)
    assert len(await _original(core, request)) <= core.settings.max_request_chars
    assert "langer dan 4000 tekens" in body_text(mail.new_mail()[0])


@pytest.mark.parametrize(
    ("mail_from", "headers", "reason"),
    [
        ("kandidaat@example.org", {"Auto-Submitted": "auto-replied"}, "auto_submitted"),
        ("kandidaat@example.org", {"Precedence": "bulk"}, "precedence"),
        ("kandidaat@example.org", {"List-Id": "<nieuws.example.org>"}, "mailing_list"),
        ("kandidaat@example.org", {"X-Auto-Response-Suppress": "All"}, "response_suppressed"),
        ("", {}, "null_sender"),
        ("noreply@intake.test", {}, "own_mail"),
    ],
)
async def test_automatic_mail_gets_no_answer_and_no_draft(
    mail: MailService, core: Core, mail_from: str, headers: dict[str, str], reason: str
) -> None:
    reply = await mail.send(message("Ik ben afwezig tot maandag.", headers=headers), mail_from=mail_from)
    assert reply.code == 250
    await mail.settle()
    assert await rows(core, IntakeRequest) == []
    assert await rows(core, OutboxMessage) == []
    assert mail.new_mail() == []
    (processed,) = await rows(core, InboundMail)
    assert processed.outcome == f"ignored:{reason}" and processed.raw is None


async def test_at_most_a_few_answers_per_sender_per_day(mail: MailService, core: Core) -> None:
    limit = core.settings.auto_replies_per_day
    for n in range(limit + 2):
        assert (await mail.send(message(f"Vraag nummer {n} over mijn loopbaan."))).code == 250
    await mail.settle()
    assert len(mail.new_mail()) == limit
    assert len(await rows(core, IntakeRequest)) == limit
    outcomes = sorted(m.outcome for m in await rows(core, InboundMail))
    assert outcomes.count("ignored:rate_limited") == 2
    assert len(await rows(core, AutoReply)) == limit

    core.clock.advance(timedelta(days=1, minutes=1))  # type: ignore[attr-defined]
    assert (await mail.send(message("Een nieuwe dag, een nieuwe vraag."))).code == 250
    await mail.settle()
    assert len(mail.new_mail()) == 1


async def test_a_resent_copy_is_acknowledged_and_stored_once(mail: MailService, core: Core) -> None:
    raw = message("Ik zoek een loopbaancoach.")
    first = await mail.send(raw)
    second = await mail.send(raw)  # e.g. the client timed out waiting for our 250 and tries again
    assert first.code == 250 and second.code == 250
    assert second.text == "2.0.0 OK: already received"
    await mail.settle()
    third = await mail.send(raw)  # also after processing, within the duplicate window
    assert third.code == 250
    await mail.settle()
    assert len(await rows(core, InboundMail)) == 1
    assert len(await rows(core, IntakeRequest)) == 1
    assert len(mail.new_mail()) == 1


async def test_same_message_id_with_other_bytes_makes_no_second_request(
    mail: MailService, core: Core
) -> None:
    message_id = make_msgid(domain="example.org")
    raw = message("Ik zoek een coach.", message_id=message_id)
    await mail.send(raw)
    await mail.send(b"Received: from a second relay\r\n" + raw)
    await mail.settle()
    assert len(await rows(core, InboundMail)) == 2
    assert len(await rows(core, IntakeRequest)) == 1
    assert sorted(m.outcome for m in await rows(core, InboundMail)) == ["draft", "ignored:duplicate"]


async def test_unsubscribe_mail_is_processed_and_never_answered(mail: MailService, core: Core) -> None:
    for to in ("unsubscribe@intake.test", "unsubscribe+T0KEN.abc@intake.test"):
        reply = await mail.send(message("unsubscribe", subject="unsubscribe"), to=[to])
        assert reply.code == 250
    await mail.settle()
    stored = await rows(core, InboundMail)
    assert [m.kind.value for m in stored] == ["unsubscribe", "unsubscribe"]
    assert all(m.state is InboundState.DONE and m.raw is None for m in stored)
    # Not a valid token: the sender's own address is taken off (tests/integration/test_newsletter_routes.py).
    assert [m.outcome for m in stored] == ["unsubscribe:address", "unsubscribe:address"]
    assert mail.new_mail() == []


async def test_smtp_sessions_leave_no_address_in_the_logs(
    mail: MailService, core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    """aiosmtpd logs each command line, the envelope and the peer's IP address at INFO."""
    with caplog.at_level(logging.DEBUG):
        accepted = await mail.send(message("Ik zoek een coach. Bel me op 06-12345678."))
        refused = await mail.send(message("Hallo"), to=["niemand@intake.test"])
        await mail.settle()
        logging.getLogger("mail.log").warning("odd client %s", "kandidaat@example.org")
    assert (accepted.code, refused.code) == (250, 550)
    # Positive control: the capture works, and aiosmtpd's warnings are kept, without details.
    assert "problem reported (details withheld" in caplog.text
    for secret in ("kandidaat@example.org", "niemand@intake.test", "12345678", "127.0.0.1"):
        assert secret not in caplog.text, secret
