"""Page rendering for the web adapter: Jinja2 with autoescape, nl/en."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from intake.core import Core
from intake.texts import pick_language
from web.labels import LABELS

_env = Environment(
    loader=PackageLoader("web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # the templates change only with the package
)


def language_of(request: web.Request, preferred: str | None = None) -> str:
    """``?lang=`` wins; then ``preferred`` (the language of the person the link was for); else
    the first nl/en in Accept-Language; else the service default."""
    core: Core = request.app[CORE]
    asked = request.query.get("lang")
    if asked in ("nl", "en"):
        return asked
    if preferred in ("nl", "en"):
        return preferred
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()
        if code.startswith(("nl", "en")):
            return pick_language(code)
    return core.settings.default_locale


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    core: Core = request.app[CORE]
    language = context.pop("language", None) or language_of(request)
    body = _env.get_template(template).render(
        language=language,
        controller_name=core.settings.controller_name,
        path=request.path,
        t=_labels(language),
        **context,
    )
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'"
    )
    return response


def error_page(
    request: web.Request,
    status: int,
    message_key: str,
    title_key: str = "error_title",
    *,
    language: str | None = None,
    **values: str,
) -> web.Response:
    language = language or language_of(request)
    texts = _labels(language)
    return render(
        request,
        "error.html",
        status=status,
        language=language,
        title=texts[title_key],
        message=texts[message_key].format(**values),
    )


def message_page(
    request: web.Request,
    title_key: str,
    message_key: str,
    *,
    language: str,
    status: int = 200,
    extra_key: str | None = None,
    **values: str,
) -> web.Response:
    """A page that tells what happened (done, already done, gone)."""
    texts = _labels(language)
    return render(
        request,
        "message.html",
        status=status,
        language=language,
        title=texts[title_key].format(**values),
        message=texts[message_key].format(**values),
        extra=texts[extra_key].format(**values) if extra_key else "",
    )


def _labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["nl"])


def labels(language: str) -> dict[str, str]:
    return _labels(language)


CORE = web.AppKey("core", Core)
