"""Queries on the inbound mail queue and the auto-reply log (the e-mail channel's tables).

The queue works like the outbox: a message is claimed with a lease, and the transaction that
processes it also marks it done, conditionally on still holding the claim; a worker that
crashed loses its lease and the message is processed again, from the start.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from consent_store import dialects
from consent_store.enums import ContactKind, SubjectState
from consent_store.locks import serialise
from consent_store.models import (
    AutoReply,
    ContactPoint,
    InboundKind,
    InboundMail,
    InboundState,
    IntakeRequest,
    Subject,
)


@dataclass(frozen=True, slots=True)
class KnownSender:
    """The active subject behind an e-mail address, and that address's contact point."""

    subject_id: uuid.UUID
    pseudonym: str
    locale: str
    point_id: uuid.UUID


class InboundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_new(self, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
        """Insert queue rows given as column values (with their ids), with one statement,
        leaving out those stored before (same kind, Message-ID and content, also when another
        transaction stored them meanwhile); returns the ids inserted."""
        if not rows:
            return set()
        table = InboundMail.__table__
        inserted = await self.session.execute(
            dialects.insert(self.session, table).on_conflict_do_nothing().returning(table.c.id), list(rows)
        )
        return {row.id for row in inserted}

    async def kinds_stored(
        self, kinds: Iterable[InboundKind], message_id_hash: str, content_hash: str
    ) -> set[InboundKind]:
        """Which of ``kinds`` already hold this message (a resent copy)."""
        rows = await self.session.scalars(
            select(InboundMail.kind).where(
                InboundMail.kind.in_(list(kinds)),
                InboundMail.message_id_hash == message_id_hash,
                InboundMail.content_hash == content_hash,
            )
        )
        return set(rows.all())

    async def claim_due(
        self, now: datetime, *, kinds: Iterable[InboundKind], limit: int, max_bytes: int, lease: timedelta
    ) -> list[Any]:
        """Claim due messages (at most ``limit``, and ``max_bytes`` together unless just one):
        rows of id, kind, attempts (this attempt's number), envelope and raw, both encrypted."""
        due = (
            select(InboundMail.id, InboundMail.size)
            .where(InboundMail.kind.in_(list(kinds)))
            .where(
                or_(
                    and_(InboundMail.state == InboundState.QUEUED, InboundMail.next_attempt_at <= now),
                    and_(InboundMail.state == InboundState.PROCESSING, InboundMail.lease_until < now),
                )
            )
            .order_by(InboundMail.next_attempt_at)
            .limit(limit)
        )
        if dialects.on_postgres(self.session):
            due = due.with_for_update(skip_locked=True)
        ids, total = [], 0
        for row in (await self.session.execute(due)).all():
            if ids and total + row.size > max_bytes:
                break
            ids.append(row.id)
            total += row.size
        if not ids:
            return []
        result = await self.session.execute(
            update(InboundMail)
            .where(InboundMail.id.in_(ids))
            .values(state=InboundState.PROCESSING, lease_until=now + lease, attempts=InboundMail.attempts + 1)
            .returning(
                InboundMail.id, InboundMail.kind, InboundMail.attempts, InboundMail.envelope, InboundMail.raw
            ),
            execution_options={"synchronize_session": False},
        )
        return [row for row in result.all() if row.raw is not None and row.envelope is not None]

    async def finish(self, inbound_id: uuid.UUID, attempt: int, **values: Any) -> bool:
        """Record the outcome of the attempt we claimed; False if our claim was taken over."""
        result = await self.session.execute(
            update(InboundMail)
            .where(
                InboundMail.id == inbound_id,
                InboundMail.state == InboundState.PROCESSING,
                InboundMail.attempts == attempt,
            )
            .values(lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish_many(self, claims: Sequence[tuple[uuid.UUID, int]], **values: Any) -> set[uuid.UUID]:
        """``finish`` for several claims at once; returns the ids still held (and now updated)."""
        if not claims:
            return set()
        result = await self.session.execute(
            update(InboundMail)
            .where(
                InboundMail.state == InboundState.PROCESSING,
                tuple_(InboundMail.id, InboundMail.attempts).in_(list(claims)),
            )
            .values(lease_until=None, **values)
            .returning(InboundMail.id)
            .execution_options(synchronize_session=False)
        )
        return set(result.scalars().all())

    async def record_outcomes(self, outcomes: dict[uuid.UUID, str]) -> None:
        if outcomes:
            await self.session.execute(
                update(InboundMail), [{"id": key, "outcome": value} for key, value in outcomes.items()]
            )

    async def unfinished(self, kinds: Iterable[InboundKind], now: datetime) -> int:
        """Messages of ``kinds`` that are due or being processed."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(InboundMail)
                .where(
                    InboundMail.kind.in_(list(kinds)),
                    or_(
                        InboundMail.state == InboundState.PROCESSING,
                        and_(InboundMail.state == InboundState.QUEUED, InboundMail.next_attempt_at <= now),
                    ),
                )
            )
            or 0
        )

    async def record_outcome(self, inbound_id: uuid.UUID, outcome: str) -> None:
        await self.session.execute(
            update(InboundMail)
            .where(InboundMail.id == inbound_id)
            .values(outcome=outcome)
            .execution_options(synchronize_session=False)
        )

    async def count_by(self) -> dict[tuple[str, str], int]:
        rows = await self.session.execute(
            select(InboundMail.kind, InboundMail.state, func.count()).group_by(
                InboundMail.kind, InboundMail.state
            )
        )
        return {(str(kind), str(state)): int(count) for kind, state, count in rows.all()}

    async def listing(self, states: Iterable[InboundState], *, limit: int = 200) -> Sequence[InboundMail]:
        return (
            await self.session.scalars(
                select(InboundMail)
                .where(InboundMail.state.in_(list(states)))
                .order_by(InboundMail.received_at)
                .limit(limit)
            )
        ).all()

    async def requeue(self, inbound_id: uuid.UUID, now: datetime) -> bool:
        """Give a failed message another round of attempts (operator)."""
        result = await self.session.execute(
            update(InboundMail)
            .where(
                InboundMail.id == inbound_id,
                InboundMail.state == InboundState.FAILED,
                InboundMail.raw.is_not(None),
            )
            .values(state=InboundState.QUEUED, attempts=0, next_attempt_at=now, last_error=None)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def purge(self, *, processed_before: datetime) -> int:
        """Forget finished messages (their hashes) and failed ones after the keeping time."""
        result = await self.session.execute(
            delete(InboundMail).where(
                or_(
                    and_(InboundMail.state == InboundState.DONE, InboundMail.processed_at < processed_before),
                    and_(
                        InboundMail.state == InboundState.FAILED, InboundMail.received_at < processed_before
                    ),
                )
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def serialise_all(self, keys: Iterable[str]) -> None:
        """Use cases about the same sender run one after the other (see ``locks.serialise``)."""
        await serialise(self.session, keys)

    # Auto-reply log -------------------------------------------------------------------

    async def replies_by_index(self, address_indexes: Iterable[str], since: datetime) -> dict[str, int]:
        indexes = list(address_indexes)
        if not indexes:
            return {}
        rows = await self.session.execute(
            select(AutoReply.address_index, func.count())
            .where(AutoReply.address_index.in_(indexes), AutoReply.sent_at >= since)
            .group_by(AutoReply.address_index)
        )
        return {index: int(count) for index, count in rows.all()}

    async def source_refs_taken(self, refs: Iterable[str]) -> set[str]:
        """Which of these Message-IDs a request was made from."""
        wanted = list(set(refs))
        if not wanted:
            return set()
        rows = await self.session.scalars(
            select(IntakeRequest.source_ref).where(IntakeRequest.source_ref.in_(wanted))
        )
        return {ref for ref in rows.all() if ref}

    async def email_contacts(self, indexes: Iterable[str]) -> dict[str, KnownSender]:
        """The active subject behind each e-mail address (by blind index), with that contact
        point; the most recently active subject if several."""
        wanted = list(indexes)
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(ContactPoint.blind_index, Subject.id, Subject.pseudonym, Subject.locale, ContactPoint.id)
            .join(Subject, Subject.id == ContactPoint.subject_id)
            .where(
                ContactPoint.kind == ContactKind.EMAIL,
                ContactPoint.blind_index.in_(wanted),
                Subject.state == SubjectState.ACTIVE,
            )
            .order_by(Subject.last_active_at)
        )
        return {index: KnownSender(*sender) for index, *sender in rows.all()}  # latest wins

    async def touch_senders(
        self, locales: Mapping[uuid.UUID, str], points: Iterable[uuid.UUID], now: datetime
    ) -> None:
        """Subjects who just wrote: active now, answered in ``locales``' language; and the
        contact points they wrote from reachable again."""
        if locales:
            await self.session.execute(
                update(Subject),
                [{"id": key, "locale": locale, "last_active_at": now} for key, locale in locales.items()],
            )
        reached = [{"id": key, "unreachable": False} for key in points]
        if reached:
            await self.session.execute(update(ContactPoint), reached)

    async def pseudonyms_taken(self, pseudonyms: Sequence[str]) -> set[str]:
        rows = await self.session.scalars(select(Subject.pseudonym).where(Subject.pseudonym.in_(pseudonyms)))
        return set(rows.all())

    async def references_taken(self, references: Sequence[str]) -> set[str]:
        rows = await self.session.scalars(
            select(IntakeRequest.reference).where(IntakeRequest.reference.in_(references))
        )
        return set(rows.all())

    async def forget_replies(self, before: datetime) -> int:
        result = await self.session.execute(delete(AutoReply).where(AutoReply.sent_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
