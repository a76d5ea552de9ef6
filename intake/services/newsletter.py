"""Newsletter subscriptions: opt-in only, double opt-in for e-mail, suppression on leaving.

* Subscribing is opt-in. Telegram: active at once (the button press is the consent). E-mail:
  pending until the confirmation link (``/n/TOKEN``) is used, and only then is the grant
  recorded in the ledger. Sign-ups nobody confirms expire with their link (``expire_pending``,
  run by retention).
* Leaving has the same effect whichever route it takes (``unsubscribe_in``): the newsletter
  consent withdrawn in the ledger (only if it was in force, so repeating changes nothing),
  every subscription of the person unsubscribed, their addresses on the suppression list (a
  keyed hash that outlives erasure) and their queued newsletter mails cancelled, all in one
  transaction. The dispatcher checks again when it sends (``SEND_CHECKS``).
* A suppressed address gets the newsletter again only after a new, confirmed opt-in.
* Public routes (links, mail, bot) answer the same whatever the address's state; only
  operators learn whether an address was known.

Outbox rows of a subscription share the thread ``newsletter:<subscription id>``: that is how
they are cancelled together and how the dispatcher finds the subscription at send time.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from consent_store.crypto import DecryptionFailed
from consent_store.enums import (
    Actor,
    Channel,
    ConsentAction,
    ContactKind,
    NewsletterState,
    Purpose,
    RecipientKind,
    SubjectState,
)
from consent_store.ledger import NewConsentEvent
from consent_store.models import (
    ContactPoint,
    NewsletterSubscription,
    OutboxMessage,
    Subject,
)
from consent_store.unit_of_work import UnitOfWork
from intake import contacts
from intake.contacts import ContactValue
from intake.core import Core
from intake.errors import InvalidInput, InvalidState, StaleWording
from intake.services import consent, outbox, subjects
from intake.services.consent import ShownWording
from intake.services.outbox import SendCheck, Withheld
from intake.texts import LANGUAGES, Wording
from intake.tokens import NEWSLETTER_CONFIRM, TokenInvalid

ISSUE_KIND = "newsletter"  # an issue of the newsletter
CONFIRM_KIND = "newsletter_confirm"  # the double opt-in mail
KINDS = (ISSUE_KIND, CONFIRM_KIND)
CONTACT_OF = outbox.CHANNEL_CONTACT
CHANNEL_OF = {kind: channel for channel, kind in CONTACT_OF.items()}
# A sign-up form submitted again sends a new confirmation mail only after this long.
CONFIRM_RESEND_AFTER = timedelta(minutes=10)
SIGNUP_TTL = NEWSLETTER_CONFIRM.max_age  # unconfirmed sign-ups expire with their link
_THREAD_PREFIX = "newsletter:"


class Removal(StrEnum):
    """What an unsubscribe changed. Operators may be told; the public never is."""

    UNSUBSCRIBED = "unsubscribed"
    ALREADY_OFF = "already_off"
    UNKNOWN = "unknown"  # not on the list (the address is suppressed all the same)


class BounceKind(StrEnum):
    HARD = "hard"  # the address does not exist
    SOFT = "soft"  # mailbox full, greylisted...: nothing to do
    COMPLAINT = "complaint"  # marked as spam (feedback loop)


class NoSignUpWaiting(InvalidState):
    """There is no sign-up waiting for confirmation. It may have expired: please sign up again."""

    code = "newsletter_no_signup"


@dataclass(frozen=True, slots=True)
class SignUp:
    """A sign-up as its confirmation page shows it."""

    language: str
    confirmed: bool  # already confirmed (the page then just says so)


def thread(subscription_id: uuid.UUID) -> str:
    return f"{_THREAD_PREFIX}{subscription_id.hex}"


# Subscribing -----------------------------------------------------------------------------


CHANNEL_WORDING: dict[Channel, str | None] = {Channel.EMAIL: None, Channel.TELEGRAM: "telegram"}


def channel_for(contact: ContactKind | None) -> Channel:
    """Where a candidate's newsletter goes: to the e-mail address they gave, else to the chat
    they are using (a phone number is never used for it)."""
    return Channel.EMAIL if contact is ContactKind.EMAIL else Channel.TELEGRAM


def wording_for(core: Core, language: str, channel: Channel) -> Wording:
    """The newsletter question as worded for ``channel`` (``subscribe`` accepts only that one)."""
    return core.texts.wording(Purpose.NEWSLETTER, language, CHANNEL_WORDING.get(channel))


async def subscribe(
    core: Core, *, subject_id: uuid.UUID, channel: Channel, shown: ShownWording, evidence: str
) -> NewsletterState:
    """Opt in with the subject's address on ``channel`` (the bot's button, the checkbox on the
    web confirmation form). Telegram: active at once. E-mail: pending; a confirmation mail is
    queued and the subscription becomes active when its link is used."""
    wording = core.texts.shown(Purpose.NEWSLETTER, shown.language, shown.version, shown.sha256)
    if wording.variant != CHANNEL_WORDING.get(channel):  # what was promised must fit the channel
        raise StaleWording("this newsletter question was not worded for this channel")
    kind = _contact_kind(channel)
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        points = await uow.contacts.for_subject(subject.id, kind)
        if not points:
            raise InvalidInput(f"no {kind.value} address is known for the newsletter")
        state = await _sign_up(uow, core, subject, points[-1], channel, wording, evidence)
        await uow.commit()
        return state


async def subscribe_email(
    core: Core, *, address: str, language: str, shown: ShownWording, evidence: str
) -> None:
    """The public sign-up form. Whatever the address's state (new, pending, subscribed,
    unsubscribed earlier) the caller learns nothing: it shows "check your mailbox". A new or
    former subscriber gets a confirmation mail; a confirmed one gets nothing."""
    value = contacts.email(address)
    wording = core.texts.shown(Purpose.NEWSLETTER, shown.language, shown.version, shown.sha256)
    async with core.uow() as uow:
        index = subjects.blind_index(core, value)
        existing = await uow.newsletter.by_addresses(Channel.EMAIL, [index])
        subject = await uow.subjects.get(existing[0].subject_id) if existing else None
        if subject is None:
            found = await subjects.find(uow, core, value)
            locale = language if language in LANGUAGES else wording.language
            subject = found[0] if found else await subjects.create(uow, core, locale=locale)
        point = await subjects.add_contact(uow, core, subject, value)
        await _sign_up(uow, core, subject, point, Channel.EMAIL, wording, evidence)
        await uow.commit()


async def _sign_up(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    point: ContactPoint,
    channel: Channel,
    wording: Wording,
    evidence: str,
) -> NewsletterState:
    now = core.clock.now()
    found = await uow.newsletter.by_addresses(channel, [point.blind_index], lock=True)
    subscription = found[0] if found else None
    if subscription is not None and subscription.subject_id != subject.id:
        raise InvalidState("this address is subscribed under another person record")
    if subscription is None:
        subscription = NewsletterSubscription(
            id=uuid.uuid4(),
            subject_id=subject.id,
            channel=channel,
            address_index=point.blind_index,
            state=NewsletterState.PENDING,
            language=wording.language,
            created_at=now,
        )
        uow.newsletter.add(subscription)
        await uow.session.flush()
    if subscription.state is NewsletterState.ACTIVE:
        return subscription.state
    subscription.language = wording.language
    if channel is Channel.TELEGRAM:
        await _activate(uow, core, subject, subscription, wording=wording, evidence=evidence, channel=channel)
        return subscription.state
    asked_recently = (
        subscription.state is NewsletterState.PENDING
        and subscription.requested_at is not None
        and subscription.requested_at > now - CONFIRM_RESEND_AFTER
    )
    subscription.state = NewsletterState.PENDING
    if not asked_recently:
        subscription.requested_at = now
        await _queue_confirmation(uow, core, subject, subscription)
    return subscription.state


async def _queue_confirmation(
    uow: UnitOfWork, core: Core, subject: Subject, subscription: NewsletterSubscription
) -> None:
    await uow.outbox.cancel_threads([thread(subscription.id)], "cancelled: superseded")
    message = core.texts.message(
        CONFIRM_KIND,
        subscription.language,
        confirm_url=core.links.newsletter_confirm(subscription.id.hex),
        valid_days=SIGNUP_TTL.days,
    )
    await outbox.enqueue(
        uow,
        core,
        channel=Channel.EMAIL,
        recipient_kind=RecipientKind.SUBJECT,
        recipient_id=subject.id,
        message=message,
        concerns_subject_id=subject.id,
        thread=thread(subscription.id),
    )


async def _activate(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    subscription: NewsletterSubscription,
    *,
    wording: Wording,
    evidence: str,
    channel: Channel,
) -> None:
    """The confirmed opt-in: grant in the ledger, and the address's suppression lifted."""
    await consent.append(
        uow,
        core,
        subject,
        purpose=Purpose.NEWSLETTER,
        action=ConsentAction.GRANTED,
        wording=wording,
        channel=channel,
        evidence=evidence,
    )
    value = await _subscribed_address(uow, subscription)
    if value is not None:
        await uow.suppressions.lift(core.keyring.suppression_hash(value.value))
    now = core.clock.now()
    subscription.state = NewsletterState.ACTIVE
    subscription.confirmed_at = now
    subscription.unsubscribed_at = None
    subscription.requested_at = None
    subject.last_active_at = now


async def confirm(core: Core, *, subject_id: uuid.UUID, shown: ShownWording, evidence: str) -> None:
    """Confirm the subject's pending e-mail sign-up (``confirm_by_token`` for the link)."""
    wording = core.texts.shown(Purpose.NEWSLETTER, shown.language, shown.version, shown.sha256)
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        waiting = [
            s
            for s in await uow.newsletter.for_subject(subject.id, lock=True)
            if s.channel is Channel.EMAIL and s.state is not NewsletterState.UNSUBSCRIBED
        ]
        if not waiting:
            raise NoSignUpWaiting()
        for subscription in waiting:
            if subscription.state is NewsletterState.PENDING:
                await _activate(
                    uow, core, subject, subscription, wording=wording, evidence=evidence, channel=Channel.WEB
                )
        await uow.commit()


def _confirm_ref(core: Core, token: str) -> uuid.UUID:
    ref = core.tokens.verify(NEWSLETTER_CONFIRM, token)  # TokenExpired, TokenInvalid
    try:
        return uuid.UUID(hex=ref)
    except ValueError:
        raise TokenInvalid() from None


async def signup_for_token(core: Core, token: str) -> SignUp:
    """What the confirmation page (GET ``/n/TOKEN``) shows; changes nothing."""
    subscription_id = _confirm_ref(core, token)
    async with core.reader() as uow:
        subscription = await uow.newsletter.get(subscription_id)
        if subscription is None or subscription.state is NewsletterState.UNSUBSCRIBED:
            raise NoSignUpWaiting()
        return SignUp(subscription.language, subscription.state is NewsletterState.ACTIVE)


async def confirm_by_token(core: Core, token: str, *, shown: ShownWording, evidence: str) -> SignUp:
    """POST ``/n/TOKEN``: the double opt-in. ``shown`` is the wording on the page. Confirming
    twice is harmless; a sign-up that was withdrawn or has expired raises ``NoSignUpWaiting``."""
    subscription_id = _confirm_ref(core, token)
    wording = core.texts.shown(Purpose.NEWSLETTER, shown.language, shown.version, shown.sha256)
    async with core.uow() as uow:
        subscription = await uow.newsletter.get(subscription_id, lock=True)
        if subscription is None or subscription.state is NewsletterState.UNSUBSCRIBED:
            raise NoSignUpWaiting()
        if subscription.state is NewsletterState.PENDING:
            subject = await subjects.get(uow, subscription.subject_id)
            await _activate(
                uow, core, subject, subscription, wording=wording, evidence=evidence, channel=Channel.WEB
            )
        await uow.commit()
        return SignUp(subscription.language, True)


# Unsubscribing ---------------------------------------------------------------------------


async def unsubscribe(
    core: Core,
    *,
    subject_id: uuid.UUID,
    channel: Channel,
    evidence: str,
    actor: Actor = Actor.SUBJECT,
    reason: str | None = None,
) -> bool:
    """Take a known person off the newsletter (the bot's /afmelden, an operator by pseudonym).
    Idempotent; returns whether anything changed."""
    async with core.uow() as uow:
        subject = await subjects.get(uow, subject_id)
        changed = await unsubscribe_in(
            uow, core, subject, channel=channel, evidence=evidence, actor=actor, reason=reason
        )
        await uow.commit()
        return changed


async def unsubscribe_by_token(core: Core, token: str, *, channel: Channel, evidence: str) -> None:
    """One-click unsubscribe: POST ``/u/TOKEN`` (``channel`` web) or mail to
    ``unsubscribe+TOKEN@`` (``channel`` email). An altered token raises ``TokenInvalid``,
    decided from the token alone; for a genuine one the outcome is the same whether the
    subscription exists, is already off or was erased."""
    subscription_id = core.tokens.unsubscribe_ref(token)
    async with core.uow() as uow:
        await unsubscribe_subscription_in(uow, core, subscription_id, channel=channel, evidence=evidence)
        await uow.commit()


async def unsubscribe_subscription_in(
    uow: UnitOfWork, core: Core, subscription_id: uuid.UUID, *, channel: Channel, evidence: str
) -> None:
    """``unsubscribe_by_token`` inside the caller's unit of work, the token already checked."""
    subscription = await uow.newsletter.get(subscription_id)  # locked with the others below
    subject = await uow.subjects.get(subscription.subject_id) if subscription else None
    if subject is not None and subject.state is SubjectState.ACTIVE:
        await unsubscribe_in(
            uow,
            core,
            subject,
            channel=channel,
            evidence=evidence,
            actor=Actor.SUBJECT,
            reason="one-click unsubscribe",
        )


async def unsubscribe_by_address(
    core: Core,
    address: str | ContactValue,
    *,
    channel: Channel,
    evidence: str,
    actor: Actor,
    reason: str | None = None,
) -> Removal:
    """Unsubscribe whoever is subscribed with, or known by, this e-mail address (or Telegram
    id): mail from the subscribed address to ``unsubscribe@``, an operator's request. The
    address is suppressed even when nobody is known by it, so it never gets the newsletter.
    Public routes must not show the returned ``Removal``."""
    value = contacts.email(address) if isinstance(address, str) else address
    async with core.uow() as uow:
        removal = await unsubscribe_address_in(
            uow, core, value, channel=channel, evidence=evidence, actor=actor, reason=reason
        )
        await uow.commit()
        return removal


async def handle_bounce(core: Core, address: str, kind: BounceKind, *, evidence: str) -> Removal | None:
    """A bounce or complaint for ``address`` reached ``bounces@``. Hard bounces and complaints
    unsubscribe the address and mark it unreachable; soft bounces change nothing."""
    async with core.uow() as uow:
        removal = await bounce_in(uow, core, contacts.email(address), kind, evidence=evidence)
        await uow.commit()
        return removal


async def bounce_in(
    uow: UnitOfWork, core: Core, value: ContactValue, kind: BounceKind, *, evidence: str
) -> Removal | None:
    """``handle_bounce`` inside the caller's unit of work (the mail worker's, which also marks
    the report processed)."""
    if kind is BounceKind.SOFT:
        return None
    removal = await unsubscribe_address_in(
        uow,
        core,
        value,
        channel=Channel.EMAIL,
        evidence=evidence,
        actor=Actor.SYSTEM,
        reason=f"{kind.value} bounce" if kind is BounceKind.HARD else "complaint",
    )
    await uow.contacts.mark_unreachable(ContactKind.EMAIL, subjects.blind_index(core, value))
    return removal


async def unsubscribe_address_in(
    uow: UnitOfWork,
    core: Core,
    value: ContactValue,
    *,
    channel: Channel,
    evidence: str,
    actor: Actor,
    reason: str | None,
) -> Removal:
    """``unsubscribe_by_address`` inside the caller's unit of work."""
    channel_of_value = CHANNEL_OF.get(value.kind)
    if channel_of_value is None:
        raise InvalidInput("the newsletter goes to e-mail addresses and Telegram ids only")
    index = subjects.blind_index(core, value)
    # Rows are locked below, per person, all at once in id order (as a send batch does),
    # so that an unsubscribe and a send cannot deadlock.
    subscribed = await uow.newsletter.by_addresses(channel_of_value, [index])
    people = {s.subject_id for s in subscribed} | {
        subject_id for _, subject_id in await uow.contacts.owners(value.kind, [index])
    }
    removal = Removal.UNKNOWN
    for subject in await uow.subjects.many(people):
        if subject.state is not SubjectState.ACTIVE:
            continue
        changed, known = await leave_now(
            uow,
            core,
            subject,
            channel=channel,
            evidence=evidence,
            actor=actor,
            reason=reason,
            already_suppressed={index},
        )
        if changed:
            removal = Removal.UNSUBSCRIBED
        elif known and removal is Removal.UNKNOWN:
            removal = Removal.ALREADY_OFF
    await suppress(uow, core, [value.value], reason=suppression_reason(channel, actor, reason))
    return removal


async def unsubscribe_in(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    *,
    channel: Channel,
    evidence: str,
    actor: Actor,
    reason: str | None,
) -> bool:
    """Leave the newsletter inside the caller's unit of work; True if anything changed."""
    changed, _ = await leave_now(
        uow, core, subject, channel=channel, evidence=evidence, actor=actor, reason=reason
    )
    return changed


@dataclass(slots=True)
class Departure:
    """What leaving leaves to do once the states are set: the ledger withdrawals, the
    addresses to suppress, the queued mails to cancel. Bulk callers gather these and finish
    them once per batch, in the same transaction."""

    withdrawals: list[NewConsentEvent] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)

    async def finish(self, uow: UnitOfWork, core: Core, *, reason: str) -> int:
        """Withdraw in the ledger, suppress, cancel; returns how many addresses were newly
        suppressed."""
        await uow.ledger.append_many(self.withdrawals, core.clock.now())
        added = await suppress(uow, core, self.addresses, reason=reason)
        await uow.outbox.cancel_threads(self.threads, "cancelled: unsubscribed")
        return added


async def leave(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    subscriptions: Sequence[NewsletterSubscription],
    departure: Departure,
    *,
    granted: bool,
    channel: Channel,
    evidence: str,
    actor: Actor,
    reason: str | None,
    already_suppressed: Collection[str] = (),
) -> bool:
    """The one effect of unsubscribing, for a subject whose ``subscriptions`` the caller
    has loaded (locked) and whose consent it knows to be in force (``granted``) or not.
    The states change here; the rest goes into ``departure`` (addresses with a blind index
    in ``already_suppressed`` the caller suppresses itself). True if anything changed."""
    now = core.clock.now()
    changed = False
    if granted:
        departure.withdrawals.append(
            consent.event(
                core,
                subject,
                purpose=Purpose.NEWSLETTER,
                action=ConsentAction.WITHDRAWN,
                wording=core.texts.wording(Purpose.NEWSLETTER, subject.locale),
                channel=channel,
                evidence=evidence,
                actor=actor,
                reason=reason,
            )
        )
        subject.last_active_at = now
        changed = True
    for subscription in subscriptions:
        if subscription.state is not NewsletterState.UNSUBSCRIBED:
            subscription.state = NewsletterState.UNSUBSCRIBED
            subscription.unsubscribed_at = now
            subscription.requested_at = None
            changed = True
        departure.threads.append(thread(subscription.id))
        if subscription.address_index not in already_suppressed:
            value = await _subscribed_address(uow, subscription)
            if value is not None:
                departure.addresses.append(value.value)
    return changed


async def leave_now(
    uow: UnitOfWork,
    core: Core,
    subject: Subject,
    *,
    channel: Channel,
    evidence: str,
    actor: Actor,
    reason: str | None,
    already_suppressed: Collection[str] = (),
) -> tuple[bool, bool]:
    """``leave`` and finish at once; returns (anything changed, had subscriptions)."""
    subscriptions = await uow.newsletter.for_subject(subject.id, lock=True)
    departure = Departure()
    changed = await leave(
        uow,
        core,
        subject,
        subscriptions,
        departure,
        granted=await uow.ledger.is_granted(subject.pseudonym, Purpose.NEWSLETTER),
        channel=channel,
        evidence=evidence,
        actor=actor,
        reason=reason,
        already_suppressed=already_suppressed,
    )
    await departure.finish(uow, core, reason=suppression_reason(channel, actor, reason))
    return changed, bool(subscriptions)


def suppression_reason(channel: Channel, actor: Actor, reason: str | None) -> str:
    if actor is Actor.SYSTEM and reason:
        return reason[:64]
    return f"unsubscribed via {channel.value}" + (" by an operator" if actor is Actor.OPERATOR else "")


SUPPRESS_CHUNK = 500  # rows per INSERT: SQLite caps the bound parameters of one statement


async def suppress(uow: UnitOfWork, core: Core, values: Iterable[str], *, reason: str) -> int:
    """Put these normalised addresses on the suppression list; returns how many were new."""
    hashes = sorted({core.keyring.suppression_hash(value) for value in values})
    added = 0
    for start in range(0, len(hashes), SUPPRESS_CHUNK):
        chunk = hashes[start : start + SUPPRESS_CHUNK]
        added += await uow.suppressions.add_missing(chunk, reason=reason[:64], now=core.clock.now())
    return added


async def _subscribed_address(uow: UnitOfWork, subscription: NewsletterSubscription) -> ContactValue | None:
    """The address this subscription was made with, if the subject still has it."""
    point = await uow.contacts.find(
        subscription.subject_id, CONTACT_OF[subscription.channel], subscription.address_index
    )
    if point is None:
        return None
    try:
        return await subjects.reveal(uow, point)
    except DecryptionFailed:
        return None


def _contact_kind(channel: Channel) -> ContactKind:
    kind = CONTACT_OF.get(channel)
    if kind is None:
        raise InvalidInput("the newsletter goes by e-mail or Telegram")
    return kind


# Who may receive an issue ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    subscription_id: uuid.UUID
    subject_id: uuid.UUID
    channel: Channel
    language: str
    address: str
    confirmed_at: datetime | None

    def __repr__(self) -> str:  # never print the address
        return f"Recipient(subscription_id={self.subscription_id}, channel={self.channel.value})"


@dataclass(slots=True)
class EligibleBatch:
    """One keyset page of active subscriptions, sorted into who may get an issue and why not."""

    recipients: list[Recipient]
    scanned: int
    last_id: uuid.UUID | None
    suppressed: int = 0
    withdrawn: int = 0  # the ledger says the consent is not in force
    unreachable: int = 0  # the address is gone or bounces


async def eligible_batch(
    uow: UnitOfWork, core: Core, *, after: uuid.UUID | None, limit: int, lock: bool = False
) -> EligibleBatch:
    """Active subscriptions after ``after``, checked with three queries for the whole batch:
    the page itself (with addresses), the ledger, the suppression list. ``lock`` takes shared
    row locks (PostgreSQL) so that an unsubscribe waits for the caller's transaction."""
    rows = await uow.newsletter.page(state=NewsletterState.ACTIVE, after=after, limit=limit, lock=lock)
    batch = EligibleBatch([], len(rows), rows[-1][0].id if rows else None)
    granted = await uow.newsletter.granted({pseudonym for _, pseudonym, _, _ in rows})
    candidates: list[tuple[Recipient, str]] = []
    for subscription, pseudonym, point, wrapped in rows:
        if pseudonym not in granted:
            batch.withdrawn += 1
            continue
        address = read_address(core, subscription, point, wrapped)
        if address is None:
            batch.unreachable += 1
            continue
        recipient = Recipient(
            subscription.id,
            subscription.subject_id,
            subscription.channel,
            subscription.language,
            address,
            subscription.confirmed_at,
        )
        candidates.append((recipient, core.keyring.suppression_hash(address)))
    suppressed = await uow.suppressions.present({digest for _, digest in candidates})
    for recipient, digest in candidates:
        if digest in suppressed:
            batch.suppressed += 1
        else:
            batch.recipients.append(recipient)
    return batch


def read_address(
    core: Core, subscription: NewsletterSubscription, point: ContactPoint | None, wrapped: bytes | None
) -> str | None:
    if point is None or wrapped is None or point.unreachable:
        return None
    try:
        cipher = core.keyring.unwrap(wrapped, str(subscription.subject_id))
        return cipher.decrypt_text(
            point.ciphertext, subjects.contact_aad(subscription.subject_id, point.kind)
        )
    except DecryptionFailed:
        return None


# Checks at the moment of sending (the dispatcher runs them) --------------------------------


async def _subscription_of(uow: UnitOfWork, row: OutboxMessage) -> NewsletterSubscription:
    ref = (row.thread or "").removeprefix(_THREAD_PREFIX)
    try:
        subscription_id = uuid.UUID(hex=ref)
    except ValueError:
        raise Withheld("not a newsletter thread") from None
    subscription = await uow.newsletter.get(subscription_id)
    if subscription is None or subscription.subject_id != row.recipient_id:
        raise Withheld("subscription gone")
    return subscription


async def address_of(uow: UnitOfWork, row: OutboxMessage) -> ContactValue | None:
    """The address a newsletter mail (an issue or a confirmation) was for, if still known:
    a complaint about it may not name its recipient."""
    try:
        subscription = await _subscription_of(uow, row)
    except Withheld:
        return None
    return await _subscribed_address(uow, subscription)


async def _deliverable_address(uow: UnitOfWork, subscription: NewsletterSubscription) -> str:
    point = await uow.contacts.find(
        subscription.subject_id, CONTACT_OF[subscription.channel], subscription.address_index
    )
    if point is None:
        raise Withheld("no_address")
    if point.unreachable:
        raise Withheld("recipient_unreachable")
    return (await subjects.reveal(uow, point)).value


async def _issue_address(uow: UnitOfWork, core: Core, row: OutboxMessage) -> str:
    """An issue goes out only to an active subscription whose consent is in force and whose
    address is not suppressed, checked now, not only when it was queued."""
    subscription = await _subscription_of(uow, row)
    if subscription.state is not NewsletterState.ACTIVE:
        raise Withheld("unsubscribed")
    subject = await uow.subjects.get(subscription.subject_id)
    if subject is None or not await uow.ledger.is_granted(subject.pseudonym, Purpose.NEWSLETTER):
        raise Withheld("consent withdrawn")
    address = await _deliverable_address(uow, subscription)
    if await uow.suppressions.contains(core.keyring.suppression_hash(address)):
        raise Withheld("suppressed")
    return address


async def _confirmation_address(uow: UnitOfWork, core: Core, row: OutboxMessage) -> str:
    """A confirmation mail goes out only while its sign-up still waits. A suppressed address
    does get it: confirming is how someone who left comes back."""
    subscription = await _subscription_of(uow, row)
    if subscription.state is not NewsletterState.PENDING:
        raise Withheld("no sign-up waiting")
    return await _deliverable_address(uow, subscription)


SEND_CHECKS: dict[str, SendCheck] = {ISSUE_KIND: _issue_address, CONFIRM_KIND: _confirmation_address}


# Expiry of unconfirmed sign-ups (retention) -------------------------------------------------


@dataclass(slots=True)
class ExpiredSignUps:
    count: int
    # People who came only to sign up and never confirmed: nothing else is kept about them,
    # so retention erases them in the same transaction.
    leftover: list[Subject]


async def expire_pending_in(uow: UnitOfWork, core: Core, now: datetime, *, limit: int) -> ExpiredSignUps:
    """Sign-ups not confirmed within ``SIGNUP_TTL``: a first sign-up is deleted, a former
    subscriber's goes back to unsubscribed. Their confirmation mails are cancelled."""
    expired = await uow.newsletter.pending_requested_before(now - SIGNUP_TTL, limit=limit)
    await uow.outbox.cancel_threads([thread(s.id) for s in expired], "cancelled: sign-up expired")
    maybe_leftover: set[uuid.UUID] = set()
    for subscription in expired:
        if subscription.confirmed_at is not None:
            subscription.state = NewsletterState.UNSUBSCRIBED
            subscription.requested_at = None
        else:
            await uow.session.delete(subscription)
            maybe_leftover.add(subscription.subject_id)
    await uow.session.flush()
    candidates = await uow.subjects.many(maybe_leftover)
    holding = await uow.subjects.holding_data(candidates)
    return ExpiredSignUps(len(expired), [s for s in candidates if s.id not in holding])
