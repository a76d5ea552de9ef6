"""The SMTP listener (aiosmtpd) on the app's own event loop, and the worker behind it.

The handler parses, validates and hands off, returning precise SMTP codes:

* recipients: ``intake@``, ``unsubscribe@`` / ``unsubscribe+<token>@``, ``bounces@`` (and
  ``bounces+<tag>@``) at ``INTAKE_MAIL_DOMAIN``; anything else ``550 5.1.1``;
* size: advertised as SIZE; more is refused with ``552`` (by aiosmtpd);
* per client: connections at once and per minute (``421`` at the greeting), messages per
  minute (``450`` at MAIL FROM); an idle timeout that also bounds DATA;
* ``250`` only once the message is committed to the queue; a copy stored before gets ``250``
  and is not stored again; any failure ``451 4.3.0`` with nothing stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from typing import Any, Protocol

from aiosmtpd.smtp import SMTP, Envelope, Session

from consent_store.models import InboundKind
from intake import metrics, safe_log
from intake.core import Core
from intake.services.mail_queue import Accepted
from mail_ingest import parse
from mail_ingest.committer import GroupCommitter
from mail_ingest.limits import ClientLimits
from mail_ingest.worker import InboundWorker
from mail_ingest.worker_pool import WorkerProcesses

log = logging.getLogger("intake.smtp")

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


def classify(address: str, domain: str) -> InboundKind | None:
    """The kind of mail an address of ours receives; None if it is not ours."""
    local, at, host = address.rpartition("@")
    if not at or host.lower().rstrip(".") != domain:
        return None
    local = local.lower()
    base, plus, tag = local.partition("+")
    if base == "intake" and not plus:
        return InboundKind.REQUEST
    if base == "unsubscribe" and (not plus or tag):
        return InboundKind.UNSUBSCRIBE
    if base == "bounces" and (not plus or tag):
        return InboundKind.BOUNCE
    return None


def _client(session: Session) -> str:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)


class Waker(Protocol):
    def wake(self) -> None: ...


class IntakeHandler:
    def __init__(self, core: Core, limits: ClientLimits, committer: GroupCommitter, worker: Waker) -> None:
        self.core = core
        self.domain = core.settings.mail_domain.lower()
        self.limits = limits
        self.committer = committer
        self.worker = worker
        self.metrics = metrics.of(core)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        if not self.limits.message(_client(session)):
            return "450 4.7.1 Too many messages from your address, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if classify(address, self.domain) is None:
            return "550 5.1.1 No such recipient here"
        if len(envelope.rcpt_tos) >= self.core.settings.smtp_max_recipients:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        started = time.perf_counter()
        try:
            raw = envelope.original_content or b""
            kinds = sorted({k for r in envelope.rcpt_tos if (k := classify(r, self.domain)) is not None})
            stored = await self.committer.store(
                Accepted(
                    raw=raw,
                    mail_from=envelope.mail_from or "",
                    recipients=tuple(envelope.rcpt_tos),
                    kinds=tuple(kinds),
                    message_id=parse.message_id_of(raw),
                )
            )
        except Exception as exc:
            log.error("storing an accepted message failed: %s", safe_log.failure(exc))
            return TEMPORARY_FAILURE
        finally:
            self.metrics.smtp_data_seconds.observe(time.perf_counter() - started)
        if stored.duplicate:
            self.metrics.smtp_duplicates.inc()
            return "250 2.0.0 OK: already received"
        for kind in kinds:
            self.metrics.smtp_received.labels(kind.value).inc()
        self.worker.wake()
        return f"250 2.0.0 OK: queued as {stored.queue_ids[0].hex[:12]}"

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session error: %s", safe_log.failure(error))
        return TEMPORARY_FAILURE


class IntakeSMTP(SMTP):
    """aiosmtpd's protocol, plus the per-client connection limits and counting refusals."""

    def __init__(self, handler: IntakeHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._intake = handler

    async def _handle_client(self) -> None:
        assert self.session is not None
        client = _client(self.session)
        if not self._intake.limits.connect(client):
            await self.push("421 4.7.0 Too many connections from your address, try again later")
            assert self.transport is not None
            self.transport.close()
            return
        try:
            await super()._handle_client()
        finally:
            self._intake.limits.disconnect(client)

    async def push(self, status: str | bytes) -> None:
        code = status[:3] if isinstance(status, str) else status[:3].decode("ascii", "replace")
        if code[:1] in ("4", "5"):
            self._intake.metrics.smtp_rejected.labels(code).inc()
        await super().push(status)


def tls_context(core: Core) -> ssl.SSLContext | None:
    settings = core.settings
    if settings.smtp_tls_cert is None or settings.smtp_tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.smtp_tls_cert, settings.smtp_tls_key)
    return context


class RunningSmtp:
    name = "smtp"

    def __init__(
        self,
        server: asyncio.Server,
        committer: GroupCommitter,
        processing: InboundWorker | WorkerProcesses,
        *,
        host: str,
        port: int,
        domain: str,
        tls: bool,
    ) -> None:
        self._server = server
        self.committer = committer
        self.host = host
        self.port = port
        self.domain = domain
        self.tls = tls
        self._stopping = asyncio.Event()
        self._worker: InboundWorker | None = None
        self._task: asyncio.Task[None] | None = None
        self.processes: WorkerProcesses | None = None
        if isinstance(processing, InboundWorker):
            self._worker = processing
            self._task = asyncio.create_task(processing.run_forever(self._stopping), name="inbound-mail")
        else:
            self.processes = processing

    @property
    def worker(self) -> InboundWorker:
        """The worker in this event loop (``mail_worker_processes`` 0)."""
        if self._worker is None:
            raise RuntimeError("mail is processed by worker processes here")
        return self._worker

    def describe(self) -> str:
        tls = ", STARTTLS" if self.tls else ""
        count = self.processes.count if self.processes else 0
        where = f"{count} worker process{'es' if count > 1 else ''}" if count else "worker in this process"
        return f"{self.host}:{self.port} (intake@{self.domain}{tls}; {where})"

    async def stop_worker(self) -> None:
        """Stop processing (accepted mail stays queued); ``stop`` does this too."""
        self._stopping.set()
        if self.processes is not None:
            await self.processes.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def stop(self) -> None:
        self._server.close()
        await self.stop_worker()
        await self.committer.stop()
        await self._server.wait_closed()


async def start(core: Core) -> RunningSmtp:
    safe_log.withhold("mail.log")  # aiosmtpd logs addresses and IP addresses at INFO
    settings = core.settings
    processing: InboundWorker | WorkerProcesses
    if settings.mail_worker_processes:
        processing = WorkerProcesses(core, settings.mail_worker_processes)
        await processing.start()
    else:
        processing = InboundWorker(core)
    committer = GroupCommitter(core)
    limits = ClientLimits(
        max_connections=settings.smtp_max_connections_per_client,
        connections_per_minute=settings.smtp_connections_per_minute,
        messages_per_minute=settings.smtp_messages_per_minute,
    )
    handler = IntakeHandler(core, limits, committer, processing)
    context = tls_context(core)
    try:
        server = await _listen(core, handler, context)
    except BaseException:
        await committer.stop()
        if isinstance(processing, WorkerProcesses):
            await processing.stop()
        raise
    port = server.sockets[0].getsockname()[1]
    return RunningSmtp(
        server,
        committer,
        processing,
        host=settings.smtp_host,
        port=port,
        domain=settings.mail_domain,
        tls=context is not None,
    )


async def _listen(core: Core, handler: IntakeHandler, context: ssl.SSLContext | None) -> asyncio.Server:
    settings = core.settings
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: IntakeSMTP(
            handler,
            hostname=settings.mail_domain,
            data_size_limit=settings.smtp_max_bytes,
            enable_SMTPUTF8=True,
            tls_context=context,
            require_starttls=settings.smtp_require_tls,
            timeout=settings.smtp_timeout_seconds,
            loop=loop,
        ),
        host=settings.smtp_host,
        port=settings.smtp_port,
    )
