"""Callback data of every button the bot shows (Telegram allows at most 64 bytes).

Nothing in callback data is trusted: handlers check the state of the conversation, and
the service layer checks who may act on which offer or request.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from consent_store.enums import Purpose


class Go(CallbackData, prefix="go"):
    """A step of the conversation: begin, send, rewrite, cancel."""

    step: str


class Topic(CallbackData, prefix="tp"):
    code: str


PURPOSE_CODES = {Purpose.SPECIAL_CATEGORY: "s", Purpose.CONTACT_HANDOVER: "h", Purpose.NEWSLETTER: "n"}
PURPOSES = {code: purpose for purpose, code in PURPOSE_CODES.items()}


class Consent(CallbackData, prefix="cg"):
    """An answer to a consent question, naming the wording it was given under."""

    purpose: str  # s, h or n
    yes: int
    lang: str
    version: str
    digest: str  # the first 12 hex digits of the wording's SHA-256


class ContactMethod(CallbackData, prefix="cm"):
    kind: str  # email, phone or telegram


class OfferAccept(CallbackData, prefix="oa"):
    offer: str  # offer id, hex


class OfferDecline(CallbackData, prefix="od"):
    offer: str


class MatchConfirm(CallbackData, prefix="mc"):
    request: str  # request id, hex


class MatchDecline(CallbackData, prefix="md"):
    request: str


class WithdrawConsent(CallbackData, prefix="cw"):
    purpose: str


class WithdrawRequest(CallbackData, prefix="rw"):
    request: str


class Erase(CallbackData, prefix="er"):
    yes: int


class Language(CallbackData, prefix="lg"):
    code: str


# How the outbox's channel-neutral actions become buttons.
ACTIONS: dict[str, type[OfferAccept | OfferDecline | MatchConfirm | MatchDecline]] = {
    "offer.accept": OfferAccept,
    "offer.decline": OfferDecline,
    "match.confirm": MatchConfirm,
    "match.decline": MatchDecline,
}


def action_data(name: str, ref: str) -> str | None:
    kind = ACTIONS.get(name)
    if kind is None:
        return None
    field = next(iter(kind.model_fields))
    return kind(**{field: ref}).pack()
