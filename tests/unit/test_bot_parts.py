"""Small parts of the bot without I/O: callback data, splitting long text, the token bucket."""

from __future__ import annotations

import uuid
from unittest import mock

from bot.callbacks import (
    PURPOSE_CODES,
    Consent,
    ContactMethod,
    Erase,
    Go,
    Language,
    OfferAccept,
    Topic,
    WithdrawConsent,
    WithdrawRequest,
    action_data,
)
from bot.text import chunks, utf16_length
from bot.throttle import LocalBuckets
from consent_store.enums import Purpose
from intake import topics

LIMIT = 64  # bytes, Telegram's limit for callback data


def test_every_callback_fits_telegrams_limit() -> None:
    hexed = uuid.uuid4().hex
    longest_topic = max(topics.TOPICS, key=len)
    packed = [
        Go(step="rewrite").pack(),
        Topic(code=longest_topic).pack(),
        ContactMethod(kind="telegram").pack(),
        WithdrawConsent(purpose=max((p.value for p in Purpose), key=len)).pack(),
        WithdrawRequest(request=hexed).pack(),
        Erase(yes=1).pack(),
        Language(code="nl").pack(),
        *(
            Consent(purpose=code, yes=1, lang="nl", version="2099.12.31", digest="0" * 12).pack()
            for code in PURPOSE_CODES.values()
        ),
        *(
            action_data(name, hexed) or ""
            for name in ("offer.accept", "offer.decline", "match.confirm", "match.decline")
        ),
    ]
    assert all(0 < len(data.encode()) <= LIMIT for data in packed), max(packed, key=len)


def test_outbox_actions_map_to_short_callbacks() -> None:
    ref = uuid.uuid4().hex
    assert action_data("offer.accept", ref) == f"oa:{ref}"
    assert action_data("offer.decline", ref) == f"od:{ref}"
    assert action_data("match.confirm", ref) == f"mc:{ref}"
    assert action_data("match.decline", ref) == f"md:{ref}"
    assert action_data("offer.open", ref) is None  # a link, for e-mail
    assert OfferAccept.unpack(f"oa:{ref}").offer == ref


def test_long_text_is_split_at_paragraphs_within_the_limit() -> None:
    paragraph = "Een zin over werk en loopbaan. " * 40
    text = "\n\n".join([paragraph.strip()] * 5)
    parts = chunks(text, limit=2000)
    assert len(parts) > 1 and all(utf16_length(p) <= 2000 for p in parts)
    assert " ".join(parts).split() == text.split()  # nothing lost, nothing added
    assert chunks("kort") == ["kort"]


def test_splitting_counts_utf16_like_telegram() -> None:
    text = "😀" * 3000  # 6000 UTF-16 code units
    parts = chunks(text)
    assert [utf16_length(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    buckets = LocalBuckets(rate=1.0, burst=3)
    with mock.patch("bot.throttle.time.monotonic", return_value=100.0):
        results = [buckets.take_now(1) for _ in range(5)]
    assert results == [(True, False)] * 3 + [(False, True), (False, False)]  # warned once
    with mock.patch("bot.throttle.time.monotonic", return_value=101.5):
        assert buckets.take_now(1) == (True, False)
        assert buckets.take_now(1) == (False, True)
        assert buckets.take_now(2) == (True, False)  # per user
