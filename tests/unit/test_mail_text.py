"""The candidate's own words from a mail body (no I/O)."""

from __future__ import annotations

from mail_ingest.text import html_to_text, own_words


def test_gmail_reply_keeps_only_the_new_text() -> None:
    body = (
        "Ja, dat klopt. Ik wil vooral hulp bij solliciteren.\n\n"
        "Op ma 3 feb. 2025 om 10:00 schreef Intake <noreply@intake.test>:\n\n"
        "> Dank je wel voor je e-mail.\n> Je referentie is R-ABC123.\n"
    )
    assert own_words(body) == "Ja, dat klopt. Ik wil vooral hulp bij solliciteren."


def test_wrapped_attribution_line_is_dropped_too() -> None:
    body = (
        "Thanks, see below.\n\nOn Mon, 3 Feb 2025 at 10:00, Intake Practice <noreply@intake.test>\n"
        "wrote:\n> quoted text\n"
    )
    assert own_words(body) == "Thanks, see below."


def test_outlook_reply_cuts_at_the_quoted_header_block() -> None:
    body = (
        "Graag, bedankt.\n\n"
        "Van: Intake <noreply@intake.test>\nVerzonden: maandag 3 februari 2025 10:00\n"
        "Aan: Kim <kim@example.org>\nOnderwerp: Bevestig je hulpvraag\n\nOude tekst\n"
    )
    assert own_words(body) == "Graag, bedankt."


def test_signature_and_mobile_footer_are_removed() -> None:
    body = "Ik zoek een coach.\n\nVerzonden vanaf mijn iPhone\n-- \nKim de Vries\n06-12345678\n"
    assert own_words(body) == "Ik zoek een coach."


def test_a_sentence_that_merely_looks_like_an_attribution_stays() -> None:
    body = "Op maandag schreef ik dit:\nik wil een andere baan."
    assert own_words(body) == body


def test_forward_keeps_own_words_and_forwarded_text_without_its_header_block() -> None:
    body = (
        "Kunnen jullie hiermee helpen?\n\n"
        "---------- Forwarded message ---------\n"
        "From: Jan Jansen <jan@example.org>\nDate: Mon, 3 Feb 2025 at 10:00\n"
        "Subject: Loopbaan\nTo: <kim@example.org>\n\n\n"
        "Ik wil graag een andere baan.\n-- \nJan\n"
    )
    result = own_words(body, forward=True)
    assert result == "Kunnen jullie hiermee helpen?\n\nIk wil graag een andere baan."
    assert "jan@example.org" not in result


def test_outlook_forward_without_marker_line() -> None:
    body = (
        "Zie hieronder.\n\nFrom: Jan <jan@example.org>\nSent: Monday, 3 February 2025 10:00\n"
        "To: Kim\nSubject: Vraag\n\nIk zoek werk als docent.\n"
    )
    assert own_words(body, forward=True) == "Zie hieronder.\n\nIk zoek werk als docent."


def test_html_quotes_are_left_out_and_layout_kept() -> None:
    html = (
        '<div dir="ltr">Hallo,<br>ik zoek <b>hulp</b>.<p>Tweede alinea</p></div>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon wrote:</div>'
        '<blockquote class="gmail_quote">oude tekst</blockquote></div>'
        "<style>p { color: red }</style><script>alert(1)</script>"
    )
    text = html_to_text(html)
    assert text.startswith("Hallo,\nik zoek hulp.")
    assert "Tweede alinea" in text
    assert "oude tekst" not in text and "alert" not in text and "color" not in text


def test_html_garbage_gives_empty_text() -> None:
    assert html_to_text("   ") == ""
    assert html_to_text("<<<>>>") in ("", "<<<>>>")
