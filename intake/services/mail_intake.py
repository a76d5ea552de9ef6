"""Requests by e-mail: a mail to intake@ becomes a draft held for the candidate's confirmation,
with an automatic answer showing what coaches would see and the confirmation link; delivery
reports and complaints to bounces@ mark an address undeliverable and take it off the newsletter.

Each function writes its work in the transaction that also marks the queued message done
(``mail_queue.finish_in``), so a message is processed exactly once. Requests are worked out
before that transaction (``plan_answers``), which then checks that what they rest on still
holds (``commit_answers``).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from consent_store.enums import Channel, ContactKind, OutboxState, RecipientKind
from consent_store.inbound import InboundRepository, KnownSender
from consent_store.models import AutoReply, IntakeRequest, OutboxMessage, Subject
from consent_store.unit_of_work import UnitOfWork
from intake import contacts, identifiers
from intake.contacts import ContactValue, InvalidEmail
from intake.core import Core
from intake.messages import RenderedMessage
from intake.ports import AnalysisLike
from intake.services import mail_queue, newsletter, outbox, requests, subjects
from intake.services.mail_queue import Claim
from intake.services.newsletter import BounceKind
from intake.texts import pick_language
from intake.texts.dates import long_date

REPLY_WINDOW = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class IncomingMail:
    """A mail to intake@ as the adapter read it: facts only, no decisions."""

    envelope_sender: str = field(repr=False)  # "" or "<>" for the null sender
    from_address: str | None = field(repr=False)
    message_id: str | None
    subject: str = field(repr=False)
    body: str = field(repr=False)  # the sender's own words: quotes, signature and forward headers removed
    language_hint: str | None  # Content-Language / Accept-Language
    attachments: int  # not stored; the candidate is told
    references: tuple[str, ...] = ()
    # The headers that matter for loop prevention, lower-case names (auto-submitted,
    # precedence, list-id, list-unsubscribe, list-post, x-auto-response-suppress, x-loop).
    headers: Mapping[str, str] = field(default_factory=dict)
    is_report: bool = False  # multipart/report: a delivery or read report


_ROBOT_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces"}
)
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "list-help")


def domain_of(address: str | None) -> str:
    return (address or "").rpartition("@")[2].strip("<> ").lower()


def auto_submitted(headers: Mapping[str, str]) -> bool:
    """``Auto-Submitted`` says a machine sent the mail (RFC 3834)."""
    value = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    return bool(value) and value != "no"


def why_no_answer(mail: IncomingMail, our_domain: str) -> str | None:
    """RFC 3834 and common sense: why this mail must not get an automatic answer, if so."""
    headers = mail.headers
    sender = mail.envelope_sender.strip()
    if sender in ("", "<>"):
        return "null_sender"
    if auto_submitted(headers):
        return "auto_submitted"
    if headers.get("precedence", "").strip().lower() in ("bulk", "list", "junk"):
        return "precedence"
    if any(name in headers for name in _LIST_HEADERS):
        return "mailing_list"
    if headers.get("x-auto-response-suppress", "").strip().lower() not in ("", "none"):
        return "response_suppressed"
    ours = our_domain.lower()
    if (
        ours in {domain_of(sender), domain_of(mail.from_address), domain_of(mail.message_id)}
        or ours in headers.get("x-loop", "").lower()
    ):
        return "own_mail"
    for address in (sender, mail.from_address or ""):
        local = address.rpartition("@")[0].strip("<> ").lower()
        if local in _ROBOT_LOCAL_PARTS or local.endswith("-request") or local.startswith("owner-"):
            return "robot_sender"
    if mail.is_report:
        return "report"
    return None


# Word beginnings per topic, Dutch and English; "|" separates them.
_TOPIC_WORDS: Mapping[str, str] = {
    "job_search": "sollicit|vacature|baan zoek|werk zoek|cv|job search|job application|applying for|"
    "interview|resume|werkloos|unemployed",
    "career": "loopbaan|carrière|carriere|career|overstap|switch|omscholing|ander werk|"
    "volgende stap|next step",
    "leadership": "leidinggev|leiderschap|manager|leadership|team|samenwerk|collega",
    "wellbeing": "werkdruk|stress|balans|overspannen|burn-out|burnout|workload|work-life|balance",
    "reintegration": "re-integratie|reïntegratie|reintegratie|terugkeer|ziekteverzuim|arbodienst|"
    "bedrijfsarts|return to work|sick leave",
    "study": "studie|studeren|opleiding|studiekeuze|beroepskeuze|study|degree|university|"
    "universiteit|hbo|mbo",
    "entrepreneurship": "ondernem|eigen bedrijf|zzp|freelance|start-up|startup|business|zelfstandig",
}
_TOPIC_PATTERNS = {
    topic: re.compile(r"\b(" + "|".join(re.escape(w) for w in words.split("|")) + ")")
    for topic, words in _TOPIC_WORDS.items()
}


def guess_topic(text: str) -> str:
    """The topic whose words occur most in ``text``; ``other`` unless one clearly leads."""
    lowered = text.lower()
    scores = {topic: len(pattern.findall(lowered)) for topic, pattern in _TOPIC_PATTERNS.items()}
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    return best if top > 0 and top > second else "other"


_SUBJECT_PREFIX = re.compile(r"^\s*((re|fwd?|fw|aw|antw|doorst|wg|tr|sv)\s*(\[\d+\])?\s*:\s*)+", re.I)
_GENERIC_SUBJECTS = frozenset(
    {"", "vraag", "hulpvraag", "question", "request", "coaching", "coach", "intake"}
)


def compose(subject: str, body: str, limit: int) -> tuple[str, bool]:
    """The request text: a meaningful subject line, then the body; cut at ``limit`` characters
    (at a paragraph, line or word boundary). Returns the text and whether it was cut."""
    subject = _SUBJECT_PREFIX.sub("", subject or "").strip()
    body = body.strip()
    parts = [body]
    if subject.lower() not in _GENERIC_SUBJECTS and subject.lower() not in body.lower():
        parts.insert(0, subject)
    text = "\n\n".join(p for p in parts if p)
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    for boundary in ("\n\n", "\n", " "):
        at = cut.rfind(boundary)
        if at > limit // 2:
            cut = cut[:at]
            break
    return cut.rstrip(), True


@dataclass(frozen=True, slots=True)
class Answered:
    outcome: str  # draft, no_text, ignored:<reason>, claim_lost, or error:<type> (to be retried)
    request_id: uuid.UUID | None = None
    reference: str | None = None


def sender_address(from_address: str | None, envelope_sender: str) -> ContactValue | None:
    """Who wrote a mail: its From address, else the envelope sender; None if neither is one."""
    try:
        return contacts.email(from_address or envelope_sender)
    except InvalidEmail:
        return None


@dataclass(frozen=True, slots=True)
class _Read:
    """What a mail says, worked out before the transaction (no database needed): the request
    text, its topic, the language hint and the anonymiser's analysis (or why it failed)."""

    text: str
    truncated: bool
    topic: str
    hint: str | None
    analysis: AnalysisLike | Exception | None


def _analyses(core: Core, items: Sequence[tuple[str, str | None]]) -> list[AnalysisLike | Exception]:
    many = getattr(core.anonymiser, "analyse_many", None)
    if many is not None and len(items) > 1:
        try:
            return list(many(items))
        except Exception:
            pass
    found: list[AnalysisLike | Exception] = []
    for text, language in items:
        try:
            found.append(core.anonymiser.analyse(text, language))
        except Exception as exc:  # raised again when that mail is answered (then retried)
            found.append(exc)
    return found


async def _read(
    core: Core,
    batch: Sequence[tuple[Claim, IncomingMail]],
    senders: Mapping[uuid.UUID, ContactValue | None],
) -> dict[uuid.UUID, _Read]:
    """The CPU work of answering (composing, anonymising), outside the transaction, for the mails
    that will probably get a draft: the database may still decide otherwise (rate limit, a
    duplicate, a lost claim); the work is then wasted, never wrong."""
    settings = core.settings
    found: dict[uuid.UUID, _Read] = {}
    for claimed, mail in batch:
        if why_no_answer(mail, settings.mail_domain) is not None or senders[claimed.id] is None:
            continue
        text, truncated = compose(mail.subject, mail.body, settings.max_request_chars)
        hint = pick_language(mail.language_hint) if mail.language_hint else None
        found[claimed.id] = _Read(text, truncated, guess_topic(text) if text else "", hint, None)
    wanted = [key for key, read in found.items() if read.text]
    for start in range(0, len(wanted), _ANALYSE_AT_ONCE):
        await asyncio.sleep(0)  # CPU work: let the SMTP sessions run in between
        keys = wanted[start : start + _ANALYSE_AT_ONCE]
        analyses = _analyses(core, [(found[key].text, found[key].hint) for key in keys])
        for key, analysis in zip(keys, analyses, strict=True):
            read = found[key]
            found[key] = _Read(read.text, read.truncated, read.topic, read.hint, analysis)
    return found


_ANALYSE_AT_ONCE = 16


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the database says that decides a batch's outcomes and rows."""

    replies: Mapping[str, int]  # automatic answers per address (blind index) in the last day
    seen_refs: frozenset[str]  # the batch's Message-IDs that requests were made from before
    known: Mapping[str, KnownSender]  # the active subject behind each address


@dataclass(slots=True)
class _Built:
    """A batch worked out: each mail's outcome and the rows to write."""

    results: dict[uuid.UUID, Answered]
    rows: list[object]  # new subjects, their keys and contact points, drafts, auto-reply log
    answers: list[dict[str, Any]]  # outbox rows
    locales: dict[uuid.UUID, str]  # subjects who wrote before: their language from now on
    reached: set[uuid.UUID]  # their contact points, reachable again
    pseudonyms: list[str]  # the new subjects' pseudonyms
    references: list[str]  # the drafts' references


@dataclass(frozen=True, slots=True)
class AnswerPlan:
    """A batch of mails to intake@ worked out against a snapshot of the database, before the
    transaction that writes it (``commit_answers``)."""

    batch: Sequence[tuple[Claim, IncomingMail]]
    senders: Mapping[uuid.UUID, ContactValue | None]
    indexes: Mapping[uuid.UUID, str]  # each sender's blind index, by mail
    read: Mapping[uuid.UUID, _Read]
    now: datetime
    facts: _Facts
    built: _Built


async def plan_answers(core: Core, batch: Sequence[tuple[Claim, IncomingMail]]) -> AnswerPlan:
    """The CPU work of answering a batch (anonymising, rendering, encrypting), done outside
    the writing transaction: on SQLite that transaction holds the one write lock, which the
    SMTP server needs for every mail it accepts."""
    senders = _senders(batch)
    return await _plan(core, batch, senders, await _read(core, batch, senders))


async def _plan(
    core: Core,
    batch: Sequence[tuple[Claim, IncomingMail]],
    senders: Mapping[uuid.UUID, ContactValue | None],
    read: Mapping[uuid.UUID, _Read],
) -> AnswerPlan:
    now = core.clock.now()
    indexes = {
        key: subjects.blind_index(core, address) for key, address in senders.items() if address is not None
    }
    async with core.reader() as uow:
        queue = InboundRepository(uow.session)
        facts = await _facts(queue, batch, indexes, now)
        held = {claimed.id for claimed, _ in batch}
        built = await _build(uow, core, batch, senders, indexes, read, facts, held, queue, now)
    return AnswerPlan(batch, senders, indexes, read, now, facts, built)


def _senders(batch: Sequence[tuple[Claim, IncomingMail]]) -> dict[uuid.UUID, ContactValue | None]:
    return {claimed.id: sender_address(mail.from_address, mail.envelope_sender) for claimed, mail in batch}


async def commit_answers(core: Core, plan: AnswerPlan) -> list[Answered]:
    """Write a planned batch in one transaction that also marks each mail processed. The facts
    the plan rests on are read again under the transaction's locks; if any changed meanwhile
    (another worker, a new subject, an erasure, a claim lost), the batch is worked out again
    inside the transaction."""
    batch, now = plan.batch, plan.now
    async with core.uow() as uow:
        queue = InboundRepository(uow.session)
        held = await mail_queue.finish_many_in(uow, core, [claimed for claimed, _ in batch])
        await queue.serialise_all(set(plan.indexes.values()))
        facts = await _facts(queue, batch, plan.indexes, now)
        built = plan.built
        if (
            len(held) < len(batch)
            or facts != plan.facts
            or (built.pseudonyms and await queue.pseudonyms_taken(built.pseudonyms))
            or (built.references and await queue.references_taken(built.references))
        ):
            built = await _build(
                uow, core, batch, plan.senders, plan.indexes, plan.read, facts, held, queue, now
            )
        await uow.insert_all(built.rows)
        await outbox.insert_all(uow, core, built.answers)
        await queue.touch_senders(built.locales, built.reached, now)
        await queue.record_outcomes({key: answered.outcome[:32] for key, answered in built.results.items()})
        await uow.commit()
    return [built.results[claimed.id] for claimed, _ in batch]


async def answer_requests(core: Core, batch: Sequence[tuple[Claim, IncomingMail]]) -> list[Answered]:
    """Answer mails to intake@: each becomes a draft held for confirmation (original encrypted,
    anonymised text, topic guessed) with the automatic answer queued in the outbox; or nothing,
    for automatic mail (RFC 3834), a sender we cannot answer, a Message-ID we made a request of
    before, or beyond ``auto_replies_per_day`` answers to one address.

    One transaction for the batch. If it fails, each mail is tried alone, so that one bad mail
    is retried later (with backoff) without the others; the anonymiser's work is kept."""
    senders = _senders(batch)
    read = await _read(core, batch, senders)
    try:
        return await commit_answers(core, await _plan(core, batch, senders, read))
    except Exception:
        if len(batch) == 1:
            raise
    answered = []
    for claimed, mail in batch:
        alone = [(claimed, mail)]
        try:
            plan = await _plan(core, alone, {claimed.id: senders[claimed.id]}, read)
            answered.extend(await commit_answers(core, plan))
        except Exception as exc:
            await mail_queue.retry_later(core, claimed, type(exc).__name__)
            answered.append(Answered(f"error:{type(exc).__name__}"))
    return answered


async def answer_request(core: Core, claimed: Claim, mail: IncomingMail) -> Answered:
    return (await answer_requests(core, [(claimed, mail)]))[0]


async def _facts(
    queue: InboundRepository,
    batch: Sequence[tuple[Claim, IncomingMail]],
    indexes: Mapping[uuid.UUID, str],
    now: datetime,
) -> _Facts:
    """A query per kind of fact, for the whole batch."""
    wanted = set(indexes.values())
    refs = [ref for _, mail in batch if (ref := _source_ref(mail))]
    return _Facts(
        replies=await queue.replies_by_index(wanted, now - REPLY_WINDOW),
        seen_refs=frozenset(await queue.source_refs_taken(refs)),
        known=await queue.email_contacts(wanted),
    )


def _source_ref(mail: IncomingMail) -> str | None:
    return (mail.message_id or "").strip()[:255] or None


async def _build(
    uow: UnitOfWork,
    core: Core,
    batch: Sequence[tuple[Claim, IncomingMail]],
    senders: Mapping[uuid.UUID, ContactValue | None],
    indexes: Mapping[uuid.UUID, str],
    read: Mapping[uuid.UUID, _Read],
    facts: _Facts,
    held: set[uuid.UUID],
    queue: InboundRepository,
    now: datetime,
) -> _Built:
    """Decide each mail's outcome and build the rows to write; ``uow`` for the subjects' data
    keys only (it may be a reader), ``queue`` to draw free pseudonyms and references."""
    settings = core.settings
    replies, seen_refs = dict(facts.replies), set(facts.seen_refs)
    built = _Built({}, [], [], {}, set(), [], [])
    todo: list[tuple[Claim, IncomingMail, ContactValue, str, str | None, _Read]] = []
    for claimed, mail in batch:
        if claimed.id not in held:
            built.results[claimed.id] = Answered("claim_lost")
            continue
        address, index, ref = senders[claimed.id], indexes.get(claimed.id), _source_ref(mail)
        reason = why_no_answer(mail, settings.mail_domain)
        if reason is None and (address is None or index is None):
            reason = "no_sender"
        elif reason is None and index and settings.auto_replies_per_day:
            if replies.get(index, 0) >= settings.auto_replies_per_day:
                reason = "rate_limited"
        if reason is None and ref and ref in seen_refs:
            reason = "duplicate"
        if reason is not None or address is None or index is None:
            built.results[claimed.id] = Answered(f"ignored:{reason}")
            continue
        todo.append((claimed, mail, address, index, ref, read[claimed.id]))
        replies[index] = replies.get(index, 0) + 1
        if ref:
            seen_refs.add(ref)

    # Rows are written in this order, referenced rows first: subjects, their keys and contact
    # points, requests, the rest. A new subject gets the language its first mail gives it.
    new_senders = {index for _, _, _, index, _, _ in todo if index not in facts.known}
    pseudonyms = await _free(queue.pseudonyms_taken, identifiers.pseudonym, len(new_senders))
    references = await _free(queue.references_taken, identifiers.request_reference, len(todo))
    writers: dict[str, tuple[Subject, uuid.UUID]] = {}
    new_keys: list[object] = []
    new_points: list[object] = []
    for _, _, address, index, _, mail_read in todo:
        if index in writers:
            continue
        sender = facts.known.get(index)
        if sender is not None:  # not written, only used to build the rows that refer to it
            subject = Subject(id=sender.subject_id, pseudonym=sender.pseudonym, locale=sender.locale)
            writers[index] = (subject, sender.point_id)
            built.reached.add(sender.point_id)
            continue
        locale = mail_read.hint or settings.default_locale
        subject = Subject(
            id=uuid.uuid4(),
            pseudonym=pseudonyms.pop(),
            locale=_language(mail_read, locale),
            created_at=now,
            last_active_at=now,
        )
        built.pseudonyms.append(subject.pseudonym)
        new_keys.append(uow.new_subject_key(subject.id))
        point = await subjects.new_contact(uow, core, subject, address, add=False)
        writers[index] = (subject, point.id)
        built.rows.append(subject)
        new_points.append(point)
    built.rows += new_keys + new_points
    log: list[object] = []
    for position, (claimed, mail, _, index, ref, mail_read) in enumerate(todo):
        if position % 8 == 7:
            await asyncio.sleep(0)  # a batch is CPU work: let other tasks run in between
        subject, point_id = writers[index]
        reference = references.pop()
        answered, answer, draft = await _answer(
            uow, core, subject, point_id, mail, mail_read, ref, reference, now
        )
        built.results[claimed.id] = answered
        built.answers.append(answer)
        if draft is not None:
            built.rows.append(draft)
            built.references.append(reference)
        log.append(AutoReply(address_index=index, sent_at=now))
        if index in facts.known:
            built.locales[subject.id] = subject.locale
    built.rows += log
    return built


def _language(read: _Read, locale: str) -> str:
    """The language of the answer to a mail from a subject whose language is ``locale``."""
    if read.hint:
        return read.hint
    analysis = read.analysis
    if read.text and analysis is not None and not isinstance(analysis, Exception):
        return analysis.language if analysis.language in ("nl", "en") else locale
    return locale


async def _free(
    taken: Callable[[Sequence[str]], Awaitable[set[str]]], draw: Callable[[], str], count: int
) -> list[str]:
    """``count`` random identifiers that are not in use, checked with one query (usually)."""
    free: set[str] = set()
    while len(free) < count:
        drawn = {draw() for _ in range(count - len(free))}
        free |= drawn - await taken(list(drawn))
    return list(free)


async def _answer(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    point_id: uuid.UUID,
    mail: IncomingMail,
    read: _Read,
    source_ref: str | None,
    reference: str,
    now: datetime,
) -> tuple[Answered, dict[str, Any], IntakeRequest | None]:
    """The mail's outcome, its answer for the outbox and its draft request, for the caller
    to write (with the rest of the batch)."""
    settings = core.settings
    text, truncated, hint = read.text, read.truncated, read.hint
    headers = _reply_headers(mail)
    if not text:
        language = hint or subject.locale
        message = core.texts.message(
            "no_text",
            language,
            folder="mail",
            headers=headers,
            attachments=mail.attachments,
            intake_address=f"intake@{settings.mail_domain}",
        )
        answered = Answered("no_text")
        request = None
    else:
        if isinstance(read.analysis, Exception):
            raise read.analysis
        request, preview = await requests.draft_in(
            uow,
            core,
            subject,
            channel=Channel.EMAIL,
            topic=read.topic,
            text=text,
            language=hint,
            hold_for_confirmation=True,
            source_ref=source_ref,
            contact_point_id=point_id,
            reference=reference,
            flush=False,
            analysis=read.analysis,
            now=now,
            add=False,
        )
        language = hint or preview.language
        message = _auto_reply(core, request, language, mail, truncated, headers)
        answered = Answered("draft", request.id, request.reference)
    answer = await outbox.values(
        uow,
        core,
        channel=Channel.EMAIL,
        recipient_kind=RecipientKind.SUBJECT,
        recipient_id=subject.id,
        message=message,
        concerns_subject_id=subject.id,
        now=now,
    )
    subject.locale = language
    subject.last_active_at = now
    return answered, answer, request


def _reply_headers(mail: IncomingMail) -> dict[str, str]:
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if mail.message_id:
        headers["In-Reply-To"] = mail.message_id
        headers["References"] = " ".join([*mail.references[-10:], mail.message_id])
    return headers


def _auto_reply(
    core: Core,
    request: IntakeRequest,
    language: str,
    mail: IncomingMail,
    truncated: bool,
    headers: dict[str, str],
) -> RenderedMessage:
    url = core.links.confirm(request.id.hex)
    expires = request.expires_at or core.clock.now() + core.settings.confirmation_ttl
    return core.texts.message(
        "auto_reply",
        language,
        folder="mail",
        headers=headers,
        reference=request.reference,
        anonymised=request.anonymised_text,
        confirm_url=url,
        special_category=request.special_category,
        attachments=mail.attachments,
        truncated=truncated,
        max_chars=core.settings.max_request_chars,
        expires_on=long_date(expires.date(), language),
        ttl_days=core.settings.retention_unconfirmed_days,
    )


# Delivery reports and complaints ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a report to bounces@ says, as the adapter read it: a delivery status notification
    (RFC 3464) or a feedback-loop complaint (ARF, RFC 5965)."""

    original_message_ids: tuple[str, ...]  # Message-IDs of our mail that it reports on
    failed: tuple[str, ...] = field(repr=False)  # recipients with a permanent failure (status 5.x.x)
    delayed: tuple[str, ...] = field(default=(), repr=False)  # a temporary failure (status 4.x.x)
    complaint: bool = False  # the recipient marked our mail as spam (Feedback-Type abuse)
    complainants: tuple[str, ...] = field(default=(), repr=False)  # who complained (Original-Rcpt-To)


def _by_index(core: Core, addresses: Sequence[str]) -> dict[str, ContactValue]:
    found = {}
    for address in addresses:
        try:
            value = contacts.email(address)
        except InvalidEmail:
            continue
        found[subjects.blind_index(core, value)] = value
    return found


async def apply_delivery_report(core: Core, claimed: Claim, report: DeliveryReport) -> str:
    """Act on a report about mail we sent. It counts only if it refers to a message we actually
    sent to that address (by its Message-ID in the outbox), so a forged report cannot silence
    someone else's address.

    A permanent failure marks the address undeliverable and takes it off the newsletter
    (``newsletter.bounce_in``: suppressed, a ledger withdrawal if it was subscribed). A
    complaint does the same, for newsletter mail only (an issue or a sign-up confirmation):
    a candidate's mail about their own request keeps coming. Temporary failures change
    nothing."""
    async with core.uow() as uow:
        if not await mail_queue.finish_in(uow, core, claimed, "pending"):
            return "claim_lost"
        failed = _by_index(core, report.failed)
        complainants = _by_index(core, report.complainants)
        marked = coach = matched = complained = 0
        for message_id in dict.fromkeys(m.strip() for m in report.original_message_ids if m.strip()):
            sent = await uow.session.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.delivery_ref == message_id,
                    OutboxMessage.channel == Channel.EMAIL,
                    OutboxMessage.state == OutboxState.SENT,
                )
            )
            if sent is None:
                continue
            matched += 1
            if sent.recipient_kind is RecipientKind.COACH:
                coach += 1  # coaches' addresses are the operator's to fix
                continue
            points = await uow.contacts.for_subject(sent.recipient_id, ContactKind.EMAIL)
            evidence = f"delivery report on {message_id}"[:255]
            for value in [failed[p.blind_index] for p in points if p.blind_index in failed]:
                await newsletter.bounce_in(uow, core, value, BounceKind.HARD, evidence=evidence)
                marked += 1
            if report.complaint and sent.kind in newsletter.KINDS:
                targets = [complainants[p.blind_index] for p in points if p.blind_index in complainants]
                if not report.complainants:  # feedback loops often leave the recipient out
                    address = await newsletter.address_of(uow, sent)
                    targets = [address] if address is not None else []
                for value in targets:
                    await newsletter.bounce_in(
                        uow, core, value, BounceKind.COMPLAINT, evidence=f"complaint on {message_id}"[:255]
                    )
                    complained += 1
        outcome = _report_outcome(report, marked=marked, complained=complained, coach=coach, matched=matched)
        await mail_queue.record_outcome_in(uow, claimed, outcome)
        await uow.commit()
        return outcome


def _report_outcome(report: DeliveryReport, *, marked: int, complained: int, coach: int, matched: int) -> str:
    if marked:
        return "bounce:marked"
    if complained:
        return "complaint:unsubscribed"
    if coach:
        return "bounce:coach"
    if not matched:
        return "bounce:unmatched"
    if report.complaint:  # about a candidate's own mail, or naming someone it was not sent to
        return "complaint:ignored"
    return "bounce:soft" if report.delayed else "bounce:not_failed"
