"""The vocabulary shared by the store and the core. Values are stored as strings."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    TELEGRAM = "telegram"
    EMAIL = "email"
    WEB = "web"
    OPERATOR = "operator"
    SYSTEM = "system"


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    TELEGRAM = "telegram"


class SubjectState(StrEnum):
    ACTIVE = "active"
    ERASED = "erased"


class Purpose(StrEnum):
    SPECIAL_CATEGORY = "special_category"
    CONTACT_HANDOVER = "contact_handover"
    NEWSLETTER = "newsletter"


class ConsentAction(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class Actor(StrEnum):
    SUBJECT = "subject"
    OPERATOR = "operator"
    SYSTEM = "system"


class RequestState(StrEnum):
    DRAFT = "draft"  # written, not yet submitted (e-mail: awaiting confirmation)
    OPEN = "open"  # submitted and offered to coaches
    ACCEPTED = "accepted"  # a coach accepted; waiting for the candidate (if confirmation is on)
    HANDED_OVER = "handed_over"  # contact details went to the one matched coach
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class OfferState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"  # the coach said "not for me"
    SUPERSEDED = "superseded"  # another coach accepted first
    REJECTED = "rejected"  # the candidate declined this coach
    WITHDRAWN = "withdrawn"  # the request was withdrawn or expired


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RecipientKind(StrEnum):
    SUBJECT = "subject"
    COACH = "coach"


class NewsletterState(StrEnum):
    PENDING = "pending"  # signed up, not yet confirmed (double opt-in)
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


LIVE_REQUEST_STATES = frozenset({RequestState.DRAFT, RequestState.OPEN, RequestState.ACCEPTED})
