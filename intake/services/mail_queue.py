"""The durable queue of accepted mail.

The SMTP adapter stores what it accepted with ``store_batch`` (one transaction for every
message that arrived meanwhile: a group commit) and answers ``250`` only after that commit.
A worker claims due messages with their content (``claim``), and the use case that processes
one also marks it done, in the same transaction and only while it still holds the claim
(``finish_in``). A worker that dies loses its lease; the message is processed again, from the
start, and exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from consent_store.inbound import InboundRepository
from consent_store.models import InboundKind, InboundMail, InboundState
from consent_store.unit_of_work import UnitOfWork
from intake import rules
from intake.core import Core
from intake.errors import InvalidInput

CLAIM_BYTES = 16 * 1024 * 1024  # content claimed at once, at most (always at least one message)
_OFFLOAD_BYTES = 256 * 1024  # larger messages are hashed and encrypted off the event loop


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message as the SMTP server accepted it."""

    raw: bytes = field(repr=False)
    mail_from: str = field(repr=False)
    recipients: tuple[str, ...] = field(repr=False)
    kinds: tuple[InboundKind, ...]
    message_id: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Stored:
    queue_ids: tuple[uuid.UUID, ...]
    duplicate: bool  # every kind had been stored before: a resent copy


@dataclass(frozen=True, slots=True)
class _Prepared:
    accepted: Accepted
    message_id_hash: str
    content_hash: str
    envelope: bytes


def _envelope_aad(inbound_id: uuid.UUID) -> bytes:
    return f"inbound-envelope:{inbound_id}".encode()


def _raw_aad(inbound_id: uuid.UUID) -> bytes:
    return f"inbound:{inbound_id}".encode()


async def _offload(size: int, function, *args):  # type: ignore[no-untyped-def]
    return await asyncio.to_thread(function, *args) if size > _OFFLOAD_BYTES else function(*args)


async def _prepare(core: Core, accepted: Accepted) -> _Prepared:
    if not accepted.kinds:
        raise InvalidInput("a message needs at least one recipient")
    digest = await _offload(len(accepted.raw), lambda raw: hashlib.sha256(raw).hexdigest(), accepted.raw)
    envelope = json.dumps({"mail_from": accepted.mail_from, "rcpt_tos": list(accepted.recipients)}).encode()
    return _Prepared(
        accepted,
        core.keyring.blind_index("mail-message-id", (accepted.message_id or "").strip()),
        core.keyring.blind_index("mail-content", digest),
        envelope,
    )


async def store_batch(core: Core, batch: Sequence[Accepted]) -> list[Stored]:
    """Store messages durably, each once per kind, in one transaction; a copy stored before
    (same Message-ID and content) is not stored again. On an error nothing is stored."""
    prepared = [await _prepare(core, accepted) for accepted in batch]
    try:
        return await _store(core, prepared)
    except IntegrityError:
        if len(prepared) > 1:  # one of them collided with another process: store them one by one
            return [(await store_batch(core, [item.accepted]))[0] for item in prepared]
    # The same message arrived on another connection (or process) and committed first.
    item = prepared[0]
    async with core.uow() as uow:
        stored = await InboundRepository(uow.session).kinds_stored(
            item.accepted.kinds, item.message_id_hash, item.content_hash
        )
    if stored >= set(item.accepted.kinds):
        return [Stored((), duplicate=True)]
    raise InvalidInput("the message could not be stored")  # a real conflict: the caller answers 451


async def _store(core: Core, prepared: list[_Prepared]) -> list[Stored]:
    """One statement inserts the batch; the database leaves out what it holds already
    (its unique key on kind, Message-ID and content), so no query asks first."""
    service = core.keyring.service
    async with core.uow() as uow:
        now = core.clock.now()
        seen: set[tuple[InboundKind, str, str]] = set()
        candidates: list[list[uuid.UUID]] = []
        rows = []
        for item in prepared:
            ids = []
            for kind in sorted(set(item.accepted.kinds)):
                key = (kind, item.message_id_hash, item.content_hash)
                if key in seen:  # the same message twice in this batch
                    continue
                seen.add(key)
                inbound_id = uuid.uuid4()
                rows.append(
                    {
                        "id": inbound_id,
                        "kind": kind,
                        "message_id_hash": item.message_id_hash,
                        "content_hash": item.content_hash,
                        "size": len(item.accepted.raw),
                        "envelope": service.encrypt(item.envelope, _envelope_aad(inbound_id)),
                        "raw": await _offload(
                            len(item.accepted.raw), service.encrypt, item.accepted.raw, _raw_aad(inbound_id)
                        ),
                        "state": InboundState.QUEUED,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "received_at": now,
                        "lease_until": None,
                        "outcome": None,
                        "last_error": None,
                        "processed_at": None,
                    }
                )
                ids.append(inbound_id)
            candidates.append(ids)
        inserted = await InboundRepository(uow.session).insert_new(rows)
        results = []
        for ids in candidates:
            stored = tuple(i for i in ids if i in inserted)
            results.append(Stored(stored, duplicate=not stored))
        if inserted:
            await uow.commit()
        return results


@dataclass(frozen=True, slots=True)
class Claim:
    id: uuid.UUID
    kind: InboundKind
    attempt: int


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed message with its content, decrypted."""

    claim: Claim
    mail_from: str = field(repr=False)
    recipients: tuple[str, ...] = field(repr=False)
    raw: bytes = field(repr=False)


async def claim(core: Core, kinds: Sequence[InboundKind], *, limit: int = 20) -> list[Claimed]:
    """Claim due messages of ``kinds`` with their content (a dead worker's claims expire
    after ``mail_lease_seconds``; finishing is conditional on the claim, so even a worker
    that was only slow cannot process a message twice)."""
    async with core.uow() as uow:
        rows = await InboundRepository(uow.session).claim_due(
            core.clock.now(),
            kinds=kinds,
            limit=limit,
            max_bytes=CLAIM_BYTES,
            lease=timedelta(seconds=core.settings.mail_lease_seconds),
        )
        await uow.commit()
    claimed = []
    service = core.keyring.service
    for row in rows:
        envelope = json.loads(service.decrypt(row.envelope, _envelope_aad(row.id)))
        raw = await _offload(len(row.raw), service.decrypt, row.raw, _raw_aad(row.id))
        claimed.append(
            Claimed(
                Claim(row.id, row.kind, row.attempts), envelope["mail_from"], tuple(envelope["rcpt_tos"]), raw
            )
        )
    return claimed


async def finish_in(uow: UnitOfWork, core: Core, claimed: Claim, outcome: str) -> bool:
    """Mark the claimed message processed and drop its content, in the transaction that
    processes it; False if the claim was lost (another worker took over after our lease).

    Do this first: on PostgreSQL its row lock makes a second worker wait, then find it done."""
    return await InboundRepository(uow.session).finish(
        claimed.id,
        claimed.attempt,
        state=InboundState.DONE,
        outcome=outcome[:32],
        envelope=None,
        raw=None,
        processed_at=core.clock.now(),
        last_error=None,
    )


async def finish_many_in(uow: UnitOfWork, core: Core, claims: Sequence[Claim]) -> set[uuid.UUID]:
    """``finish_in`` for a batch: the ids whose claim we still held."""
    return await InboundRepository(uow.session).finish_many(
        [(c.id, c.attempt) for c in claims],
        state=InboundState.DONE,
        outcome="pending",
        envelope=None,
        raw=None,
        processed_at=core.clock.now(),
        last_error=None,
    )


async def record_outcome_in(uow: UnitOfWork, claimed: Claim, outcome: str) -> None:
    await InboundRepository(uow.session).record_outcome(claimed.id, outcome[:32])


async def retry_in(uow: UnitOfWork, core: Core, claimed: Claim, error: str) -> bool:
    """Processing failed: try again with backoff, or give up after ``mail_max_attempts``
    (the message then stays, encrypted, for the operator). True if given up."""
    gave_up = claimed.attempt >= core.settings.mail_max_attempts
    values: dict[str, object] = (
        {"state": InboundState.FAILED, "last_error": f"{error} (gave up)"[:200]}
        if gave_up
        else {
            "state": InboundState.QUEUED,
            "next_attempt_at": core.clock.now() + rules.retry_delay(claimed.attempt),
            "last_error": error[:200],
        }
    )
    await InboundRepository(uow.session).finish(claimed.id, claimed.attempt, **values)
    return gave_up


async def retry_later(core: Core, claimed: Claim, error: str) -> bool:
    async with core.uow() as uow:
        gave_up = await retry_in(uow, core, claimed, error)
        await uow.commit()
    return gave_up


async def unfinished(core: Core, kinds: Sequence[InboundKind]) -> int:
    """How many messages of ``kinds`` are due or being processed now."""
    async with core.reader() as uow:
        return await InboundRepository(uow.session).unfinished(kinds, core.clock.now())


@dataclass(frozen=True, slots=True)
class Purged:
    messages: int
    replies: int


async def purge(core: Core) -> Purged:
    """Forget processed messages after ``mail_keep_days`` (the duplicate window) and failed ones
    as long after they arrived; forget the auto-reply log after a day."""
    from intake.services.mail_intake import REPLY_WINDOW

    now = core.clock.now()
    async with core.uow() as uow:
        queue = InboundRepository(uow.session)
        messages = await queue.purge(processed_before=now - timedelta(days=core.settings.mail_keep_days))
        replies = await queue.forget_replies(now - REPLY_WINDOW)
        await uow.commit()
    return Purged(messages, replies)


async def requeue(core: Core, inbound_id: uuid.UUID) -> bool:
    """Give a failed message another round of attempts (operator)."""
    async with core.uow() as uow:
        done = await InboundRepository(uow.session).requeue(inbound_id, core.clock.now())
        await uow.commit()
        return done


async def failed(core: Core, *, limit: int = 200) -> Sequence[InboundMail]:
    async with core.reader() as uow:
        return await InboundRepository(uow.session).listing([InboundState.FAILED], limit=limit)
