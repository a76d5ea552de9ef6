"""Inline and reply keyboards. Labels come from ``Talk``; callback data from ``callbacks``."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import (
    PURPOSE_CODES,
    Consent,
    ContactMethod,
    Erase,
    Go,
    Language,
    Topic,
    WithdrawConsent,
    WithdrawRequest,
    action_data,
)
from bot.i18n import Talk, linkable
from consent_store.enums import Purpose
from intake import topics
from intake.messages import Action
from intake.texts import Wording


def _rows(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[b] for b in buttons])


def _go(label: str, step: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label, callback_data=Go(step=step).pack())


def notice_button(talk: Talk) -> InlineKeyboardButton | None:
    if not linkable(talk.notice_url):
        return None  # local development address: the link is in the text instead
    return InlineKeyboardButton(text=talk.button("notice"), url=talk.notice_url)


def welcome(talk: Talk) -> InlineKeyboardMarkup:
    buttons = [b for b in (notice_button(talk),) if b is not None]
    return _rows(*buttons, _go(talk.button("begin"), "begin"))


def privacy(talk: Talk) -> InlineKeyboardMarkup | None:
    button = notice_button(talk)
    return _rows(button) if button else None


def topic_choice(talk: Talk) -> InlineKeyboardMarkup:
    return _rows(
        *(
            InlineKeyboardButton(
                text=topics.label(code, talk.language), callback_data=Topic(code=code).pack()
            )
            for code in topics.TOPICS
        )
    )


def consent_data(wording: Wording, yes: bool) -> str:
    return Consent(
        purpose=PURPOSE_CODES[wording.purpose],
        yes=int(yes),
        lang=wording.language,
        version=wording.version,
        digest=wording.sha256[:12],
    ).pack()


def consent_question(
    talk: Talk, wording: Wording, *, yes: str, no: str | None, other: tuple[str, str] | None = None
) -> InlineKeyboardMarkup:
    """Two clear answers to ``wording``; ``other`` replaces "no" with a step (label, step)."""
    buttons = [InlineKeyboardButton(text=talk.button(yes), callback_data=consent_data(wording, True))]
    if no is not None:
        buttons.append(InlineKeyboardButton(text=talk.button(no), callback_data=consent_data(wording, False)))
    if other is not None:
        buttons.append(_go(talk.button(other[0]), other[1]))
    return _rows(*buttons)


def special_reask(talk: Talk, wording: Wording) -> InlineKeyboardMarkup:
    return consent_question(talk, wording, yes="consent_yes", no=None, other=("rephrase", "rewrite"))


def preview(talk: Talk) -> InlineKeyboardMarkup:
    return _rows(
        _go(talk.button("send"), "send"),
        _go(talk.button("rewrite"), "rewrite"),
        _go(talk.button("cancel"), "cancel"),
    )


def contact_methods(talk: Talk) -> InlineKeyboardMarkup:
    return _rows(
        *(
            InlineKeyboardButton(
                text=talk.button(f"contact_{kind}"), callback_data=ContactMethod(kind=kind).pack()
            )
            for kind in ("email", "phone", "telegram")
        )
    )


def share_phone(talk: Talk) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=talk.button("share_phone"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def withdraw_consents(talk: Talk, purposes: Iterable[Purpose]) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(
            text=talk.button(f"withdraw_{purpose.value}"),
            callback_data=WithdrawConsent(purpose=purpose.value).pack(),
        )
        for purpose in purposes
    ]
    return _rows(*buttons) if buttons else None


def withdraw_requests(talk: Talk, requests: Iterable[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button per (request id hex, label)."""
    return _rows(
        *(
            InlineKeyboardButton(text=label, callback_data=WithdrawRequest(request=ref).pack())
            for ref, label in requests
        ),
        _go(talk.button("keep"), "keep"),
    )


def erase(talk: Talk) -> InlineKeyboardMarkup:
    return _rows(
        InlineKeyboardButton(text=talk.button("erase_yes"), callback_data=Erase(yes=1).pack()),
        InlineKeyboardButton(text=talk.button("erase_no"), callback_data=Erase(yes=0).pack()),
    )


def languages() -> InlineKeyboardMarkup:
    return _rows(
        InlineKeyboardButton(text="Nederlands", callback_data=Language(code="nl").pack()),
        InlineKeyboardButton(text="English", callback_data=Language(code="en").pack()),
    )


def actions(items: Iterable[Action]) -> InlineKeyboardMarkup | None:
    """The buttons of an outbox message: callbacks for known actions, links where allowed."""
    buttons = []
    for action in items:
        data = action_data(action.name, action.ref)
        if data is not None:
            buttons.append(InlineKeyboardButton(text=action.label, callback_data=data))
        elif action.url and linkable(action.url):
            buttons.append(InlineKeyboardButton(text=action.label, url=action.url))
    return _rows(*buttons) if buttons else None
