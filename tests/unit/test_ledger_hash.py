import uuid
from datetime import UTC, datetime

from consent_store.enums import Actor, Channel, ConsentAction, Purpose
from consent_store.ledger import GENESIS_HASH, compute_hash, event_content, head_mac, verify_event
from consent_store.models import ConsentEvent


def event(**changes: object) -> ConsentEvent:
    values: dict[str, object] = {
        "seq": 1,
        "id": uuid.UUID(int=1),
        "subject_pseudonym": "K-ABC123",
        "purpose": Purpose.SPECIAL_CATEGORY,
        "action": ConsentAction.GRANTED,
        "policy_version": "1",
        "wording_version": "1",
        "wording_sha256": "a" * 64,
        "language": "nl",
        "channel": Channel.TELEGRAM,
        "evidence": "update:42",
        "actor": Actor.SUBJECT,
        "actor_reason": None,
        "occurred_at": datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
        "prev_hash": GENESIS_HASH,
    }
    values.update(changes)
    made = ConsentEvent(**values)
    made.hash = compute_hash(event_content(made), made.prev_hash)
    return made


def test_hash_covers_every_field_and_the_previous_hash() -> None:
    base = event()
    assert verify_event(base)
    for field, other in [
        ("purpose", Purpose.NEWSLETTER),
        ("action", ConsentAction.WITHDRAWN),
        ("wording_sha256", "b" * 64),
        ("evidence", "update:43"),
        ("occurred_at", datetime(2026, 3, 1, 12, 0, 0, 123457, tzinfo=UTC)),
        ("seq", 2),
        ("prev_hash", "1" * 64),
    ]:
        changed = event(**{field: other})
        assert changed.hash != base.hash, field


def test_editing_a_stored_event_is_detected() -> None:
    stored = event()
    stored.action = ConsentAction.WITHDRAWN
    assert not verify_event(stored)


def test_timestamps_hash_the_same_whatever_their_zone() -> None:
    from zoneinfo import ZoneInfo

    amsterdam = datetime(2026, 3, 1, 13, 0, 0, 123456, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert event(occurred_at=amsterdam).hash == event().hash


def test_head_mac_depends_on_key_length_and_hash() -> None:
    mac = head_mac(b"k" * 32, 5, "f" * 64)
    assert mac != head_mac(b"j" * 32, 5, "f" * 64)
    assert mac != head_mac(b"k" * 32, 4, "f" * 64)
    assert mac != head_mac(b"k" * 32, 5, "e" * 64)
