"""What the core needs from the outside, as protocols: the anonymiser and message senders.

Adapters implement ``Sender`` (Telegram in ``bot/``, e-mail in ``mail_ingest/``); the core
never imports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from consent_store.enums import Channel
from intake.errors import IntakeError
from intake.messages import RenderedMessage


class SpanLike(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def label(self) -> str: ...


class AnalysisLike(Protocol):
    @property
    def language(self) -> str: ...
    @property
    def redacted(self) -> str: ...
    @property
    def spans(self) -> Sequence[SpanLike]: ...
    @property
    def special_category(self) -> bool: ...
    @property
    def categories(self) -> Sequence[str]: ...


class AnonymiserPort(Protocol):
    def analyse(self, text: str, lang: str | None = None) -> AnalysisLike: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox message, resolved for sending: the address is decrypted only here."""

    outbox_id: int
    channel: Channel
    address: str  # e-mail address or Telegram chat id
    message: RenderedMessage
    previous_ref: str | None  # delivery_ref of the earlier message in this thread, if any

    def __repr__(self) -> str:
        return f"Delivery(outbox_id={self.outbox_id}, channel={self.channel.value}, kind={self.message.kind})"


class DeliveryError(IntakeError):
    """Sending failed."""

    code = "delivery_failed"


class TemporaryDeliveryError(DeliveryError):
    """Sending failed for now; try again later (after ``retry_after`` seconds if given)."""

    code = "delivery_temporary"

    def __init__(self, message: str = "temporary failure", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Sending failed and will not succeed by retrying."""

    code = "delivery_permanent"


class RecipientUnreachable(PermanentDeliveryError):
    """The recipient cannot be reached on this channel (blocked the bot, address bounces)."""

    code = "recipient_unreachable"


class Sender(Protocol):
    channel: Channel

    async def send(self, delivery: Delivery) -> str | None:
        """Deliver; return a reference to the delivered message (for later edits), if any."""
        ...
