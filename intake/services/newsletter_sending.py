"""Sending a newsletter issue: render per subscriber, queue through the outbox, resumable.

A send streams the active subscriptions in keyset pages. Each page is one transaction: the
eligibility checks (active, consent in force per the ledger, not suppressed), the outbox rows
and one ``newsletter_send_recipients`` row per queued subscription. That last table is what
makes ``--resume`` safe: a subscription already queued for this send is skipped, and two
runs racing on the same send cannot both queue it (primary key). Delivery is spread at
``rate`` messages per second by staggering ``next_attempt_at``; the dispatcher checks each
message again when it sends it.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, StrictUndefined, Template, TemplateError

from consent_store.enums import Channel, RecipientKind
from consent_store.models import NewsletterSend, NewsletterSendRecipient
from consent_store.unit_of_work import UnitOfWork
from intake.core import Core
from intake.errors import InvalidInput, NotFound
from intake.messages import RenderedMessage
from intake.services import newsletter, outbox
from intake.services.newsletter import Recipient
from intake.texts.render import LANGUAGES

BATCH_SIZE = 500
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


class TemplateProblem(InvalidInput):
    """The newsletter template cannot be used."""

    code = "newsletter_template"


class SendNotFound(NotFound):
    """No newsletter send has that id."""

    code = "newsletter_send_not_found"


@dataclass(frozen=True, slots=True)
class NewsletterTemplate:
    """A newsletter's text (and optional HTML) per language, compiled, with a hash of the
    source files so that a resumed send is known to send the same issue."""

    name: str
    sha256: str
    texts: Mapping[str, Template]
    htmls: Mapping[str, Template]


_TEXT_ENV = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_HTML_ENV = Environment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=False)


def load_template(path: Path) -> NewsletterTemplate:
    """``path`` is a directory with ``nl.txt`` and ``en.txt`` (optionally ``nl.html`` and
    ``en.html``), or one text file used for every language."""
    if path.is_dir():
        files = {name: path / name for name in ("nl.txt", "en.txt", "nl.html", "en.html")}
        missing = [name for name in ("nl.txt", "en.txt") if not files[name].is_file()]
        if missing:
            raise TemplateProblem(f"the template directory needs {' and '.join(missing)}")
        htmls = [lang for lang in LANGUAGES if files[f"{lang}.html"].is_file()]
        if htmls and len(htmls) != len(LANGUAGES):
            raise TemplateProblem("give an HTML version for every language or for none")
        sources = {name: _read(file) for name, file in files.items() if file.is_file()}
    elif path.is_file():
        if path.suffix.lower() in (".html", ".htm"):
            raise TemplateProblem("a single-file template is plain text; put HTML in a directory with nl.txt")
        text = _read(path)
        sources = {f"{lang}.txt": text for lang in LANGUAGES}
    else:
        raise TemplateProblem(f"no template at {path}")
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(f"{name}\0{len(sources[name])}\0{sources[name]}".encode())
    return NewsletterTemplate(
        name=path.name,
        sha256=digest.hexdigest(),
        texts={lang: _compile(_TEXT_ENV, f"{lang}.txt", sources[f"{lang}.txt"]) for lang in LANGUAGES},
        htmls={
            lang: _compile(_HTML_ENV, f"{lang}.html", sources[f"{lang}.html"])
            for lang in LANGUAGES
            if f"{lang}.html" in sources
        },
    )


def _read(file: Path) -> str:
    try:
        return file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateProblem(f"cannot read {file.name}: {type(exc).__name__}") from None


def _compile(env: Environment, name: str, source: str) -> Template:
    try:
        return env.from_string(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise TemplateProblem(f"{name}{f', line {line}' if line else ''}: {exc.message}") from None


def subject_lines(subject: str, subject_en: str | None = None) -> dict[str, str]:
    subject = subject.strip()
    if not subject:
        raise InvalidInput("the newsletter needs a subject")
    return {"nl": subject, "en": (subject_en or subject).strip()}


class Renderer:
    """Renders one issue for one subscriber: the template, our footer with the unsubscribe
    link (unless the template shows that link itself) and the list headers (RFC 2369, 8058)."""

    def __init__(self, core: Core, template: NewsletterTemplate, subjects: Mapping[str, str]) -> None:
        self.core = core
        self.template = template
        self.subjects = dict(subjects)
        self.links = core.links
        env = core.texts.env
        self.footers = {
            lang: (
                env.get_template(f"{lang}/newsletter/footer.txt"),
                env.get_template(f"{lang}/newsletter/footer.html"),
            )
            for lang in LANGUAGES
        }
        settings = core.settings
        self.list_id = (
            f"{_phrase(settings.controller_name + ' newsletter')} <newsletter.{settings.mail_domain}>"
        )

    def language(self, recipient: Recipient) -> str:
        return recipient.language if recipient.language in LANGUAGES else self.core.settings.default_locale

    def render(self, recipient: Recipient) -> RenderedMessage:
        language = self.language(recipient)
        url = self.links.unsubscribe(recipient.subscription_id)
        context = {
            "language": language,
            "unsubscribe_url": url,
            "subject": self.subjects[language],
            "controller_name": self.core.settings.controller_name,
        }
        try:
            text = self.template.texts[language].render(context).strip()
            html_template = self.template.htmls.get(language)
            html = html_template.render(context) if html_template is not None else None
        except TemplateError as exc:
            raise TemplateProblem(f"{language} template: {exc.message}") from None
        footer_text, footer_html = self.footers[language]
        footer = {**context, "channel": recipient.channel.value}
        if url not in text:
            text = f"{text}\n\n{footer_text.render(footer).strip()}"
        if html is not None and url not in html:
            html = _insert_footer(html, footer_html.render(footer).strip())
        headers: dict[str, str] = {}
        if recipient.channel is Channel.EMAIL:
            mailto = self.links.unsubscribe_mailto(recipient.subscription_id, self.core.settings.mail_domain)
            headers = {
                "List-Unsubscribe": f"<{url}>, <{mailto}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": self.list_id,
            }
        return RenderedMessage(
            kind=newsletter.ISSUE_KIND,
            language=language,
            text=text,
            subject=self.subjects[language],
            html=html,
            headers=headers,
        )

    def check(self) -> None:
        """Render every language once, so that a broken template fails before anything is queued."""
        for language in LANGUAGES:
            self.render(
                Recipient(uuid.UUID(int=0), uuid.UUID(int=0), Channel.EMAIL, language, "check@invalid", None)
            )


def _phrase(name: str) -> str:
    """A display name for ``List-Id`` (RFC 2919): quoted when it has special characters."""
    if re.fullmatch(r"[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~]+", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _insert_footer(html: str, footer: str) -> str:
    matches = list(_BODY_END.finditer(html))
    if not matches:
        return f"{html}\n{footer}"
    at = matches[-1].start()
    return f"{html[:at]}{footer}\n{html[at:]}"


# Sends -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class SendReport:
    send_id: uuid.UUID | None  # None for a dry run
    total: int  # active subscriptions when the pass started
    dry_run: bool = False
    queued: int = 0
    already_queued: int = 0  # by an earlier pass of this send
    skipped_suppressed: int = 0
    skipped_withdrawn: int = 0
    skipped_unreachable: int = 0
    last_due: datetime | None = None  # when the last message queued becomes due
    languages: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return self.skipped_suppressed + self.skipped_withdrawn + self.skipped_unreachable


# Called after each batch with (subscriptions handled so far, how many there are); may be a
# coroutine function, which is awaited before the next batch.
Progress = Callable[[int, int], Awaitable[None] | None]


async def _report_progress(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        result = progress(done, max(total, done))
        if inspect.isawaitable(result):
            await result


async def start(
    core: Core,
    template: NewsletterTemplate,
    *,
    subjects: Mapping[str, str],
    rate: float | None,
    operator: str,
) -> uuid.UUID:
    """Record a new send (nothing is queued yet: ``run`` does that)."""
    _check_rate(rate)
    Renderer(core, template, subjects).check()
    send = NewsletterSend(
        id=uuid.uuid4(),
        template_sha256=template.sha256,
        subject_lines=dict(subjects),
        rate=rate,
        operator=operator[:64],
        created_at=core.clock.now(),
        queued=0,
        skipped_suppressed=0,
        skipped_withdrawn=0,
        skipped_unreachable=0,
    )
    async with core.uow() as uow:
        uow.newsletter.add(send)
        await uow.commit()
    return send.id


async def run(
    core: Core,
    send_id: uuid.UUID,
    template: NewsletterTemplate,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    rate: float | None = None,
) -> SendReport:
    """Queue the send for every eligible subscriber not queued yet (first pass or resume).
    ``rate`` overrides the send's recorded rate for this pass."""
    async with core.uow() as uow:
        send = await uow.newsletter.send(send_id)
        if send is None:
            raise SendNotFound()
        total = await uow.newsletter.count_active()
    if send.template_sha256 != template.sha256:
        raise TemplateProblem(
            f"the template differs from the one send {send_id} started with; resume with the same files"
        )
    rate = send.rate if rate is None else rate
    _check_rate(rate)
    renderer = Renderer(core, template, send.subject_lines)
    renderer.check()
    report = SendReport(send_id, total)
    first_due = core.clock.now()
    after: uuid.UUID | None = None
    done_so_far = 0
    while True:
        async with core.uow() as uow:
            locked = await uow.newsletter.send(send_id, lock=True)  # one run per send at a time
            assert locked is not None
            batch = await newsletter.eligible_batch(uow, core, after=after, limit=batch_size, lock=True)
            done = await uow.newsletter.already_queued(send_id, {r.subscription_id for r in batch.recipients})
            now = core.clock.now()
            queued_before = report.queued
            for recipient in batch.recipients:
                if recipient.subscription_id in done:
                    report.already_queued += 1
                    continue
                due = first_due + timedelta(seconds=report.queued / rate) if rate else first_due
                await _queue(uow, core, renderer, recipient, due)
                uow.newsletter.add(
                    NewsletterSendRecipient(
                        send_id=send_id, subscription_id=recipient.subscription_id, queued_at=now
                    )
                )
                report.queued += 1
                report.last_due = due
                language = renderer.language(recipient)
                report.languages[language] = report.languages.get(language, 0) + 1
            _count_skips(report, batch)
            locked.queued += report.queued - queued_before
            locked.skipped_suppressed = report.skipped_suppressed
            locked.skipped_withdrawn = report.skipped_withdrawn
            locked.skipped_unreachable = report.skipped_unreachable
            if batch.scanned < batch_size:
                locked.finished_at = now
            await uow.commit()
        done_so_far += batch.scanned
        await _report_progress(progress, done_so_far, total)
        if batch.scanned < batch_size:
            return report
        after = batch.last_id


async def dry_run(
    core: Core,
    template: NewsletterTemplate,
    *,
    subjects: Mapping[str, str],
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> SendReport:
    """Everything a send does (checks and rendering) except queueing and recording."""
    renderer = Renderer(core, template, subjects)
    renderer.check()
    async with core.uow() as uow:
        report = SendReport(None, await uow.newsletter.count_active(), dry_run=True)
    after: uuid.UUID | None = None
    done_so_far = 0
    while True:
        async with core.uow() as uow:
            batch = await newsletter.eligible_batch(uow, core, after=after, limit=batch_size)
        for recipient in batch.recipients:
            renderer.render(recipient)
            report.queued += 1
            language = renderer.language(recipient)
            report.languages[language] = report.languages.get(language, 0) + 1
        _count_skips(report, batch)
        done_so_far += batch.scanned
        await _report_progress(progress, done_so_far, report.total)
        if batch.scanned < batch_size:
            return report
        after = batch.last_id


async def _queue(
    uow: UnitOfWork, core: Core, renderer: Renderer, recipient: Recipient, due: datetime
) -> None:
    # Under the service key: an issue is the same text for everyone plus a pseudonymous
    # unsubscribe token, nothing about the person. Erasure still cancels it (by recipient).
    row = await outbox.enqueue(
        uow,
        core,
        channel=recipient.channel,
        recipient_kind=RecipientKind.SUBJECT,
        recipient_id=recipient.subject_id,
        message=renderer.render(recipient),
        concerns_subject_id=None,
        thread=newsletter.thread(recipient.subscription_id),
    )
    row.next_attempt_at = due


def _count_skips(report: SendReport, batch: newsletter.EligibleBatch) -> None:
    report.skipped_suppressed += batch.suppressed
    report.skipped_withdrawn += batch.withdrawn
    report.skipped_unreachable += batch.unreachable


def _check_rate(rate: float | None) -> None:
    if rate is not None and rate <= 0:
        raise InvalidInput("the rate must be a positive number of messages per second")


@dataclass(frozen=True, slots=True)
class SendSummary:
    id: uuid.UUID
    created_at: datetime
    finished_at: datetime | None
    subject: str
    queued: int
    skipped: int
    operator: str


async def recent(core: Core, limit: int = 10) -> list[SendSummary]:
    async with core.uow() as uow:
        sends = await uow.newsletter.recent_sends(limit)
    return [
        SendSummary(
            s.id,
            s.created_at,
            s.finished_at,
            s.subject_lines.get("nl", ""),
            s.queued,
            s.skipped_suppressed + s.skipped_withdrawn + s.skipped_unreachable,
            s.operator,
        )
        for s in sends
    ]
