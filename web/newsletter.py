"""The newsletter's public pages.

* ``/nieuwsbrief`` (``/newsletter`` in English): the sign-up form. Every address gets the
  same answer ("check your mailbox"), so the form tells nobody who is subscribed; one
  client may send only so many a minute (counted in memory; no address stored).
* ``/n/{token}``: the page the confirmation mail links to (double opt-in); its POST confirms.
* ``/u/{token}``: unsubscribing. GET shows a button; a POST with
  ``List-Unsubscribe=One-Click`` (that button, or a mail provider's one-click POST, RFC 8058,
  in either form encoding) unsubscribes and answers 200 with the same page whether the
  subscription was active, already off or erased.

GET never changes anything. Tampered tokens get 400, expired ones 410 (``links.checked_token``).
"""

from __future__ import annotations

import secrets

from aiohttp import web
from multidict import MultiDictProxy

from consent_store.enums import Channel, Purpose
from intake import contacts
from intake.contacts import InvalidEmail
from intake.errors import StaleWording
from intake.limits import TokenBuckets
from intake.links import NEWSLETTER_CONFIRM_PATH, UNSUBSCRIBE_PATH
from intake.services import newsletter
from intake.services.consent import ShownWording
from intake.services.newsletter import NoSignUpWaiting
from intake.texts import LANGUAGES
from web.links import SHOWN_WORDING, SUBMISSION, checked_token
from web.pages import CORE, error_page, labels, language_of, message_page, render

SIGNUP_PATHS = {"nl": "/nieuwsbrief", "en": "/newsletter"}
ONE_CLICK = ("List-Unsubscribe", "One-Click")  # the body of an RFC 8058 POST
SIGNUP_LIMITS = web.AppKey("signup_limits", TokenBuckets)
_ENCODINGS = {"multipart/form-data": "multipart", "application/x-www-form-urlencoded": "urlencoded"}


def signup_path(language: str) -> str:
    return SIGNUP_PATHS.get(language, SIGNUP_PATHS["nl"])


def _form_language(request: web.Request, form: MultiDictProxy[str | bytes | web.FileField]) -> str:
    """The language the submitted page was in."""
    chosen = form.get("lang")
    return chosen if isinstance(chosen, str) and chosen in LANGUAGES else language_of(request)


def _shown(form: MultiDictProxy[str | bytes | web.FileField], language: str) -> ShownWording | None:
    """The newsletter wording the page showed (version and hash), if the form is intact."""
    match = SHOWN_WORDING.fullmatch(str(form.get("shown_newsletter", "")))
    return ShownWording(match[1], match[2], language) if match else None


def _submission(form: MultiDictProxy[str | bytes | web.FileField]) -> str | None:
    submission = str(form.get("submission", ""))
    return submission if SUBMISSION.fullmatch(submission) else None


# The sign-up form ------------------------------------------------------------------------


def _client(request: web.Request) -> str:
    if request.app[CORE].settings.web_behind_proxy:
        forwarded = request.headers.getall("X-Forwarded-For", [])
        if forwarded:
            return forwarded[-1].split(",")[-1].strip()
    return request.remote or "?"


def _form(
    request: web.Request,
    template: str,
    language: str,
    *,
    status: int = 200,
    errors: list[dict[str, str]] | None = None,
    **context: object,
) -> web.Response:
    """A page with a form that shows the newsletter's consent text (recorded as shown)."""
    return render(
        request,
        template,
        status=status,
        language=language,
        submission=secrets.token_hex(16),
        wording=request.app[CORE].texts.wording(Purpose.NEWSLETTER, language),
        errors=errors or [],
        **context,
    )


def _signup_form(
    request: web.Request,
    language: str,
    *,
    status: int = 200,
    address: str = "",
    ticked: bool = False,
    errors: list[dict[str, str]] | None = None,
    invalid: frozenset[str] = frozenset(),  # the fields marked as wrong
) -> web.Response:
    return _form(
        request,
        "newsletter_signup.html",
        language,
        status=status,
        errors=errors,
        address=address,
        ticked=ticked,
        invalid=invalid,
    )


async def signup_page(request: web.Request) -> web.Response:
    preferred = "en" if request.path == SIGNUP_PATHS["en"] else "nl"
    return _signup_form(request, language_of(request, preferred))


async def signup_submit(request: web.Request) -> web.Response:
    form = await request.post()
    language = _form_language(request, form)
    if not request.app[SIGNUP_LIMITS].take(_client(request)):
        response = error_page(request, 429, "too_many", "too_many_title", language=language)
        response.headers["Retry-After"] = "60"
        return response
    submission, shown = _submission(form), _shown(form, language)
    if submission is None or shown is None:
        return error_page(request, 400, "bad_form", language=language)
    address = str(form.get("email", "")).strip()[:320]
    ticked = form.get("consent_newsletter") == "yes"
    texts = labels(language)
    errors = []
    try:
        contacts.email(address)
    except InvalidEmail:
        errors.append({"field": "email", "text": texts["missing_email"]})
    if not ticked:
        errors.append({"field": "consent_newsletter", "text": texts["missing_newsletter"]})
    if errors:
        invalid = frozenset(e["field"] for e in errors)
        return _signup_form(
            request, language, status=422, address=address, ticked=ticked, errors=errors, invalid=invalid
        )
    try:
        await newsletter.subscribe_email(
            request.app[CORE],
            address=address,
            language=language,
            shown=shown,
            evidence=f"web-form:{submission}",
        )
    except StaleWording:  # the text changed while the page was open: show the new one
        error = {"field": "consent_newsletter", "text": texts["stale_wording"]}
        return _signup_form(request, language, status=409, address=address, errors=[error])
    return message_page(
        request, "signup_sent_title", "signup_sent", language=language, extra_key="signup_sent_none"
    )


# The double opt-in page ----------------------------------------------------------------


def _confirm_form(
    request: web.Request, language: str, *, status: int = 200, errors: list[dict[str, str]] | None = None
) -> web.Response:
    return _form(request, "newsletter_confirm.html", language, status=status, errors=errors)


def _gone(request: web.Request, language: str | None = None) -> web.Response:
    return error_page(request, 410, "signup_gone", "gone_title", language=language)


def _already(request: web.Request, language: str) -> web.Response:
    return message_page(request, "newsletter_confirmed_title", "newsletter_already", language=language)


async def confirm_page(request: web.Request) -> web.Response:
    try:
        with checked_token():
            signup = await newsletter.signup_for_token(request.app[CORE], request.match_info["token"])
    except NoSignUpWaiting:
        return _gone(request)
    language = language_of(request, signup.language)
    if signup.confirmed:
        return _already(request, language)
    return _confirm_form(request, language)


async def confirm_submit(request: web.Request) -> web.Response:
    core = request.app[CORE]
    token = request.match_info["token"]
    form = await request.post()
    language = _form_language(request, form)
    try:
        with checked_token():
            signup = await newsletter.signup_for_token(core, token)
            submission, shown = _submission(form), _shown(form, language)
            if signup.confirmed:  # a replayed form
                return _already(request, language)
            if submission is None or shown is None or form.get("action") != "confirm":
                return error_page(request, 400, "bad_form", language=language)
            await newsletter.confirm_by_token(core, token, shown=shown, evidence=f"web-form:{submission}")
    except NoSignUpWaiting:
        return _gone(request, language)
    except StaleWording:
        error = {"field": "wording", "text": labels(language)["stale_wording"]}
        return _confirm_form(request, language, status=409, errors=[error])
    return message_page(request, "newsletter_confirmed_title", "newsletter_confirmed", language=language)


# Unsubscribing -----------------------------------------------------------------------------


async def unsubscribe_page(request: web.Request) -> web.Response:
    with checked_token():  # only the token is checked: the page is the same for everyone
        request.app[CORE].tokens.unsubscribe_ref(request.match_info["token"])
    language = language_of(request)
    return render(
        request,
        "unsubscribe.html",
        language=language,
        done=False,
        submission=secrets.token_hex(16),
        signup_path=signup_path(language),
    )


async def unsubscribe_submit(request: web.Request) -> web.Response:
    form = await request.post()
    language = _form_language(request, form)
    if form.get(ONE_CLICK[0]) != ONE_CLICK[1]:
        return error_page(request, 400, "bad_form", language=language)
    submission = _submission(form)
    evidence = (
        f"web-form:{submission}"
        if submission is not None
        else f"one-click POST ({_ENCODINGS.get(request.content_type, 'form')})"
    )
    with checked_token():
        await newsletter.unsubscribe_by_token(
            request.app[CORE], request.match_info["token"], channel=Channel.WEB, evidence=evidence
        )
    return render(
        request, "unsubscribe.html", language=language, done=True, signup_path=signup_path(language)
    )


def add_routes(app: web.Application) -> None:
    app[SIGNUP_LIMITS] = TokenBuckets(app[CORE].settings.newsletter_signups_per_minute)
    for path in SIGNUP_PATHS.values():
        app.router.add_get(path, signup_page)
        app.router.add_post(path, signup_submit)
    app.router.add_get(NEWSLETTER_CONFIRM_PATH, confirm_page)
    app.router.add_post(NEWSLETTER_CONFIRM_PATH, confirm_submit)
    app.router.add_get(UNSUBSCRIBE_PATH, unsubscribe_page)
    app.router.add_post(UNSUBSCRIBE_PATH, unsubscribe_submit)
