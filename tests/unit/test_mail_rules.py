"""The e-mail channel's rules as pure functions: loop prevention, topic, text, limits."""

from __future__ import annotations

import pytest

from consent_store.models import InboundKind
from intake.limits import TokenBuckets
from intake.services.mail_intake import IncomingMail, compose, guess_topic, why_no_answer
from mail_ingest.limits import ClientLimits
from mail_ingest.server import classify


def _mail(**changes: object) -> IncomingMail:
    values: dict[str, object] = {
        "envelope_sender": "kim@example.org",
        "from_address": "kim@example.org",
        "message_id": "<1@example.org>",
        "subject": "Vraag",
        "body": "Ik zoek een coach.",
        "language_hint": None,
        "attachments": 0,
    }
    values.update(changes)
    return IncomingMail(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"headers": {"auto-submitted": "no"}}, None),
        ({"envelope_sender": ""}, "null_sender"),
        ({"envelope_sender": "<>"}, "null_sender"),
        ({"headers": {"auto-submitted": "auto-replied"}}, "auto_submitted"),
        ({"headers": {"auto-submitted": "auto-generated; owner-email=x@y"}}, "auto_submitted"),
        ({"headers": {"precedence": "Bulk"}}, "precedence"),
        ({"headers": {"precedence": "junk"}}, "precedence"),
        ({"headers": {"list-id": "<news.example.org>"}}, "mailing_list"),
        ({"headers": {"list-unsubscribe": "<mailto:x@y>"}}, "mailing_list"),
        ({"headers": {"x-auto-response-suppress": "OOF, AutoReply"}}, "response_suppressed"),
        ({"from_address": "noreply@intake.test"}, "own_mail"),
        ({"message_id": "<abc@intake.test>"}, "own_mail"),
        ({"headers": {"x-loop": "intake.test"}}, "own_mail"),
        ({"envelope_sender": "MAILER-DAEMON@mx.example.org"}, "robot_sender"),
        ({"from_address": "owner-list@example.org"}, "robot_sender"),
        ({"envelope_sender": "news-request@example.org"}, "robot_sender"),
        ({"is_report": True}, "report"),
    ],
)
def test_why_no_answer(changes: dict[str, object], reason: str | None) -> None:
    assert why_no_answer(_mail(**changes), "intake.test") == reason


def test_topic_is_guessed_only_when_clear() -> None:
    assert guess_topic("Ik solliciteer al maanden en mijn cv levert niets op") == "job_search"
    assert guess_topic("I want to switch careers and find my next step") == "career"
    assert guess_topic("Hallo, kunnen jullie helpen?") == "other"
    assert guess_topic("studie of ondernemen?") == "other"  # a tie is not a guess


def test_compose_adds_a_meaningful_subject_and_cuts_at_a_boundary() -> None:
    assert compose("Re: Fwd: Overstap naar de zorg", "Ik wil de zorg in.", 4000) == (
        "Overstap naar de zorg\n\nIk wil de zorg in.",
        False,
    )
    assert compose("Vraag", "Tekst", 4000) == ("Tekst", False)
    text, cut = compose("", "eerste alinea.\n\n" + "woord " * 50, 60)
    assert cut and len(text) <= 60 and text.startswith("eerste alinea.\n\nwoord") and text.endswith("woord")


def test_addresses_are_classified() -> None:
    assert classify("intake@intake.test", "intake.test") is InboundKind.REQUEST
    assert classify("Intake@INTAKE.test", "intake.test") is InboundKind.REQUEST
    assert classify("unsubscribe@intake.test", "intake.test") is InboundKind.UNSUBSCRIBE
    assert classify("unsubscribe+abc.def@intake.test", "intake.test") is InboundKind.UNSUBSCRIBE
    assert classify("bounces@intake.test", "intake.test") is InboundKind.BOUNCE
    others = ("intake+x@intake.test", "unsubscribe+@intake.test", "info@intake.test", "intake@example.org")
    for other in others:
        assert classify(other, "intake.test") is None


def test_token_buckets_refill_over_time() -> None:
    now = [0.0]
    buckets = TokenBuckets(2, clock=lambda: now[0])
    assert buckets.take("a") and buckets.take("a") and not buckets.take("a")
    assert buckets.take("b")
    now[0] += 30  # one per 30 s
    assert buckets.take("a") and not buckets.take("a")
    assert TokenBuckets(0).take("a")


def test_client_limits_count_open_connections() -> None:
    limits = ClientLimits(max_connections=1, connections_per_minute=0, messages_per_minute=0)
    assert limits.connect("a") and not limits.connect("a") and limits.connect("b")
    limits.disconnect("a")
    assert limits.connect("a")
