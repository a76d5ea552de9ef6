"""Reading received mail: charsets, MIME structure, loop headers, delivery reports (no I/O)."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from mail_ingest import parse


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("latin-1")


def test_legacy_charsets_and_rfc2047_subject_are_decoded() -> None:
    raw = _crlf(
        "From: =?iso-8859-1?Q?Ren=E9e?= <renee@example.org>\n"
        "Subject: =?iso-8859-1?Q?Caf=E9_en_carri=E8re?=\n"
        "Message-ID: <a1@example.org>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        "Ik werk in een caf\xe9 en wil een andere carri\xe8re.\n"
    )
    mail = parse.request(raw, "renee@example.org")
    assert mail.subject == "Café en carrière"
    assert mail.body == "Ik werk in een café en wil een andere carrière."
    assert mail.from_address == "renee@example.org"
    assert mail.message_id == "<a1@example.org>"


def test_wrongly_labelled_and_unknown_charsets_fall_back() -> None:
    for declared in ("utf-8", "x-unknown-charset", "us-ascii"):
        raw = _crlf(
            f"From: a@example.org\nSubject: x\nContent-Type: text/plain; charset={declared}\n\n"
            "\x93Hallo\x94 \x96 caf\xe9\n"
        )
        assert parse.request(raw, "a@example.org").body == "“Hallo” – café"


def test_html_only_mail_is_read_as_text() -> None:
    mail = EmailMessage()
    mail["From"] = "a@example.org"
    mail["Subject"] = "Vraag"
    mail.set_content("<html><body><p>Ik zoek <i>een coach</i>.</p><p>Groet</p></body></html>", subtype="html")
    read = parse.request(mail.as_bytes(policy=SMTP), "a@example.org")
    assert read.body == "Ik zoek een coach.\n\nGroet"


def test_plain_alternative_is_preferred_and_attachments_are_counted_not_read() -> None:
    mail = EmailMessage()
    mail["From"] = "a@example.org"
    mail["Subject"] = "Vraag"
    mail.set_content("platte tekst")
    mail.add_alternative("<p>html tekst</p>", subtype="html")
    mail.add_attachment(b"%PDF-1.4 secret", maintype="application", subtype="pdf", filename="cv.pdf")
    mail.add_attachment("notities", filename="notes.txt")
    read = parse.request(mail.as_bytes(policy=SMTP), "a@example.org")
    assert read.body == "platte tekst"
    assert read.attachments == 2


def test_forwarded_message_attachment_is_read_as_forwarded_text() -> None:
    inner = EmailMessage()
    inner["From"] = "Jan <jan@example.org>"
    inner["Subject"] = "Mijn vraag"
    inner.set_content("Ik wil omscholen tot verpleegkundige.")
    outer = EmailMessage()
    outer["From"] = "a@example.org"
    outer["Subject"] = "Fwd: Mijn vraag"
    outer.set_content("Dit stuurde ik eerder.")
    outer.add_attachment(inner)
    read = parse.request(outer.as_bytes(policy=SMTP), "a@example.org")
    assert read.body == "Dit stuurde ik eerder.\n\nIk wil omscholen tot verpleegkundige."
    assert read.attachments == 0


def test_malformed_mime_never_raises() -> None:
    samples = [
        b"",
        b"\r\n\r\n",
        b"garbage without headers",
        _crlf(
            "Subject: x\nContent-Type: multipart/mixed; boundary=zzz\n\n--zzz\nContent-Type: text/plain\n\n"
            "half"
        ),
        _crlf("Subject: x\nContent-Type: multipart/mixed\n\nno boundary at all\n"),
        _crlf("Subject: x\nContent-Transfer-Encoding: base64\n\n!!!not base64@@@\n"),
        _crlf("From: <<<@@@>>>\nMessage-ID: <<>>\nSubject: =?bogus?Q?x?=\n\nbody\n"),
        b"Subject: \xff\xfe\r\nFrom: \x80\x81@\x82\r\n\r\n\xff\xfe\xfd",
    ]
    for raw in samples:
        read = parse.request(raw, "a@example.org")
        assert isinstance(read.body, str)
    assert parse.request(samples[3], "a@example.org").body == "half"


def test_loop_headers_are_collected() -> None:
    raw = _crlf(
        "From: a@example.org\nAuto-Submitted: auto-replied\nPrecedence: bulk\nList-Id: <x.example.org>\n"
        "X-Auto-Response-Suppress: All\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        "--b\n\ntext\n--b--\n"
    )
    read = parse.request(raw, "")
    assert read.headers["auto-submitted"] == "auto-replied"
    assert read.headers["precedence"] == "bulk"
    assert "list-id" in read.headers and "x-auto-response-suppress" in read.headers
    assert read.is_report


def test_message_id_of_reads_headers_only() -> None:
    assert parse.message_id_of(b"Message-ID: <x@y>\r\n\r\nbody") == "<x@y>"
    assert parse.message_id_of(b"no headers") is None


def _dsn(original_id: str, recipient: str, status: str, action: str = "failed") -> bytes:
    return _crlf(
        "From: MAILER-DAEMON@mx.example.org\nTo: bounces@intake.test\nSubject: Undelivered Mail\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\n\n"
        "--B\nContent-Type: text/rfc822-headers\n\n"
        f"From: noreply@intake.test\nMessage-ID: {original_id}\nSubject: x\n\n"
        "--B--\n"
    )


def test_delivery_report_names_the_original_and_the_failed_recipient() -> None:
    report = parse.delivery_report(_dsn("<orig@intake.test>", "kim@example.org", "5.1.1"))
    assert report.original_message_ids == ("<orig@intake.test>",)
    assert report.failed == ("kim@example.org",)


def test_delayed_delivery_is_not_a_failure() -> None:
    report = parse.delivery_report(_dsn("<orig@intake.test>", "kim@example.org", "4.4.1", action="delayed"))
    assert report.failed == ()
    assert report.delayed == ("kim@example.org",)


def test_a_failed_action_with_a_temporary_status_is_soft() -> None:
    report = parse.delivery_report(_dsn("<orig@intake.test>", "kim@example.org", "4.2.2"))
    assert (report.failed, report.delayed) == ((), ("kim@example.org",))


def _arf(feedback_type: str, rcpt: str | None, original: str = "message/rfc822") -> bytes:
    return _crlf(
        "From: fbl@isp.example\nTo: bounces@intake.test\nSubject: Abuse report\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n'
        "--F\nContent-Type: text/plain\n\nThis is an email abuse report.\n"
        "--F\nContent-Type: message/feedback-report\n\n"
        f"Feedback-Type: {feedback_type}\nUser-Agent: FBL/1.0\nVersion: 1\n"
        + (f"Original-Rcpt-To: <{rcpt}>\n" if rcpt else "")
        + f"\n--F\nContent-Type: {original}\n\n"
        "From: noreply@intake.test\nMessage-ID: <issue-1@intake.test>\nSubject: Nieuws\n\n"
        "--F--\n"
    )


def test_a_feedback_loop_complaint_names_the_mail_and_who_complained() -> None:
    report = parse.delivery_report(_arf("abuse", "anna@example.org"))
    assert report.complaint and report.complainants == ("anna@example.org",)
    assert report.original_message_ids == ("<issue-1@intake.test>",)
    assert report.failed == report.delayed == ()
    redacted = parse.delivery_report(_arf("abuse", None, original="text/rfc822-headers"))
    assert redacted.complaint and redacted.complainants == ()
    assert redacted.original_message_ids == ("<issue-1@intake.test>",)
    assert not parse.delivery_report(_arf("not-spam", "anna@example.org")).complaint


def test_unsubscribe_mail_reads_the_tokens_and_the_sender() -> None:
    raw = _crlf(
        "From: Anna <Anna@Example.org>\nTo: unsubscribe@intake.test\nSubject: unsubscribe\n"
        "Message-ID: <u1@example.org>\nAuto-Submitted: auto-replied\n\nPlease take me off.\n"
    )
    recipients = ["unsubscribe+AbC123@Intake.Test", "unsubscribe@intake.test", "unsubscribe+x@other.example"]
    mail = parse.unsubscribe(raw, "bounce-1@esp.example", recipients, "intake.test")
    assert mail.tokens == ("AbC123",)
    assert mail.from_address == "Anna@Example.org" and mail.envelope_sender == "bounce-1@esp.example"
    assert mail.message_id == "<u1@example.org>"
    assert mail.headers == {"auto-submitted": "auto-replied"}
    assert "Anna" not in repr(mail)
    empty = parse.unsubscribe(b"\x00garbage", "", ["unsubscribe@intake.test"], "intake.test")
    assert empty.tokens == () and empty.from_address is None
