import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from consent_store.enums import Purpose, RequestState
from intake import rules
from intake.rules import CoachProfile


def coach(*, topics=("career",), languages=("nl",), capacity=3, active=True) -> CoachProfile:  # type: ignore[no-untyped-def]
    return CoachProfile(uuid.uuid4(), active, topics, languages, capacity)


def test_special_category_requests_need_explicit_consent_as_well() -> None:
    assert rules.required_consents(False) == {Purpose.CONTACT_HANDOVER}
    assert rules.required_consents(True) == {Purpose.CONTACT_HANDOVER, Purpose.SPECIAL_CATEGORY}
    assert rules.missing_consents([Purpose.CONTACT_HANDOVER], True) == [Purpose.SPECIAL_CATEGORY]
    assert rules.missing_consents([Purpose.NEWSLETTER], False) == [Purpose.CONTACT_HANDOVER]
    assert rules.missing_consents(list(Purpose), True) == []


@pytest.mark.parametrize(
    ("profile", "topic", "language", "load", "eligible"),
    [
        (coach(), "career", "nl", 0, True),
        (coach(active=False), "career", "nl", 0, False),
        (coach(), "study", "nl", 0, False),
        (coach(topics=()), "study", "nl", 0, True),  # no topics listed: takes every topic
        (coach(), "career", "en", 0, False),
        (coach(capacity=2), "career", "nl", 2, False),
        (coach(capacity=2), "career", "nl", 1, True),
    ],
)
def test_eligibility(profile: CoachProfile, topic: str, language: str, load: int, eligible: bool) -> None:
    assert rules.is_eligible(profile, topic=topic, language=language, load=load) is eligible


def test_choose_prefers_coaches_matched_longest_ago_and_respects_limit_and_exclusions() -> None:
    a, b, c, d = (coach() for _ in range(4))
    now = datetime(2026, 5, 1, tzinfo=UTC)
    chosen = rules.choose_coaches(
        [a, b, c, d],
        topic="career",
        language="nl",
        loads={},
        last_handover={a.id: now, b.id: now - timedelta(days=9)},
        exclude={d.id},
        limit=2,
        rng=random.Random(7),
    )
    assert chosen == [c, b]  # c never matched, then b (longest ago); a is most recent; d excluded


def test_request_state_machine_has_no_way_back_from_a_final_state() -> None:
    for final in (RequestState.HANDED_OVER, RequestState.WITHDRAWN, RequestState.EXPIRED):
        assert rules.REQUEST_TRANSITIONS[final] == frozenset()
    assert rules.sources_of(RequestState.HANDED_OVER) == {RequestState.ACCEPTED}
    assert RequestState.OPEN in rules.REQUEST_TRANSITIONS[RequestState.ACCEPTED]  # candidate declines


def test_retry_delay_grows_and_is_capped() -> None:
    first = rules.retry_delay(1, jitter=0)
    third = rules.retry_delay(3, jitter=0)
    assert first == timedelta(seconds=5) and third == timedelta(seconds=20)
    assert rules.retry_delay(40, jitter=0) == timedelta(seconds=3600)
    spread = {rules.retry_delay(2).total_seconds() for _ in range(50)}
    assert min(spread) >= 8 and max(spread) <= 12 and len(spread) > 1


def test_an_erase_confirmation_counts_for_a_quarter_of_an_hour() -> None:
    asked = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert rules.erase_confirmation_valid(asked, asked + timedelta(minutes=15))
    assert not rules.erase_confirmation_valid(asked, asked + timedelta(minutes=15, seconds=1))
    assert not rules.erase_confirmation_valid(None, asked)
