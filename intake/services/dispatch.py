"""The outbox dispatcher: delivers queued messages through the senders adapters register.

A message is claimed with a lease, decrypted and resolved to an address only for the
moment of sending, and marked sent right after. It is retried with backoff on temporary
failures and never sent again once marked sent. If the process dies between sending and
marking, the lease expires and the message is sent again: delivery is at least once, and
the window is one network round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from consent_store.crypto import DecryptionFailed
from consent_store.enums import Channel, ContactKind, OutboxState, RecipientKind
from consent_store.models import OutboxMessage
from consent_store.unit_of_work import UnitOfWork
from intake import rules, safe_log
from intake.core import Core
from intake.messages import RenderedMessage
from intake.ports import (
    Delivery,
    PermanentDeliveryError,
    RecipientUnreachable,
    Sender,
    TemporaryDeliveryError,
)
from intake.services import coaches, newsletter, subjects
from intake.services.outbox import CHANNEL_CONTACT, SendCheck, Withheld, payload_aad

log = logging.getLogger("intake.dispatch")


@dataclass(slots=True)
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.cancelled


class Unresolvable(Exception):
    def __init__(self, state: OutboxState, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason


class Dispatcher:
    def __init__(
        self,
        core: Core,
        senders: Mapping[Channel, Sender],
        *,
        batch_size: int = 50,
        lease: timedelta = timedelta(minutes=5),
        concurrency: int = 8,
        checks: Mapping[str, SendCheck] | None = None,
    ) -> None:
        self.core = core
        self.senders = dict(senders)
        # Kinds whose recipient may have opted out after queueing (newsletters) are
        # checked again, and addressed, at the moment of sending.
        self.checks = {**newsletter.SEND_CHECKS, **(checks or {})}
        self.batch_size = batch_size
        self.lease = lease
        self._limit = asyncio.Semaphore(concurrency)

    async def run_once(self) -> DispatchStats:
        """Deliver every message that is due now; returns what happened."""
        stats = DispatchStats()
        while True:
            async with self.core.uow() as uow:
                claimed = await uow.outbox.claim_due(
                    self.core.clock.now(), channels=self.senders, limit=self.batch_size, lease=self.lease
                )
                await uow.commit()
            if not claimed:
                return stats
            await asyncio.gather(*(self._deliver(row, stats) for row in claimed))

    async def run_forever(self, stop: asyncio.Event) -> None:
        poll = self.core.settings.outbox_poll_seconds
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as exc:  # the loop must survive a database hiccup
                log.error("outbox dispatch round failed: %s", safe_log.failure(exc))
            self.core.outbox_ready.clear()
            waiter = asyncio.ensure_future(self.core.outbox_ready.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for task in (waiter, stopper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _deliver(self, row: OutboxMessage, stats: DispatchStats) -> None:
        async with self._limit:
            try:
                delivery = await self._resolve(row)
            except Unresolvable as gone:
                await self._finish(row, stats, state=gone.state, last_error=gone.reason)
                return
            sender = self.senders[row.channel]
            try:
                ref = await sender.send(delivery)
            except TemporaryDeliveryError as exc:
                await self._retry(row, stats, exc.code, exc.retry_after)
            except RecipientUnreachable as exc:
                await self._mark_unreachable(row, delivery)
                await self._finish(row, stats, state=OutboxState.FAILED, last_error=exc.code)
            except PermanentDeliveryError as exc:
                await self._finish(row, stats, state=OutboxState.FAILED, last_error=exc.code)
            except Exception as exc:  # a sender bug must not stop the other messages
                # Not the message: a relay's refusal can quote the recipient's address.
                log.error(
                    "sender %s crashed on outbox message %s: %s",
                    row.channel.value,
                    row.id,
                    safe_log.failure(exc),
                )
                await self._retry(row, stats, type(exc).__name__, None)
            else:
                await self._finish(
                    row,
                    stats,
                    state=OutboxState.SENT,
                    sent_at=self.core.clock.now(),
                    delivery_ref=ref,
                    last_error=None,
                )

    async def _resolve(self, row: OutboxMessage) -> Delivery:
        async with self.core.uow() as uow:
            try:
                cipher = (
                    await uow.subject_cipher(row.concerns_subject_id)
                    if row.concerns_subject_id
                    else uow.keyring.service
                )
                message = RenderedMessage.from_json(cipher.decrypt(row.payload, payload_aad(row)))
            except DecryptionFailed:
                raise Unresolvable(OutboxState.CANCELLED, "cancelled: data key destroyed") from None
            address = await self._checked_address(uow, row)
            previous = (
                await uow.outbox.previous_delivery(row.thread, row.recipient_id, row.id)
                if row.thread and message.replaces_previous
                else None
            )
            return Delivery(row.id, row.channel, address, message, previous)

    async def _checked_address(self, uow: UnitOfWork, row: OutboxMessage) -> str:
        check = self.checks.get(row.kind)
        if check is None:
            return await self._address(uow, row)
        try:
            return await check(uow, self.core, row)
        except Withheld as withheld:
            raise Unresolvable(OutboxState.CANCELLED, f"cancelled: {withheld.reason}") from None
        except DecryptionFailed:
            raise Unresolvable(OutboxState.CANCELLED, "cancelled: data key destroyed") from None

    async def _address(self, uow: UnitOfWork, row: OutboxMessage) -> str:
        if row.recipient_kind is RecipientKind.COACH:
            coach = await uow.coaches.get(row.recipient_id)
            if coach is None:
                raise Unresolvable(OutboxState.FAILED, "no_recipient")
            if row.channel is Channel.TELEGRAM and coach.telegram_user_id is not None:
                return str(coach.telegram_user_id)
            email = coaches.reveal_email(self.core, coach) if row.channel is Channel.EMAIL else None
            if email is None:
                raise Unresolvable(OutboxState.FAILED, "no_address")
            return email
        kind = CHANNEL_CONTACT.get(row.channel)
        points = await uow.contacts.for_subject(row.recipient_id, kind) if kind else []
        reachable = [p for p in points if not p.unreachable]
        if not reachable:
            raise Unresolvable(OutboxState.FAILED, "no_address" if not points else "recipient_unreachable")
        try:
            return (await subjects.reveal(uow, reachable[-1])).value
        except DecryptionFailed:
            raise Unresolvable(OutboxState.CANCELLED, "cancelled: data key destroyed") from None

    async def _retry(self, row: OutboxMessage, stats: DispatchStats, code: str, after: float | None) -> None:
        if row.attempts >= self.core.settings.outbox_max_attempts:
            await self._finish(row, stats, state=OutboxState.FAILED, last_error=f"{code} (gave up)")
            return
        delay = timedelta(seconds=after) if after is not None else rules.retry_delay(row.attempts)
        await self._finish(
            row,
            stats,
            state=OutboxState.PENDING,
            next_attempt_at=self.core.clock.now() + delay,
            last_error=code,
        )

    async def _finish(
        self, row: OutboxMessage, stats: DispatchStats, *, state: OutboxState, **values: object
    ) -> None:
        async with self.core.uow() as uow:
            recorded = await uow.outbox.finish(row.id, row.attempts, state=state, **values)
            await uow.commit()
        if not recorded:
            return
        if state is OutboxState.SENT:
            stats.sent += 1
        elif state is OutboxState.PENDING:
            stats.retried += 1
        elif state is OutboxState.CANCELLED:
            stats.cancelled += 1
        else:
            stats.failed += 1
        error = values.get("last_error")
        if error:
            stats.errors[str(error)] = stats.errors.get(str(error), 0) + 1
            log.info("outbox %s (%s, %s): %s", row.id, row.kind, row.channel.value, error)

    async def _mark_unreachable(self, row: OutboxMessage, delivery: Delivery) -> None:
        if row.recipient_kind is not RecipientKind.SUBJECT:
            return
        kind = CHANNEL_CONTACT[row.channel]
        value = delivery.address if kind is not ContactKind.EMAIL else delivery.address.lower()
        async with self.core.uow() as uow:
            await uow.contacts.mark_unreachable(kind, self.core.keyring.blind_index(kind.value, value))
            await uow.commit()
