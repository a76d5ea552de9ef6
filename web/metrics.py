"""``/metrics`` in the Prometheus text format, and the latency of every page."""

from __future__ import annotations

import time

from aiohttp import web

from consent_store.enums import OutboxState, RequestState
from consent_store.models import InboundKind, InboundState
from intake import metrics
from intake.services import monitoring
from web.pages import CORE

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def metrics_page(request: web.Request) -> web.Response:
    core = request.app[CORE]
    instruments = metrics.of(core)
    counts = await monitoring.snapshot(core)
    for state in RequestState:
        instruments.requests.labels(state.value).set(counts.requests.get(state.value, 0))
    for state in OutboxState:
        instruments.outbox.labels(state.value).set(counts.outbox.get(state.value, 0))
    instruments.outbox_backlog.set(
        counts.outbox.get(OutboxState.PENDING.value, 0) + counts.outbox.get(OutboxState.SENDING.value, 0)
    )
    for kind in InboundKind:
        for inbound_state in InboundState:
            instruments.inbound.labels(kind.value, inbound_state.value).set(
                counts.inbound.get((kind.value, inbound_state.value), 0)
            )
    response = web.Response(body=instruments.render())
    response.headers["Content-Type"] = CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response


_METHODS = frozenset({"GET", "HEAD", "POST"})


@web.middleware
async def latency(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        route = request.match_info.route.resource
        pattern = route.canonical if route is not None else "unmatched"  # "/c/{token}", never the token
        method = request.method if request.method in _METHODS else "other"  # any token is a method
        metrics.of(request.app[CORE]).web_seconds.labels(pattern, method).observe(
            time.perf_counter() - started
        )
