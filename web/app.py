"""The web adapter: pages for people following links from e-mails, health and metrics.

Thin: every decision is a call into ``intake.services``. GET never changes state.
"""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import text

from intake import safe_log
from intake.core import Core
from intake.links import CONFIRM_PATH, MATCH_PATH, OFFER_PATH, PRIVACY_PATH
from web import links, newsletter
from web.metrics import latency, metrics_page
from web.pages import CORE, error_page, language_of, render

log = logging.getLogger("intake.web")


@web.middleware
async def error_pages(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return error_page(request, 404, "not_found", "not_found_title")
    except web.HTTPException:
        raise
    except Exception as exc:  # logged without the path (it holds the token) or the message
        route = request.match_info.route.resource
        pattern = route.canonical if route is not None else "?"
        log.error("unhandled error on %s %s: %s", request.method, pattern, safe_log.failure(exc))
        return error_page(request, 500, "server_error")


async def index(request: web.Request) -> web.Response:
    language = language_of(request)
    return render(request, "index.html", language=language, signup_path=newsletter.signup_path(language))


async def privacy(request: web.Request) -> web.Response:
    core = request.app[CORE]
    language = language_of(request)
    return render(request, "privacy.html", language=language, notice=core.texts.notice_full(language))


async def healthz(request: web.Request) -> web.Response:
    core = request.app[CORE]
    try:
        async with core.read_engine.connect() as connection:  # not queued behind a commit
            await connection.execute(text("SELECT 1"))
    except Exception:
        log.warning("health check: database unreachable")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def create_app(core: Core) -> web.Application:
    app = web.Application(middlewares=[latency, error_pages, links.bad_links], client_max_size=64 * 1024)
    app[CORE] = core
    app.router.add_get("/", index)
    app.router.add_get(PRIVACY_PATH, privacy)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    app.router.add_get(CONFIRM_PATH, links.confirm_page)
    app.router.add_post(CONFIRM_PATH, links.confirm_submit)
    for path, page in ((OFFER_PATH, links.offer_page), (MATCH_PATH, links.match_page)):
        app.router.add_get(path, page)
        app.router.add_post(path, page)
    newsletter.add_routes(app)
    return app
