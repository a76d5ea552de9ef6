"""The consent ledger: append-only, hash-chained consent events.

Each event's hash is SHA-256 over a canonical JSON of its content and the previous event's
hash; anyone can recompute it. The head row (length, last hash) carries an HMAC under a key
the database does not hold, so removing events from the end is detected as well. Appends
serialise on the head row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite units of work
already hold the write lock).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from consent_store.enums import Actor, Channel, ConsentAction, Purpose
from consent_store.models import ConsentEvent, LedgerHead

GENESIS_HASH = "0" * 64
HEAD_ID = 1
_VERIFY_BATCH = 2000


@dataclass(frozen=True, slots=True)
class NewConsentEvent:
    subject_pseudonym: str
    purpose: Purpose
    action: ConsentAction
    policy_version: str
    wording_version: str
    wording_sha256: str
    language: str
    channel: Channel
    evidence: str
    actor: Actor
    actor_reason: str | None = None


@dataclass(frozen=True, slots=True)
class BrokenEvent:
    seq: int
    event_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class LedgerReport:
    length: int
    broken: BrokenEvent | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_content(event: ConsentEvent) -> dict[str, object]:
    """The fields covered by the hash, in a stable, engine-independent form."""
    return {
        "seq": event.seq,
        "id": str(event.id),
        "subject": event.subject_pseudonym,
        "purpose": str(event.purpose),
        "action": str(event.action),
        "policy_version": event.policy_version,
        "wording_version": event.wording_version,
        "wording_sha256": event.wording_sha256,
        "language": event.language,
        "channel": str(event.channel),
        "evidence": event.evidence,
        "actor": str(event.actor),
        "actor_reason": event.actor_reason,
        "occurred_at": _timestamp(event.occurred_at),
    }


def compute_hash(content: dict[str, object], prev_hash: str) -> str:
    canonical = json.dumps(
        {**content, "prev_hash": prev_hash}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def head_mac(key: bytes, length: int, last_hash: str) -> str:
    return hmac.new(key, f"{length}:{last_hash}".encode(), hashlib.sha256).hexdigest()


class Ledger:
    def __init__(self, session: AsyncSession, mac_key: bytes) -> None:
        self._session = session
        self._mac_key = mac_key

    async def append(self, new: NewConsentEvent, occurred_at: datetime) -> ConsentEvent:
        return (await self.append_many([new], occurred_at))[0]

    async def append_many(self, new: Sequence[NewConsentEvent], occurred_at: datetime) -> list[ConsentEvent]:
        """Append events in order under one lock of the head (one flush for a whole batch)."""
        if not new:
            return []
        head = await self._session.get(LedgerHead, HEAD_ID, with_for_update=True, populate_existing=True)
        if head is None:
            raise RuntimeError("ledger head missing: run `intake db upgrade`")
        events = []
        for item in new:
            event = ConsentEvent(
                seq=head.length + 1,
                id=uuid.uuid4(),
                subject_pseudonym=item.subject_pseudonym,
                purpose=item.purpose,
                action=item.action,
                policy_version=item.policy_version,
                wording_version=item.wording_version,
                wording_sha256=item.wording_sha256,
                language=item.language,
                channel=item.channel,
                evidence=item.evidence[:255],
                actor=item.actor,
                actor_reason=item.actor_reason,
                occurred_at=occurred_at,
                prev_hash=head.last_hash,
            )
            event.hash = compute_hash(event_content(event), head.last_hash)
            head.length = event.seq
            head.last_hash = event.hash
            events.append(event)
        self._session.add_all(events)
        head.mac = head_mac(self._mac_key, head.length, head.last_hash)
        await self._session.flush()
        return events

    async def events_for(self, pseudonym: str) -> Sequence[ConsentEvent]:
        result = await self._session.scalars(
            select(ConsentEvent).where(ConsentEvent.subject_pseudonym == pseudonym).order_by(ConsentEvent.seq)
        )
        return result.all()

    async def current(self, pseudonym: str) -> dict[Purpose, ConsentEvent]:
        """The latest event per purpose: the subject's consent as it stands now."""
        latest: dict[Purpose, ConsentEvent] = {}
        for event in await self.events_for(pseudonym):
            latest[event.purpose] = event
        return latest

    async def granted(self, pseudonym: str) -> frozenset[Purpose]:
        """The purposes whose latest event is a grant (``is_granted`` for all, in one query)."""
        return frozenset(
            p for p, e in (await self.current(pseudonym)).items() if e.action is ConsentAction.GRANTED
        )

    async def is_granted(self, pseudonym: str, purpose: Purpose) -> bool:
        event = await self._session.scalar(
            select(ConsentEvent)
            .where(ConsentEvent.subject_pseudonym == pseudonym, ConsentEvent.purpose == purpose)
            .order_by(ConsentEvent.seq.desc())
            .limit(1)
        )
        return event is not None and event.action is ConsentAction.GRANTED

    async def _iterate(self) -> AsyncIterator[ConsentEvent]:
        last_seq = 0
        while True:
            batch = (
                await self._session.scalars(
                    select(ConsentEvent)
                    .where(ConsentEvent.seq > last_seq)
                    .order_by(ConsentEvent.seq)
                    .limit(_VERIFY_BATCH)
                )
            ).all()
            if not batch:
                return
            for event in batch:
                yield event
            last_seq = batch[-1].seq
            self._session.expunge_all()

    async def verify(self) -> LedgerReport:
        """Recompute the whole chain; report the first event that does not verify."""
        expected_seq, prev_hash = 1, GENESIS_HASH
        async for event in self._iterate():
            ident = str(event.id)
            if event.seq != expected_seq:
                return LedgerReport(expected_seq - 1, BrokenEvent(expected_seq, None, "event missing"))
            if event.prev_hash != prev_hash:
                return LedgerReport(
                    event.seq - 1, BrokenEvent(event.seq, ident, "previous hash does not match")
                )
            if not verify_event(event):  # its prev_hash is the chain's, checked above
                return LedgerReport(
                    event.seq - 1, BrokenEvent(event.seq, ident, "content does not match its hash")
                )
            expected_seq, prev_hash = event.seq + 1, event.hash
        length = expected_seq - 1
        head = await self._session.get(LedgerHead, HEAD_ID)
        if head is None:
            return LedgerReport(length, BrokenEvent(length + 1, None, "ledger head missing"))
        if head.length != length or head.last_hash != prev_hash:
            return LedgerReport(
                length, BrokenEvent(length + 1, None, "events missing at the end of the chain")
            )
        if length and not hmac.compare_digest(head.mac, head_mac(self._mac_key, head.length, head.last_hash)):
            return LedgerReport(length, BrokenEvent(length, None, "ledger head was altered"))
        return LedgerReport(length, None)


def verify_event(event: ConsentEvent) -> bool:
    """Whether one event's stored hash matches its content (the chain is checked by verify)."""
    return compute_hash(event_content(event), event.prev_hash) == event.hash
