"""What operators do with the newsletter: bulk unsubscribe from a list, list, export, stats.

Unlike the public routes, these tell whether an address was known. Reads that show or hand
out addresses are written to the audit trail.
"""

from __future__ import annotations

import csv
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from typing import TextIO

from consent_store.enums import Actor, Channel, ContactKind, NewsletterState, SubjectState
from consent_store.unit_of_work import UnitOfWork
from intake import contacts
from intake.contacts import ContactValue
from intake.core import Core
from intake.errors import IntakeError, InvalidInput
from intake.services import newsletter, newsletter_sending, subjects
from intake.services.newsletter import Departure, Removal

BATCH_SIZE = 500
MAX_LISTED_INVALID = 1000  # line numbers kept for the summary; the count is always exact
_HEADER_NAMES = frozenset(
    {
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "emailaddress",
        "e-mailadres",
        "emailadres",
        "address",
        "adres",
        "mail",
        "recipient",
        "telegram",
        "telegram id",
        "telegram_id",
    }
)


# Reading a list of addresses -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListedAddress:
    line: int
    value: ContactValue | None  # None: this line holds no valid address


def read_addresses(handle: TextIO) -> Iterator[ListedAddress]:
    """Addresses from a CSV file (``,``, ``;`` or tab separated; with or without a header
    row) or a plain list with one address per line. With a header, the column named e.g.
    ``email`` is used; without, the first column that holds an address. E-mail addresses
    and Telegram ids are accepted; blank lines and lines starting with ``#`` are skipped.
    Reads lazily: the file is never held in memory."""
    first = handle.readline()
    if not first:
        return
    delimiter = max((",", ";", "\t"), key=first.count) if any(d in first for d in ",;\t") else ","
    reader = csv.reader(_chain(first, handle), delimiter=delimiter)
    column: int | None = None
    first_row = True
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # e.g. a NUL byte or an endless quoted field
            yield ListedAddress(reader.line_num, None)
            continue
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if first_row:
            first_row = False
            names = [cell.lower() for cell in cells]
            named = next((i for i, name in enumerate(names) if name in _HEADER_NAMES), None)
            if named is not None:
                column = named
                continue
            looks = [i for i, cell in enumerate(cells) if _looks_like_address(cell)]
            if not looks:
                continue  # a header with names we do not know: take the first address per row
            column = looks[0]
        yield ListedAddress(reader.line_num, _parse(_pick(cells, column)))


def _chain(first: str, rest: TextIO) -> Iterator[str]:
    yield first
    yield from rest


def _looks_like_address(cell: str) -> bool:
    return "@" in cell or cell.isdigit()


def _pick(cells: list[str], column: int | None) -> str:
    if column is not None:
        return cells[column] if column < len(cells) else ""
    return next((cell for cell in cells if _looks_like_address(cell)), "")


def _parse(cell: str) -> ContactValue | None:
    text = cell.removeprefix("mailto:")
    if "<" in text:
        text = parseaddr(text)[1]
    try:
        if "@" in text:
            return contacts.email(text)
        if text.isdigit() and not text.startswith("0"):
            return contacts.telegram(text)
    except IntakeError:
        return None
    return None


# One person or address ------------------------------------------------------------------------------


async def unsubscribe_one(core: Core, key: str, *, operator: str, reason: str | None) -> Removal:
    """``key``: a pseudonym (``K-...``), an e-mail address or a Telegram id. An address is
    suppressed even when nobody is known by it."""
    reason = reason or f"operator request ({operator})"
    evidence = f"cli:{operator}"
    if key.strip().upper().startswith("K-"):
        async with core.uow() as uow:
            subject = await subjects.resolve(uow, core, key)
            changed, known = await newsletter.leave_now(
                uow,
                core,
                subject,
                channel=Channel.OPERATOR,
                evidence=evidence,
                actor=Actor.OPERATOR,
                reason=reason,
            )
            await uow.commit()
        return Removal.UNSUBSCRIBED if changed else Removal.ALREADY_OFF if known else Removal.UNKNOWN
    value = contacts.guess(key)
    if value.kind is ContactKind.PHONE:
        raise InvalidInput("the newsletter goes to e-mail addresses and Telegram ids, not phone numbers")
    return await newsletter.unsubscribe_by_address(
        core, value, channel=Channel.OPERATOR, evidence=evidence, actor=Actor.OPERATOR, reason=reason
    )


# Bulk unsubscribe --------------------------------------------------------------------------------


@dataclass(slots=True)
class BulkReport:
    unsubscribed: int = 0
    already_off: int = 0
    unknown: int = 0  # not on the list; suppressed all the same
    invalid: int = 0
    invalid_lines: list[int] = field(default_factory=list)  # the first MAX_LISTED_INVALID
    newly_suppressed: int = 0

    @property
    def addresses(self) -> int:
        return self.unsubscribed + self.already_off + self.unknown

    def count(self, removal: Removal) -> None:
        if removal is Removal.UNSUBSCRIBED:
            self.unsubscribed += 1
        elif removal is Removal.ALREADY_OFF:
            self.already_off += 1
        else:
            self.unknown += 1


async def unsubscribe_listed(
    core: Core,
    entries: Iterable[ListedAddress],
    *,
    source: str,
    operator: str,
    reason: str | None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> BulkReport:
    """Unsubscribe every address in ``entries`` (from ``read_addresses``), one transaction
    per batch. ``source`` names the list in the ledger's evidence (with the line number);
    ``progress`` is called with the last line handled."""
    report = BulkReport()
    batch: list[tuple[int, ContactValue]] = []
    last_line = 0
    for entry in entries:
        last_line = entry.line
        if entry.value is None:
            report.invalid += 1
            if len(report.invalid_lines) < MAX_LISTED_INVALID:
                report.invalid_lines.append(entry.line)
            continue
        batch.append((entry.line, entry.value))
        if len(batch) >= batch_size:
            await _unsubscribe_batch(core, batch, report, source=source, operator=operator, reason=reason)
            batch = []
            if progress is not None:
                progress(last_line)
    if batch:
        await _unsubscribe_batch(core, batch, report, source=source, operator=operator, reason=reason)
    if progress is not None:
        progress(last_line)
    return report


async def _unsubscribe_batch(
    core: Core,
    batch: list[tuple[int, ContactValue]],
    report: BulkReport,
    *,
    source: str,
    operator: str,
    reason: str | None,
) -> None:
    """A few queries for the whole batch (subscriptions, people, consent, suppressions);
    then one ledger event per person whose consent was in force."""
    reason = reason or f"operator list ({operator})"
    indexes = [subjects.blind_index(core, value) for _, value in batch]
    by_kind: dict[ContactKind, set[str]] = defaultdict(set)
    for (_, value), index in zip(batch, indexes, strict=True):
        by_kind[value.kind].add(index)
    counts = BulkReport()
    async with core.uow() as uow:
        people: dict[str, set[uuid.UUID]] = defaultdict(set)
        for kind, kind_indexes in by_kind.items():
            for subscription in await uow.newsletter.by_addresses(newsletter.CHANNEL_OF[kind], kind_indexes):
                people[subscription.address_index].add(subscription.subject_id)
            for index, subject_id in await uow.contacts.owners(kind, kind_indexes):
                people[index].add(subject_id)
        everyone = set().union(*people.values()) if people else set()
        persons = {s.id: s for s in await uow.subjects.many(everyone) if s.state is SubjectState.ACTIVE}
        subscriptions = defaultdict(list)  # locked in one statement, in id order, like a send batch
        for subscription in await uow.newsletter.for_subjects(persons.keys()):
            subscriptions[subscription.subject_id].append(subscription)
        granted = await uow.newsletter.granted({s.pseudonym for s in persons.values()})
        departure = Departure()
        suppressed_here = set(indexes)  # the batch's addresses, suppressed below
        done: set[uuid.UUID] = set()
        for (line, _), index in zip(batch, indexes, strict=True):
            removal = Removal.UNKNOWN
            for subject_id in sorted(people.get(index, set()) & persons.keys()):
                if subject_id in done:  # listed twice: the first line took them off
                    changed = False
                else:
                    subject = persons[subject_id]
                    changed = await newsletter.leave(
                        uow,
                        core,
                        subject,
                        subscriptions[subject_id],
                        departure,
                        granted=subject.pseudonym in granted,
                        channel=Channel.OPERATOR,
                        evidence=f"{source} line {line}",
                        actor=Actor.OPERATOR,
                        reason=reason,
                        already_suppressed=suppressed_here,
                    )
                    done.add(subject_id)
                if changed:
                    removal = Removal.UNSUBSCRIBED
                elif subscriptions[subject_id] and removal is Removal.UNKNOWN:
                    removal = Removal.ALREADY_OFF
            counts.count(removal)
        suppression = newsletter.suppression_reason(Channel.OPERATOR, Actor.OPERATOR, reason)
        departure.addresses.extend(value.value for _, value in batch)
        counts.newly_suppressed = await departure.finish(uow, core, reason=suppression)
        await uow.commit()
    report.unsubscribed += counts.unsubscribed
    report.already_off += counts.already_off
    report.unknown += counts.unknown
    report.newly_suppressed += counts.newly_suppressed


# Listing and export -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subscriber:
    pseudonym: str
    channel: str
    state: str
    language: str
    address: str  # masked unless asked for (and audited)
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None


def mask(address: str) -> str:
    """``a***@example.org`` / ``****5678``: enough to tell rows apart on a screen."""
    if "@" in address:
        local, _, domain = address.rpartition("@")
        return f"{local[:1]}***@{domain}"
    return "*" * max(len(address) - 4, 1) + address[-4:]


async def listing(
    core: Core,
    *,
    state: NewsletterState | None,
    show_addresses: bool,
    operator: str,
    limit: int,
    after: uuid.UUID | None = None,
) -> list[Subscriber]:
    """A page of subscriptions, oldest id first. Showing full addresses is audited."""
    async with core.uow() as uow:
        rows = await uow.newsletter.page(state=state, after=after, limit=limit)
        found: list[Subscriber] = []
        for subscription, pseudonym, point, wrapped in rows:
            address = newsletter.read_address(core, subscription, point, wrapped) or ""
            found.append(
                Subscriber(
                    pseudonym,
                    subscription.channel.value,
                    subscription.state.value,
                    subscription.language,
                    address if show_addresses else mask(address) if address else "",
                    subscription.created_at,
                    subscription.confirmed_at,
                    subscription.unsubscribed_at,
                )
            )
        if show_addresses and found:
            _audit(
                uow,
                core,
                operator,
                "newsletter_list",
                f"{len(found)} addresses shown (state {state.value if state else 'any'})",
            )
            await uow.commit()
        return found


def _audit(uow: UnitOfWork, core: Core, operator: str, action: str, detail: str) -> None:
    """Addresses shown or handed out concern many people at once: no pseudonym, a count."""
    uow.audit.record(
        actor=f"operator:{operator}",
        action=action,
        subject_pseudonym=None,
        detail=detail,
        at=core.clock.now(),
    )


async def export_csv(core: Core, out: TextIO, *, operator: str, reason: str, batch_size: int = 1000) -> int:
    """Write ``email,language,confirmed_at`` for every subscriber an issue would go to now
    (confirmed, consent in force per the ledger, not suppressed, reachable), for a mailing
    tool. Audited before the first address is written. Returns the number of rows."""
    async with core.uow() as uow:
        _audit(uow, core, operator, "newsletter_export", f"csv: {reason}")
        await uow.commit()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "language", "confirmed_at"])
    rows = 0
    after: uuid.UUID | None = None
    while True:
        async with core.uow() as uow:
            batch = await newsletter.eligible_batch(uow, core, after=after, limit=batch_size)
        for recipient in batch.recipients:
            if recipient.channel is Channel.EMAIL and recipient.confirmed_at is not None:
                writer.writerow(
                    [
                        recipient.address,
                        recipient.language,
                        recipient.confirmed_at.isoformat(timespec="seconds"),
                    ]
                )
                rows += 1
        if batch.scanned < batch_size:
            return rows
        after = batch.last_id


# Stats -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stats:
    subscriptions: dict[tuple[str, str], int]  # (channel, state) -> count
    suppressed: int
    messages: dict[str, int]  # newsletter outbox rows by state
    sends: list[newsletter_sending.SendSummary]


async def stats(core: Core) -> Stats:
    async with core.reader() as uow:
        subscriptions = await uow.newsletter.count_by_channel_state()
        suppressed = await uow.suppressions.count()
        messages = await uow.outbox.count_kinds_by_state(newsletter.KINDS)
    return Stats(subscriptions, suppressed, messages, await newsletter_sending.recent(core, 10))
