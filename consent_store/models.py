"""SQLAlchemy 2 typed models. Personal data is stored only encrypted or as keyed hashes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from consent_store.enums import (
    Actor,
    Channel,
    ConsentAction,
    ContactKind,
    NewsletterState,
    OfferState,
    OutboxState,
    Purpose,
    RecipientKind,
    RequestState,
    SubjectState,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both engines (SQLite keeps no zone, PostgreSQL does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(enum: type[StrEnum]) -> SAEnum:
    return SAEnum(
        enum,
        native_enum=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        Channel: _enum(Channel),
        ContactKind: _enum(ContactKind),
        SubjectState: _enum(SubjectState),
        Purpose: _enum(Purpose),
        ConsentAction: _enum(ConsentAction),
        Actor: _enum(Actor),
        RequestState: _enum(RequestState),
        OfferState: _enum(OfferState),
        OutboxState: _enum(OutboxState),
        RecipientKind: _enum(RecipientKind),
        NewsletterState: _enum(NewsletterState),
        bytes: LargeBinary(),
        str: String(255),
    }


class Subject(Base):
    """A candidate, known by a random pseudonym. Everything identifying hangs off it, encrypted."""

    __tablename__ = "subjects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    locale: Mapped[str] = mapped_column(String(8))
    state: Mapped[SubjectState] = mapped_column(default=SubjectState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubjectKey(Base):
    """The subject's data key, wrapped by the master key. Deleting it shreds the subject's data."""

    __tablename__ = "subject_keys"

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    wrapped_key: Mapped[bytes]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactPoint(Base):
    __tablename__ = "contact_points"
    __table_args__ = (UniqueConstraint("subject_id", "kind", "blind_index"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ContactKind]
    ciphertext: Mapped[bytes]
    blind_index: Mapped[str] = mapped_column(String(64), index=True)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentEvent(Base):
    """One grant or withdrawal. Append-only (enforced by triggers) and hash-chained.

    It holds no direct identifier: the subject appears only by pseudonym, so the proof
    survives the subject's erasure without keeping who they were.
    """

    __tablename__ = "consent_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    id: Mapped[uuid.UUID] = mapped_column(unique=True)
    subject_pseudonym: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[Purpose]
    action: Mapped[ConsentAction]
    policy_version: Mapped[str] = mapped_column(String(32))
    wording_version: Mapped[str] = mapped_column(String(32))
    wording_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[Channel]
    evidence: Mapped[str] = mapped_column(String(255))
    actor: Mapped[Actor]
    actor_reason: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class LedgerHead(Base):
    """Length and last hash of the ledger, MACed with a key the database does not hold,
    so that cutting events off the end of the chain is detected too."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    length: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class Coach(Base):
    __tablename__ = "coaches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    intro: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(8), default="nl")
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    email_ciphertext: Mapped[bytes | None]
    email_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]


class IntakeRequest(Base):
    __tablename__ = "intake_requests"
    __table_args__ = (Index("ix_intake_requests_state_expires", "state", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel]
    topic: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    anonymised_text: Mapped[str] = mapped_column(Text)
    original_ciphertext: Mapped[bytes | None]
    special_category: Mapped[bool] = mapped_column(Boolean, default=False)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[RequestState] = mapped_column(default=RequestState.DRAFT)
    contact_point_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="SET NULL")
    )
    matched_coach_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coaches.id"))
    source_ref: Mapped[str | None] = mapped_column(String(255), index=True)  # e.g. the e-mail's Message-ID
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]  # the candidate confirmed the accepted coach
    closed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("request_id", "coach_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("intake_requests.id", ondelete="CASCADE"), index=True
    )
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id"), index=True)
    state: Mapped[OfferState] = mapped_column(default=OfferState.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class Handover(Base):
    """Contact details went to this coach. At most one per request, enforced by the database."""

    __tablename__ = "handovers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("intake_requests.id", ondelete="CASCADE"), unique=True
    )
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id"), index=True)
    channel: Mapped[Channel]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NewsletterSubscription(Base):
    __tablename__ = "newsletter_subscriptions"
    __table_args__ = (UniqueConstraint("channel", "address_index"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel]
    address_index: Mapped[str] = mapped_column(String(64))
    state: Mapped[NewsletterState] = mapped_column(default=NewsletterState.PENDING)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    # The latest sign-up that waits for its double opt-in; it expires with the confirmation link.
    requested_at: Mapped[datetime | None]


class Suppression(Base):
    """Addresses that must never receive the newsletter again (keyed hash only)."""

    __tablename__ = "suppressions"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who read, exported, corrected, erased or handed over whose personal data, when and why."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    subject_pseudonym: Mapped[str | None] = mapped_column(String(16), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class OutboxMessage(Base):
    """A message to deliver, written in the same transaction as the change that causes it.

    The rendered message is encrypted: under the data key of the subject it concerns (so an
    erasure also stops it) or under the service key.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next_attempt", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[Channel]
    recipient_kind: Mapped[RecipientKind]
    recipient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(48))
    concerns_subject_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payload: Mapped[bytes]
    thread: Mapped[str | None] = mapped_column(String(64), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    state: Mapped[OutboxState] = mapped_column(default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]
    delivery_ref: Mapped[str | None] = mapped_column(String(128))


class BotState(Base):
    """A Telegram conversation in progress (aiogram FSM storage), one row per chat and user.

    ``key`` is a keyed hash of bot, chat and user: no Telegram id is stored. ``data`` is
    encrypted with the service key; the draft text and contact details inside it are sealed
    once more under the subject's data key, so erasing the subject shreds them too.
    """

    __tablename__ = "bot_states"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[bytes | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# E-mail channel ---------------------------------------------------------------------


class InboundKind(StrEnum):
    """What an accepted message is, by the address it was sent to."""

    REQUEST = "request"  # intake@
    UNSUBSCRIBE = "unsubscribe"  # unsubscribe@, unsubscribe+<token>@ (acted on by the newsletter)
    BOUNCE = "bounce"  # bounces@: delivery reports


class InboundState(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"  # gave up after the maximum attempts; kept for the operator


class InboundMail(Base):
    """A message the SMTP server accepted, stored before it answered ``250``.

    The message and its envelope are encrypted under the service key and dropped once the
    message has been processed; the keyed hashes stay a while so a resent copy is recognised.
    """

    __tablename__ = "inbound_mail"
    __table_args__ = (
        UniqueConstraint("kind", "message_id_hash", "content_hash"),
        Index("ix_inbound_mail_state_next_attempt", "state", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[InboundKind] = mapped_column(_enum(InboundKind))
    message_id_hash: Mapped[str] = mapped_column(
        String(64)
    )  # keyed hash of the Message-ID ("" hashed if none)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)  # keyed hash of the bytes received
    size: Mapped[int] = mapped_column(Integer)
    envelope: Mapped[bytes | None]  # encrypted JSON: MAIL FROM and RCPT TO
    raw: Mapped[bytes | None]  # encrypted message as received
    state: Mapped[InboundState] = mapped_column(_enum(InboundState), default=InboundState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))  # what processing did (no personal data)
    last_error: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class AutoReply(Base):
    """One automatic answer sent to an address (by blind index), to cap answers per day."""

    __tablename__ = "auto_replies"
    __table_args__ = (Index("ix_auto_replies_address_sent", "address_index", "sent_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)  # no RETURNING needed
    address_index: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime]


class NewsletterSend(Base):
    """One newsletter issue, queued in batches; ``intake newsletter send --resume`` continues it."""

    __tablename__ = "newsletter_sends"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    template_sha256: Mapped[str] = mapped_column(String(64))
    subject_lines: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> e-mail subject
    rate: Mapped[float | None] = mapped_column(Float)  # messages per second; None: all at once
    operator: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    queued: Mapped[int] = mapped_column(Integer, default=0)  # over all passes
    # What the latest pass left out (a later pass may queue them if they opt in again).
    skipped_suppressed: Mapped[int] = mapped_column(Integer, default=0)
    skipped_withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    skipped_unreachable: Mapped[int] = mapped_column(Integer, default=0)


class NewsletterSendRecipient(Base):
    """This subscription's copy of that send is queued: a resumed send never queues it again."""

    __tablename__ = "newsletter_send_recipients"

    send_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("newsletter_sends.id", ondelete="CASCADE"), primary_key=True
    )
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("newsletter_subscriptions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
