"""The pages e-mail links open: ``/c/{token}`` (a candidate confirms an e-mailed request),
``/o/{token}`` (a coach answers an offer), ``/m/{token}`` (a candidate answers a match).

GET only shows (mail scanners open links); every change is a POST from the page's form. A
tampered token gets 400, an expired one 410, a replayed POST an "already done" page.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from consent_store.enums import Purpose
from intake import topics
from intake.core import Core
from intake.errors import ConsentRequired, InvalidState, StaleWording
from intake.services import email_actions, mail_confirmation
from intake.services.consent import ShownWording
from intake.services.email_actions import LinkTargetGone
from intake.services.mail_confirmation import AlreadyConfirmed, ConfirmationGone
from intake.texts import LANGUAGES
from intake.texts.dates import long_date
from intake.tokens import CONFIRM_REQUEST, MATCH, OFFER, TokenExpired, TokenInvalid, TokenPurpose
from web.pages import CORE, error_page, labels, language_of, message_page, render

SUBMISSION = re.compile(r"[0-9a-f]{32}")  # a form's id: the evidence of what it recorded
SHOWN_WORDING = re.compile(r"([\w.\-]{1,32}):([0-9a-f]{64})")  # version:sha256 of a consent text
_CONSENT_ORDER = (Purpose.SPECIAL_CATEGORY, Purpose.CONTACT_HANDOVER, Purpose.NEWSLETTER)


class BadLink(Exception):
    """A link that cannot be followed; ``bad_links`` turns it into its error page."""

    def __init__(self, status: int, message_key: str, title_key: str) -> None:
        super().__init__(message_key)
        self.status = status
        self.message_key = message_key
        self.title_key = title_key


@contextlib.contextmanager
def checked_token() -> Iterator[None]:
    """Around reading a link's token: tampered gives 400, expired 410 (``BadLink``)."""
    try:
        yield
    except TokenExpired:
        raise BadLink(410, "link_expired", "link_expired_title") from None
    except TokenInvalid:
        raise BadLink(400, "link_invalid", "link_invalid_title") from None


def _ref(request: web.Request, purpose: TokenPurpose) -> uuid.UUID:
    """The object the link's token names, or ``BadLink``."""
    with checked_token():
        ref = request.app[CORE].tokens.verify(purpose, request.match_info["token"])
        try:
            return uuid.UUID(hex=ref)
        except ValueError:
            raise TokenInvalid() from None


def _confirm_purpose(request: web.Request) -> TokenPurpose:
    # The link lives exactly as long as the request waits for confirmation.
    return TokenPurpose(CONFIRM_REQUEST.name, request.app[CORE].settings.confirmation_ttl)


@web.middleware
async def bad_links(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadLink as bad:
        return error_page(request, bad.status, bad.message_key, bad.title_key)


# The confirmation page ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Shown:
    purpose: str
    version: str
    sha256: str
    text: str
    hint: str


def _wordings(request: web.Request, language: str, required: frozenset[Purpose]) -> list[_Shown]:
    core = request.app[CORE]
    t = labels(language)
    shown = []
    for purpose in _CONSENT_ORDER:
        wording = core.texts.wording(purpose, language)
        if purpose not in required:
            hint = t["optional"]
        else:
            hint = t["required_special"] if purpose is Purpose.SPECIAL_CATEGORY else t["required"]
        shown.append(_Shown(purpose.value, wording.version, wording.sha256, wording.text, hint))
    return shown


def _confirm_form(
    request: web.Request,
    view: mail_confirmation.ConfirmationView,
    language: str,
    *,
    status: int = 200,
    submission: str | None = None,
    ticked: frozenset[str] = frozenset(),
    topic: str | None = None,
    errors: list[dict[str, str]] | None = None,
    missing: frozenset[str] = frozenset(),
) -> web.Response:
    expires = long_date(view.expires_at.date(), language) if view.expires_at else ""
    return render(
        request,
        "confirm.html",
        status=status,
        language=language,
        reference=view.reference,
        text=view.text,
        request_language=view.language,
        submission=submission or secrets.token_hex(16),
        wordings=_wordings(request, language, view.required),
        topic_choices=[(code, topics.label(code, language)) for code in topics.TOPICS],
        topic=topic or view.topic,
        ticked=ticked,
        missing=missing,
        errors=errors or [],
        expires_on=expires,
    )


async def _confirmation_or_page(
    request: web.Request, request_id: uuid.UUID
) -> mail_confirmation.ConfirmationView | web.Response:
    try:
        return await mail_confirmation.confirmation(request.app[CORE], request_id)
    except ConfirmationGone:
        return error_page(request, 410, "request_gone", "gone_title")


async def confirm_page(request: web.Request) -> web.Response:
    request_id = _ref(request, _confirm_purpose(request))
    view = await _confirmation_or_page(request, request_id)
    if isinstance(view, web.Response):
        return view
    language = language_of(request, view.locale)
    if not view.waiting:
        return message_page(request, "already_confirmed_title", "already_confirmed", language=language)
    return _confirm_form(request, view, language)


async def confirm_submit(request: web.Request) -> web.Response:
    core = request.app[CORE]
    request_id = _ref(request, _confirm_purpose(request))
    form = await request.post()
    submission = str(form.get("submission", ""))
    action = form.get("action")
    view = await _confirmation_or_page(request, request_id)
    if isinstance(view, web.Response):
        return view
    language = str(form.get("lang")) if form.get("lang") in LANGUAGES else language_of(request, view.locale)
    if not SUBMISSION.fullmatch(submission) or action not in ("confirm", "delete"):
        return error_page(request, 400, "bad_form", language=language)
    try:
        if action == "delete":
            reference = await mail_confirmation.discard(core, request_id)
            return message_page(request, "deleted_title", "deleted", language=language, reference=reference)
        shown = {}
        for purpose in _CONSENT_ORDER:
            match = SHOWN_WORDING.fullmatch(str(form.get(f"shown_{purpose.value}", "")))
            if match:
                shown[purpose] = ShownWording(match[1], match[2], language)
        ticked = frozenset(p for p in _CONSENT_ORDER if form.get(f"consent_{p.value}") == "yes")
        topic = str(form.get("topic", "")) or None
        if topic is not None and topic not in topics.TOPICS:
            topic = None
        try:
            confirmed = await mail_confirmation.confirm(
                core, request_id, shown=shown, ticked=ticked, topic=topic, evidence=f"web-form:{submission}"
            )
        except ConsentRequired as refused:
            return _confirm_form(
                request,
                view,
                language,
                status=422,
                submission=submission,
                ticked=frozenset(p.value for p in ticked),
                topic=topic,
                errors=[
                    {
                        "field": f"consent_{refused.purpose}",
                        "text": labels(language)[f"missing_{refused.purpose}"],
                    }
                ],
                missing=frozenset({refused.purpose}),
            )
        except StaleWording:  # the wording changed between showing and submitting: show it again
            errors = [{"field": "consent_contact_handover", "text": labels(language)["stale_wording"]}]
            return _confirm_form(request, view, language, status=409, topic=topic, errors=errors)
    except AlreadyConfirmed:
        return message_page(request, "already_confirmed_title", "already_confirmed", language=language)
    except ConfirmationGone:
        return error_page(request, 410, "request_gone", "gone_title", language=language)
    return message_page(
        request,
        "confirmed_title",
        "confirmed",
        language=language,
        extra_key="newsletter_pending" if confirmed.newsletter is not None else None,
        reference=confirmed.reference,
    )


# Offers (coaches) and matches (candidates) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answering:
    """A page where someone answers by a form: an offer (coach) or a match (candidate)."""

    purpose: TokenPurpose
    template: str
    name: str  # the view's name in the template
    gone: str  # label of the 410 page
    show: Callable[[Core, uuid.UUID], Awaitable[Any]]
    answer: Callable[[Core, uuid.UUID, bool], Awaitable[Any]]
    actions: tuple[str, str]  # (yes, no) values of the form's "action"


_OFFER = _Answering(
    OFFER,
    "offer.html",
    "offer",
    "offer_gone",
    email_actions.offer_view,
    lambda core, ref, yes: email_actions.answer_offer(core, ref, accept=yes),
    ("accept", "decline"),
)
_MATCH = _Answering(
    MATCH,
    "match.html",
    "match",
    "request_gone",
    email_actions.match_view,
    lambda core, ref, yes: email_actions.answer_match(core, ref, confirm=yes),
    ("confirm", "decline"),
)


async def _answering_page(request: web.Request, page: _Answering) -> web.Response:
    ref = _ref(request, page.purpose)
    core = request.app[CORE]
    try:
        view = await page.show(core, ref)
    except LinkTargetGone:
        return error_page(request, 410, page.gone, "gone_title")
    language = language_of(request, view.locale)
    if request.method == "POST":
        action = (await request.post()).get("action")
        if action not in page.actions:
            return error_page(request, 400, "bad_form", language=language)
        try:
            view = await page.answer(core, ref, action == page.actions[0])
        except InvalidState:  # too late, taken, or answered before (a replayed form)
            view = await page.show(core, ref)  # the page says how things stand
    return render(request, page.template, language=language, **{page.name: view})


async def offer_page(request: web.Request) -> web.Response:
    return await _answering_page(request, _OFFER)


async def match_page(request: web.Request) -> web.Response:
    return await _answering_page(request, _MATCH)
