"""Queueing outgoing messages in the same transaction as the change that causes them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from consent_store.enums import Channel, ContactKind, RecipientKind
from consent_store.models import Coach, IntakeRequest, OutboxMessage
from consent_store.unit_of_work import UnitOfWork
from intake.core import Core
from intake.messages import RenderedMessage


async def enqueue(
    uow: UnitOfWork,
    core: Core,
    *,
    channel: Channel,
    recipient_kind: RecipientKind,
    recipient_id: uuid.UUID,
    message: RenderedMessage,
    concerns_subject_id: uuid.UUID | None,
    thread: str | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Add an outbox row; it is encrypted under the data key of the subject it concerns
    (so erasing that subject also makes the message unreadable), else the service key."""
    row = OutboxMessage(
        **await values(
            uow,
            core,
            channel=channel,
            recipient_kind=recipient_kind,
            recipient_id=recipient_id,
            message=message,
            concerns_subject_id=concerns_subject_id,
            thread=thread,
            dedupe_key=dedupe_key,
        )
    )
    uow.outbox.add(row)
    uow.after_commit(core.wake_dispatcher)
    return row


async def values(
    uow: UnitOfWork,
    core: Core,
    *,
    channel: Channel,
    recipient_kind: RecipientKind,
    recipient_id: uuid.UUID,
    message: RenderedMessage,
    concerns_subject_id: uuid.UUID | None,
    thread: str | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The column values of an outbox row, as ``enqueue`` writes it (for ``insert_all``)."""
    now = now or core.clock.now()
    cipher = await uow.subject_cipher(concerns_subject_id) if concerns_subject_id else uow.keyring.service
    return {
        "channel": channel,
        "recipient_kind": recipient_kind,
        "recipient_id": recipient_id,
        "kind": message.kind,
        "concerns_subject_id": concerns_subject_id,
        "payload": cipher.encrypt(message.to_json(), _aad(recipient_kind, recipient_id)),
        "thread": thread,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "next_attempt_at": now,
    }


async def insert_all(uow: UnitOfWork, core: Core, rows: Sequence[dict[str, Any]]) -> None:
    """Queue many messages (``values``) with one statement: the ORM would insert them one by
    one, to read back each id, which nobody needs here. On the table, not the class: the
    ORM's bulk path would still do its bookkeeping per row (the column defaults apply alike)."""
    if rows:
        await uow.session.execute(insert(OutboxMessage.__table__), list(rows))
        uow.after_commit(core.wake_dispatcher)


def payload_aad(row: OutboxMessage) -> bytes:
    return _aad(row.recipient_kind, row.recipient_id)


def _aad(recipient_kind: RecipientKind, recipient_id: uuid.UUID) -> bytes:
    """Binds a payload to its recipient: a row's payload cannot be moved to another recipient."""
    return f"outbox:{recipient_kind.value}:{recipient_id}".encode()


def coach_channel(coach: Coach) -> Channel:
    return Channel.TELEGRAM if coach.telegram_user_id is not None else Channel.EMAIL


def candidate_channel(request: IntakeRequest) -> Channel:
    """Candidates hear from us where they wrote to us."""
    return Channel.TELEGRAM if request.channel is Channel.TELEGRAM else Channel.EMAIL


CHANNEL_CONTACT = {Channel.TELEGRAM: ContactKind.TELEGRAM, Channel.EMAIL: ContactKind.EMAIL}


async def to_coach(
    uow: UnitOfWork,
    core: Core,
    coach: Coach,
    message: RenderedMessage,
    *,
    concerns: IntakeRequest | None,
    thread: str | None = None,
) -> OutboxMessage:
    """``concerns``: the request whose candidate's data the message carries (its key encrypts
    the message), or None for notices without any (request taken, withdrawn...)."""
    return await enqueue(
        uow,
        core,
        channel=coach_channel(coach),
        recipient_kind=RecipientKind.COACH,
        recipient_id=coach.id,
        message=message,
        concerns_subject_id=concerns.subject_id if concerns else None,
        thread=thread,
    )


async def to_candidate(
    uow: UnitOfWork,
    core: Core,
    request: IntakeRequest,
    message: RenderedMessage,
    *,
    thread: str | None = None,
) -> OutboxMessage:
    return await enqueue(
        uow,
        core,
        channel=candidate_channel(request),
        recipient_kind=RecipientKind.SUBJECT,
        recipient_id=request.subject_id,
        message=message,
        concerns_subject_id=request.subject_id,
        thread=thread,
    )


class Withheld(Exception):
    """A send-time check says this message must not go out (any more); it is cancelled."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


SendCheck = Callable[[UnitOfWork, Core, OutboxMessage], Awaitable[str]]
"""Run by the dispatcher for messages of one kind, in the transaction that resolves them:
returns the address to deliver to, or raises ``Withheld``."""
