"""Repositories: the queries the service layer needs, nothing more.

State changes that can race (a coach accepting, a dispatcher claiming a message) are
conditional updates: the row changes only if it is still in the expected state, and the
caller learns whether it won.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from consent_store import dialects
from consent_store.enums import (
    LIVE_REQUEST_STATES,
    Channel,
    ConsentAction,
    ContactKind,
    NewsletterState,
    OfferState,
    OutboxState,
    Purpose,
    RecipientKind,
    RequestState,
)
from consent_store.models import (
    AuditEvent,
    Coach,
    ConsentEvent,
    ContactPoint,
    Handover,
    IntakeRequest,
    NewsletterSend,
    NewsletterSendRecipient,
    NewsletterSubscription,
    Offer,
    OutboxMessage,
    Subject,
    SubjectKey,
    Suppression,
)


class _Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: Any) -> None:
        self.session.add(obj)


class SubjectRepository(_Repository):
    async def get(self, subject_id: uuid.UUID) -> Subject | None:
        return await self.session.get(Subject, subject_id)

    async def by_pseudonym(self, pseudonym: str) -> Subject | None:
        return await self.session.scalar(select(Subject).where(Subject.pseudonym == pseudonym.upper()))

    async def many(self, subject_ids: Collection[uuid.UUID]) -> Sequence[Subject]:
        if not subject_ids:
            return []
        return (await self.session.scalars(select(Subject).where(Subject.id.in_(list(subject_ids))))).all()

    async def holding_data(self, subjects: Sequence[Subject]) -> set[uuid.UUID]:
        """Those of ``subjects`` that still have a newsletter subscription, a request or a
        consent event (three queries, however many subjects)."""
        ids = [s.id for s in subjects]
        if not ids:
            return set()
        holding = set(
            await self.session.scalars(
                select(NewsletterSubscription.subject_id).where(NewsletterSubscription.subject_id.in_(ids))
            )
        )
        holding |= set(
            await self.session.scalars(
                select(IntakeRequest.subject_id).where(IntakeRequest.subject_id.in_(ids))
            )
        )
        by_pseudonym = {s.pseudonym: s.id for s in subjects}
        logged = await self.session.scalars(
            select(ConsentEvent.subject_pseudonym).where(
                ConsentEvent.subject_pseudonym.in_(list(by_pseudonym))
            )
        )
        return holding | {by_pseudonym[p] for p in logged}

    async def pseudonym_taken(self, pseudonym: str) -> bool:
        return (
            await self.session.scalar(select(Subject.id).where(Subject.pseudonym == pseudonym))
        ) is not None

    async def by_contact(self, kind: ContactKind, blind_index: str) -> Sequence[Subject]:
        result = await self.session.scalars(
            select(Subject)
            .join(ContactPoint, ContactPoint.subject_id == Subject.id)
            .where(ContactPoint.kind == kind, ContactPoint.blind_index == blind_index)
            .distinct()
        )
        return result.all()

    async def inactive_since(self, cutoff: datetime) -> Sequence[Subject]:
        live = select(IntakeRequest.subject_id).where(IntakeRequest.state.in_(LIVE_REQUEST_STATES))
        result = await self.session.scalars(
            select(Subject).where(Subject.last_active_at < cutoff, Subject.id.not_in(live))
        )
        return result.all()

    async def delete(self, subject_id: uuid.UUID) -> None:
        """Delete the subject; the database cascades to everything that hangs off it."""
        await self.session.flush()  # pending changes to rows the cascade removes would fail later
        await self.session.execute(delete(Subject).where(Subject.id == subject_id))


class SubjectKeyRepository(_Repository):
    async def wrapped(self, subject_id: uuid.UUID) -> bytes | None:
        return await self.session.scalar(
            select(SubjectKey.wrapped_key).where(SubjectKey.subject_id == subject_id)
        )

    async def destroy(self, subject_id: uuid.UUID) -> None:
        await self.session.execute(delete(SubjectKey).where(SubjectKey.subject_id == subject_id))


class ContactRepository(_Repository):
    async def get(self, contact_id: uuid.UUID) -> ContactPoint | None:
        return await self.session.get(ContactPoint, contact_id)

    async def for_subject(
        self, subject_id: uuid.UUID, kind: ContactKind | None = None
    ) -> Sequence[ContactPoint]:
        query = select(ContactPoint).where(ContactPoint.subject_id == subject_id)
        if kind is not None:
            query = query.where(ContactPoint.kind == kind)
        return (await self.session.scalars(query.order_by(ContactPoint.created_at))).all()

    async def find(self, subject_id: uuid.UUID, kind: ContactKind, blind_index: str) -> ContactPoint | None:
        return await self.session.scalar(
            select(ContactPoint).where(
                ContactPoint.subject_id == subject_id,
                ContactPoint.kind == kind,
                ContactPoint.blind_index == blind_index,
            )
        )

    async def owners(
        self, kind: ContactKind, blind_indexes: Collection[str]
    ) -> Sequence[tuple[str, uuid.UUID]]:
        """(blind index, subject id) of every contact point of ``kind`` with one of these indexes."""
        if not blind_indexes:
            return []
        rows = await self.session.execute(
            select(ContactPoint.blind_index, ContactPoint.subject_id).where(
                ContactPoint.kind == kind, ContactPoint.blind_index.in_(list(blind_indexes))
            )
        )
        return [(index, subject_id) for index, subject_id in rows.all()]

    async def mark_unreachable(self, kind: ContactKind, blind_index: str) -> int:
        result = await self.session.execute(
            update(ContactPoint)
            .where(ContactPoint.kind == kind, ContactPoint.blind_index == blind_index)
            .values(unreachable=True)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class CoachRepository(_Repository):
    async def get(self, coach_id: uuid.UUID) -> Coach | None:
        return await self.session.get(Coach, coach_id)

    async def by_ids(self, coach_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Coach]:
        ids = set(coach_ids)
        if not ids:
            return {}
        return {c.id: c for c in await self.session.scalars(select(Coach).where(Coach.id.in_(ids)))}

    async def by_code(self, code: str) -> Coach | None:
        return await self.session.scalar(select(Coach).where(Coach.code == code.upper()))

    async def by_telegram(self, user_id: int) -> Coach | None:
        return await self.session.scalar(select(Coach).where(Coach.telegram_user_id == user_id))

    async def by_email_index(self, index: str) -> Coach | None:
        return await self.session.scalar(select(Coach).where(Coach.email_index == index))

    async def code_taken(self, code: str) -> bool:
        return (await self.session.scalar(select(Coach.id).where(Coach.code == code))) is not None

    async def list(self, *, active_only: bool = False) -> Sequence[Coach]:
        query = select(Coach).order_by(Coach.created_at)
        if active_only:
            query = query.where(Coach.active.is_(True))
        return (await self.session.scalars(query)).all()

    async def load(self, coach_ids: Iterable[uuid.UUID], since: datetime) -> dict[uuid.UUID, int]:
        """Matches per coach: accepted offers still waiting, plus handovers since ``since``."""
        ids = list(coach_ids)
        if not ids:
            return {}
        counts = dict.fromkeys(ids, 0)
        waiting = await self.session.execute(
            select(Offer.coach_id, func.count())
            .where(Offer.coach_id.in_(ids), Offer.state == OfferState.ACCEPTED)
            .join(IntakeRequest, IntakeRequest.id == Offer.request_id)
            .where(IntakeRequest.state == RequestState.ACCEPTED)
            .group_by(Offer.coach_id)
        )
        handed = await self.session.execute(
            select(Handover.coach_id, func.count())
            .where(Handover.coach_id.in_(ids), Handover.created_at >= since)
            .group_by(Handover.coach_id)
        )
        for coach_id, count in [*waiting.all(), *handed.all()]:
            counts[coach_id] += int(count)
        return counts

    async def last_handover(self, coach_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, datetime]:
        rows = await self.session.execute(
            select(Handover.coach_id, func.max(Handover.created_at))
            .where(Handover.coach_id.in_(list(coach_ids)))
            .group_by(Handover.coach_id)
        )
        return {coach_id: when for coach_id, when in rows.all()}


class RequestRepository(_Repository):
    async def get(self, request_id: uuid.UUID) -> IntakeRequest | None:
        return await self.session.get(IntakeRequest, request_id)

    async def by_reference(self, reference: str) -> IntakeRequest | None:
        return await self.session.scalar(
            select(IntakeRequest).where(IntakeRequest.reference == reference.upper())
        )

    async def reference_taken(self, reference: str) -> bool:
        found = await self.session.scalar(
            select(IntakeRequest.id).where(IntakeRequest.reference == reference)
        )
        return found is not None

    async def for_subject(
        self, subject_id: uuid.UUID, states: Iterable[RequestState] | None = None
    ) -> Sequence[IntakeRequest]:
        query = select(IntakeRequest).where(IntakeRequest.subject_id == subject_id)
        if states is not None:
            query = query.where(IntakeRequest.state.in_(list(states)))
        return (await self.session.scalars(query.order_by(IntakeRequest.created_at))).all()

    async def transition(
        self, request_id: uuid.UUID, expected: Iterable[RequestState], **values: Any
    ) -> bool:
        """Set ``values`` only if the request is still in one of ``expected``; True if it was."""
        result = await self.session.execute(
            update(IntakeRequest)
            .where(IntakeRequest.id == request_id, IntakeRequest.state.in_(list(expected)))
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def in_state(self, state: RequestState, *, limit: int = 500) -> Sequence[IntakeRequest]:
        query = select(IntakeRequest).where(IntakeRequest.state == state).order_by(IntakeRequest.created_at)
        return (await self.session.scalars(query.limit(limit))).all()

    async def expired_drafts(self, now: datetime, *, limit: int = 500) -> Sequence[IntakeRequest]:
        return (
            await self.session.scalars(
                select(IntakeRequest)
                .where(IntakeRequest.state == RequestState.DRAFT, IntakeRequest.expires_at < now)
                .limit(limit)
            )
        ).all()

    async def in_state_since(
        self, state: RequestState, cutoff: datetime, *, limit: int = 500
    ) -> Sequence[IntakeRequest]:
        """Requests that entered ``state`` before ``cutoff`` and are still in it (every
        transition sets ``updated_at``)."""
        return (
            await self.session.scalars(
                select(IntakeRequest)
                .where(IntakeRequest.state == state, IntakeRequest.updated_at < cutoff)
                .order_by(IntakeRequest.updated_at)
                .limit(limit)
            )
        ).all()

    async def closed_before(self, cutoff: datetime, *, limit: int = 500) -> Sequence[IntakeRequest]:
        return (
            await self.session.scalars(
                select(IntakeRequest)
                .where(
                    IntakeRequest.state.in_(
                        [RequestState.HANDED_OVER, RequestState.WITHDRAWN, RequestState.EXPIRED]
                    ),
                    IntakeRequest.closed_at < cutoff,
                )
                .limit(limit)
            )
        ).all()

    async def count_by_state(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(IntakeRequest.state, func.count()).group_by(IntakeRequest.state)
        )
        return {str(state): int(count) for state, count in rows.all()}

    async def delete(self, request_id: uuid.UUID) -> None:
        await self.delete_many([request_id])

    async def delete_many(self, request_ids: Iterable[uuid.UUID]) -> None:
        ids = list(request_ids)
        if ids:
            await self.session.flush()
            await self.session.execute(delete(IntakeRequest).where(IntakeRequest.id.in_(ids)))


class OfferRepository(_Repository):
    async def get(self, offer_id: uuid.UUID) -> Offer | None:
        return await self.session.get(Offer, offer_id)

    async def for_request(
        self, request_id: uuid.UUID, states: Iterable[OfferState] | None = None
    ) -> Sequence[Offer]:
        query = select(Offer).where(Offer.request_id == request_id)
        if states is not None:
            query = query.where(Offer.state.in_(list(states)))
        return (await self.session.scalars(query.order_by(Offer.created_at))).all()

    async def open_for_coach(self, coach_id: uuid.UUID) -> Sequence[tuple[Offer, IntakeRequest]]:
        rows = await self.session.execute(
            select(Offer, IntakeRequest)
            .join(IntakeRequest, IntakeRequest.id == Offer.request_id)
            .where(Offer.coach_id == coach_id, Offer.state == OfferState.OPEN)
            .order_by(Offer.created_at)
        )
        return [(offer, request) for offer, request in rows.all()]

    async def transition(
        self,
        *,
        expected: Iterable[OfferState],
        to: OfferState,
        decided_at: datetime,
        offer_id: uuid.UUID | None = None,
        request_id: uuid.UUID | None = None,
        coach_id: uuid.UUID | None = None,
        exclude: uuid.UUID | None = None,
    ) -> list[Offer]:
        """Move the matching offers from ``expected`` to ``to``; returns the ones that moved."""
        query = update(Offer).where(Offer.state.in_(list(expected)))
        if offer_id is not None:
            query = query.where(Offer.id == offer_id)
        if request_id is not None:
            query = query.where(Offer.request_id == request_id)
        if coach_id is not None:
            query = query.where(Offer.coach_id == coach_id)
        if exclude is not None:
            query = query.where(Offer.id != exclude)
        result = await self.session.execute(
            query.values(state=to, decided_at=decided_at).returning(Offer),
            execution_options={"synchronize_session": "fetch"},
        )
        return list(result.scalars().all())


class HandoverRepository(_Repository):
    async def for_request(self, request_id: uuid.UUID) -> Handover | None:
        return await self.session.scalar(select(Handover).where(Handover.request_id == request_id))

    async def for_requests(self, request_ids: Iterable[uuid.UUID]) -> Sequence[Handover]:
        return (
            await self.session.scalars(select(Handover).where(Handover.request_id.in_(list(request_ids))))
        ).all()


class OutboxRepository(_Repository):
    async def get(self, message_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, message_id)

    async def claim_due(
        self, now: datetime, *, channels: Iterable[Channel], limit: int, lease: timedelta
    ) -> list[OutboxMessage]:
        """Mark up to ``limit`` due messages as being sent by us (lease expires if we crash)."""
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.channel.in_(list(channels)))
            .where(
                or_(
                    and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now),
                    and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.lease_until < now),
                )
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if dialects.on_postgres(self.session):
            due = due.with_for_update(skip_locked=True)
        ids = list((await self.session.scalars(due)).all())
        if not ids:
            return []
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(state=OutboxState.SENDING, lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage),
            execution_options={"synchronize_session": "fetch"},
        )
        return sorted(result.scalars().all(), key=lambda m: m.id)

    async def previous_delivery(self, thread: str, recipient_id: uuid.UUID, before_id: int) -> str | None:
        """The delivery reference of the latest sent message in ``thread`` to this recipient."""
        return await self.session.scalar(
            select(OutboxMessage.delivery_ref)
            .where(
                OutboxMessage.thread == thread,
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.state == OutboxState.SENT,
                OutboxMessage.delivery_ref.is_not(None),
                OutboxMessage.id < before_id,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )

    async def cancel_for_subject(self, subject_id: uuid.UUID) -> int:
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.concerns_subject_id == subject_id,
                    and_(
                        OutboxMessage.recipient_kind == RecipientKind.SUBJECT,
                        OutboxMessage.recipient_id == subject_id,
                    ),
                ),
                OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED]),
            )
            .values(state=OutboxState.CANCELLED, last_error="cancelled: subject erased")
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def listing(self, states: Iterable[OutboxState], *, limit: int = 200) -> Sequence[OutboxMessage]:
        return (
            await self.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.state.in_(list(states)))
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        ).all()

    async def count_by_state(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        )
        return {str(state): int(count) for state, count in rows.all()}

    async def purge_finished(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(OutboxMessage)
            .where(
                OutboxMessage.state.in_([OutboxState.SENT, OutboxState.FAILED, OutboxState.CANCELLED]),
                OutboxMessage.created_at < before,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def cancel_threads(self, threads: Collection[str], reason: str) -> int:
        """Cancel the messages of these threads that no dispatcher has claimed yet (a claimed
        one is stopped by the dispatcher's send-time check instead)."""
        if not threads:
            return 0
        # Find them by thread alone, locked, then update by id: with a state condition in the
        # same statement, SQLite (no statistics) walks every pending message instead.
        rows = await self.session.execute(
            select(OutboxMessage.id, OutboxMessage.state)
            .where(OutboxMessage.thread.in_(list(threads)))
            .with_for_update()
        )
        pending = [message_id for message_id, state in rows.all() if state is OutboxState.PENDING]
        if pending:
            await self.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(pending))
                .values(state=OutboxState.CANCELLED, last_error=reason)
                .execution_options(synchronize_session=False)
            )
        return len(pending)

    async def count_kinds_by_state(self, kinds: Collection[str]) -> dict[str, int]:
        rows = await self.session.execute(
            select(OutboxMessage.state, func.count())
            .where(OutboxMessage.kind.in_(list(kinds)))
            .group_by(OutboxMessage.state)
        )
        return {str(state): int(count) for state, count in rows.all()}

    async def finish(self, message_id: int, attempt: int, **values: Any) -> bool:
        """Record the outcome of the attempt we claimed (not if the lease was taken over since)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.state == OutboxState.SENDING,
                OutboxMessage.attempts == attempt,
            )
            .values(lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class AuditRepository(_Repository):
    def record(
        self, *, actor: str, action: str, subject_pseudonym: str | None, detail: str, at: datetime
    ) -> None:
        self.session.add(
            AuditEvent(
                actor=actor, action=action, subject_pseudonym=subject_pseudonym, detail=detail, occurred_at=at
            )
        )

    async def for_subject(self, pseudonym: str) -> Sequence[AuditEvent]:
        return (
            await self.session.scalars(
                select(AuditEvent).where(AuditEvent.subject_pseudonym == pseudonym).order_by(AuditEvent.id)
            )
        ).all()


class NewsletterRepository(_Repository):
    """Subscriptions, sends and the checks a send makes. ``lock=True`` takes row locks on
    PostgreSQL so that an unsubscribe and a send batch touching the same rows serialise."""

    def _select(self, lock: bool) -> Any:
        query = select(NewsletterSubscription)
        if not lock:
            return query
        # populate_existing: rows this session read before the lock must show what the lock
        # waited for (another unsubscribe's commit), not the state read earlier.
        return query.with_for_update().execution_options(populate_existing=True)

    async def for_subject(
        self, subject_id: uuid.UUID, *, lock: bool = False
    ) -> Sequence[NewsletterSubscription]:
        return (
            await self.session.scalars(
                self._select(lock)
                .where(NewsletterSubscription.subject_id == subject_id)
                .order_by(NewsletterSubscription.id)
            )
        ).all()

    async def get(self, subscription_id: uuid.UUID, *, lock: bool = False) -> NewsletterSubscription | None:
        return await self.session.scalar(
            self._select(lock).where(NewsletterSubscription.id == subscription_id)
        )

    async def by_addresses(
        self, channel: Channel, indexes: Collection[str], *, lock: bool = False
    ) -> Sequence[NewsletterSubscription]:
        if not indexes:
            return []
        return (
            await self.session.scalars(
                self._select(lock)
                .where(
                    NewsletterSubscription.channel == channel,
                    NewsletterSubscription.address_index.in_(list(indexes)),
                )
                .order_by(NewsletterSubscription.id)
            )
        ).all()

    async def for_subjects(self, subject_ids: Collection[uuid.UUID]) -> Sequence[NewsletterSubscription]:
        if not subject_ids:
            return []
        return (
            await self.session.scalars(
                self._select(True)
                .where(NewsletterSubscription.subject_id.in_(list(subject_ids)))
                .order_by(NewsletterSubscription.id)
            )
        ).all()

    async def page(
        self, *, state: NewsletterState | None, after: uuid.UUID | None, limit: int, lock: bool = False
    ) -> Sequence[tuple[NewsletterSubscription, str, ContactPoint | None, bytes | None]]:
        """The next ``limit`` subscriptions (in ``state``) after ``after``, in keyset order by
        id, each with the subject's pseudonym, the contact point it was made with and the
        wrapped data key that reads that address."""
        query = (
            select(NewsletterSubscription, Subject.pseudonym, ContactPoint, SubjectKey.wrapped_key)
            .join(Subject, Subject.id == NewsletterSubscription.subject_id)
            .outerjoin(
                ContactPoint,
                and_(
                    ContactPoint.subject_id == NewsletterSubscription.subject_id,
                    ContactPoint.blind_index == NewsletterSubscription.address_index,
                    or_(
                        and_(
                            NewsletterSubscription.channel == Channel.EMAIL,
                            ContactPoint.kind == ContactKind.EMAIL,
                        ),
                        and_(
                            NewsletterSubscription.channel == Channel.TELEGRAM,
                            ContactPoint.kind == ContactKind.TELEGRAM,
                        ),
                    ),
                ),
            )
            .outerjoin(SubjectKey, SubjectKey.subject_id == NewsletterSubscription.subject_id)
            .order_by(NewsletterSubscription.id)
            .limit(limit)
        )
        if state is not None:
            query = query.where(NewsletterSubscription.state == state)
        if after is not None:
            query = query.where(NewsletterSubscription.id > after)
        if lock:
            query = query.with_for_update(read=True, of=NewsletterSubscription)
        rows = await self.session.execute(query)
        return [(sub, pseudonym, point, key) for sub, pseudonym, point, key in rows.all()]

    async def granted(self, pseudonyms: Collection[str]) -> set[str]:
        """Which of these subjects' newsletter consent is in force now (per the ledger)."""
        if not pseudonyms:
            return set()
        latest = (
            select(ConsentEvent.subject_pseudonym, func.max(ConsentEvent.seq).label("seq"))
            .where(
                ConsentEvent.purpose == Purpose.NEWSLETTER,
                ConsentEvent.subject_pseudonym.in_(list(pseudonyms)),
            )
            .group_by(ConsentEvent.subject_pseudonym)
            .subquery()
        )
        rows = await self.session.scalars(
            select(ConsentEvent.subject_pseudonym)
            .join(latest, latest.c.seq == ConsentEvent.seq)
            .where(ConsentEvent.action == ConsentAction.GRANTED)
        )
        return set(rows.all())

    async def count_by_channel_state(self) -> dict[tuple[str, str], int]:
        rows = await self.session.execute(
            select(NewsletterSubscription.channel, NewsletterSubscription.state, func.count()).group_by(
                NewsletterSubscription.channel, NewsletterSubscription.state
            )
        )
        return {(str(channel), str(state)): int(count) for channel, state, count in rows.all()}

    async def count_active(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(NewsletterSubscription.state == NewsletterState.ACTIVE)
            )
            or 0
        )

    async def pending_requested_before(
        self, cutoff: datetime, *, limit: int
    ) -> Sequence[NewsletterSubscription]:
        return (
            await self.session.scalars(
                self._select(True)
                .where(
                    NewsletterSubscription.state == NewsletterState.PENDING,
                    or_(
                        NewsletterSubscription.requested_at < cutoff,
                        and_(
                            NewsletterSubscription.requested_at.is_(None),
                            NewsletterSubscription.created_at < cutoff,
                        ),
                    ),
                )
                .order_by(NewsletterSubscription.id)
                .limit(limit)
            )
        ).all()

    # Sends -------------------------------------------------------------------------

    async def send(self, send_id: uuid.UUID, *, lock: bool = False) -> NewsletterSend | None:
        query = select(NewsletterSend).where(NewsletterSend.id == send_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def recent_sends(self, limit: int) -> Sequence[NewsletterSend]:
        return (
            await self.session.scalars(
                select(NewsletterSend).order_by(NewsletterSend.created_at.desc()).limit(limit)
            )
        ).all()

    async def already_queued(
        self, send_id: uuid.UUID, subscription_ids: Collection[uuid.UUID]
    ) -> set[uuid.UUID]:
        if not subscription_ids:
            return set()
        rows = await self.session.scalars(
            select(NewsletterSendRecipient.subscription_id).where(
                NewsletterSendRecipient.send_id == send_id,
                NewsletterSendRecipient.subscription_id.in_(list(subscription_ids)),
            )
        )
        return set(rows.all())


class SuppressionRepository(_Repository):
    async def contains(self, address_hash: str) -> bool:
        return (await self.session.get(Suppression, address_hash)) is not None

    async def present(self, address_hashes: Collection[str]) -> set[str]:
        if not address_hashes:
            return set()
        rows = await self.session.scalars(
            select(Suppression.address_hash).where(Suppression.address_hash.in_(list(address_hashes)))
        )
        return set(rows.all())

    async def add_missing(self, address_hashes: Collection[str], *, reason: str, now: datetime) -> int:
        """Add those not yet listed; returns how many were new. ``ON CONFLICT DO NOTHING``
        because two unsubscribes of one address may commit at the same time (PostgreSQL)."""
        if not address_hashes:
            return 0
        rows = [{"address_hash": h, "reason": reason, "created_at": now} for h in sorted(address_hashes)]
        added = await self.session.scalars(
            dialects.insert(self.session, Suppression)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(Suppression.address_hash)
        )
        return len(added.all())

    async def lift(self, address_hash: str) -> None:
        await self.session.execute(
            delete(Suppression)
            .where(Suppression.address_hash == address_hash)
            .execution_options(synchronize_session=False)
        )

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Suppression)) or 0)
