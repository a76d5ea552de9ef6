"""Newsletter subscriptions through the service layer: double opt-in, every way of leaving,
suppression, re-subscribing, bounces, expiry. The web and SMTP routes call these functions."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from consent_store.crypto import DecryptionFailed
from consent_store.enums import (
    Actor,
    Channel,
    ConsentAction,
    ContactKind,
    NewsletterState,
    OutboxState,
    Purpose,
)
from consent_store.models import (
    ConsentEvent,
    ContactPoint,
    NewsletterSubscription,
    OutboxMessage,
    Subject,
)
from intake import contacts
from intake.clock import ManualClock
from intake.core import Core
from intake.errors import InvalidInput
from intake.messages import RenderedMessage
from intake.services import consent, newsletter, privacy, retention, subjects
from intake.services.consent import ShownWording
from intake.services.newsletter import BounceKind, NoSignUpWaiting, Removal
from intake.services.outbox import payload_aad
from intake.tokens import TokenExpired, TokenInvalid
from tests.support import scenario

# Helpers (also used by the other newsletter tests) ---------------------------------------------


@dataclass(frozen=True)
class Subscriber:
    subject_id: uuid.UUID
    pseudonym: str
    subscription_id: uuid.UUID
    address: str


def shown(core: Core, language: str = "nl", channel: Channel = Channel.EMAIL) -> ShownWording:
    """The newsletter question as that channel shows it (in Telegram no confirmation mail is promised)."""
    return ShownWording.of(
        core.texts.wording(Purpose.NEWSLETTER, language, newsletter.CHANNEL_WORDING[channel])
    )


async def subscription_of(
    core: Core, subject_id: uuid.UUID, channel: Channel = Channel.EMAIL
) -> NewsletterSubscription:
    async with core.uow() as uow:
        found = [s for s in await uow.newsletter.for_subject(subject_id) if s.channel is channel]
    assert len(found) == 1
    return found[0]


async def email_subscriber(core: Core, address: str, language: str = "nl") -> Subscriber:
    """An e-mail subscriber who signed up and confirmed."""
    ref = await subjects.identify(core, contacts.email(address), locale=language)
    await newsletter.subscribe(
        core, subject_id=ref.id, channel=Channel.EMAIL, shown=shown(core, language), evidence="test-form"
    )
    await newsletter.confirm(core, subject_id=ref.id, shown=shown(core, language), evidence="test-link")
    subscription = await subscription_of(core, ref.id)
    assert subscription.state is NewsletterState.ACTIVE
    return Subscriber(ref.id, ref.pseudonym, subscription.id, address)


async def telegram_subscriber(core: Core, user_id: int, language: str = "nl") -> Subscriber:
    ref = await subjects.identify(core, contacts.telegram(user_id), locale=language)
    state = await newsletter.subscribe(
        core,
        subject_id=ref.id,
        channel=Channel.TELEGRAM,
        shown=shown(core, language, Channel.TELEGRAM),
        evidence="tg-button",
    )
    assert state is NewsletterState.ACTIVE
    subscription = await subscription_of(core, ref.id, Channel.TELEGRAM)
    return Subscriber(ref.id, ref.pseudonym, subscription.id, str(user_id))


async def outbox_messages(core: Core, kind: str | None = None) -> list[tuple[OutboxMessage, RenderedMessage]]:
    """Queued messages with their decrypted content (those about erased people left out)."""
    async with core.uow() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        rows = list((await uow.session.scalars(query)).all())
        found = []
        for row in rows:
            try:
                cipher = (
                    await uow.subject_cipher(row.concerns_subject_id)
                    if row.concerns_subject_id
                    else uow.keyring.service
                )
            except DecryptionFailed:  # about someone erased since
                continue
            found.append((row, RenderedMessage.from_json(cipher.decrypt(row.payload, payload_aad(row)))))
        return found


async def newsletter_events(core: Core, pseudonym: str) -> list[ConsentEvent]:
    async with core.uow() as uow:
        return [e for e in await uow.ledger.events_for(pseudonym) if e.purpose is Purpose.NEWSLETTER]


async def is_suppressed(core: Core, value: str) -> bool:
    async with core.uow() as uow:
        return await uow.suppressions.contains(core.keyring.suppression_hash(value))


def confirm_token(message: RenderedMessage) -> str:
    found = re.search(r"/n/(\S+)", message.text)
    assert found, "the confirmation mail has no /n/ link"
    return found.group(1)


# Subscribing ---------------------------------------------------------------------------------------------


async def test_an_email_sign_up_counts_only_once_its_link_is_used(core: Core) -> None:
    await newsletter.subscribe_email(
        core, address=" Nieuws@Example.org ", language="nl", shown=shown(core), evidence="form 1.2.3.4"
    )
    ref = await subjects.lookup(core, contacts.email("nieuws@example.org"))
    assert ref is not None
    subscription = await subscription_of(core, ref.id)
    assert subscription.state is NewsletterState.PENDING
    assert await newsletter_events(core, ref.pseudonym) == []  # no grant before the confirmation

    [(row, message)] = await outbox_messages(core, newsletter.CONFIRM_KIND)
    assert row.recipient_id == ref.id and row.concerns_subject_id == ref.id
    assert message.subject and "Bevestig" in message.subject
    token = confirm_token(message)
    assert (await newsletter.signup_for_token(core, token)).confirmed is False
    assert (await subscription_of(core, ref.id)).state is NewsletterState.PENDING  # the page changed nothing

    result = await newsletter.confirm_by_token(core, token, shown=shown(core), evidence="POST /n/ 1.2.3.4")
    assert result.language == "nl" and result.confirmed
    [grant] = await newsletter_events(core, ref.pseudonym)
    assert (grant.action, grant.channel, grant.actor, grant.evidence) == (
        ConsentAction.GRANTED,
        Channel.WEB,
        Actor.SUBJECT,
        "POST /n/ 1.2.3.4",
    )
    assert grant.wording_sha256 == core.texts.wording(Purpose.NEWSLETTER, "nl").sha256
    await newsletter.confirm_by_token(core, token, shown=shown(core), evidence="again")  # harmless
    assert len(await newsletter_events(core, ref.pseudonym)) == 1
    assert (await subscription_of(core, ref.id)).state is NewsletterState.ACTIVE


async def test_the_public_form_answers_alike_and_mails_only_who_must_confirm(
    core: Core, clock: ManualClock
) -> None:
    active = await email_subscriber(core, "active@example.org")
    left = await email_subscriber(core, "left@example.org")
    await newsletter.unsubscribe(core, subject_id=left.subject_id, channel=Channel.WEB, evidence="x")

    async def sign_up(address: str) -> int:
        before = len(await outbox_messages(core, newsletter.CONFIRM_KIND))
        assert (
            await newsletter.subscribe_email(
                core, address=address, language="en", shown=shown(core, "en"), evidence="f"
            )
            is None
        )
        return len(await outbox_messages(core, newsletter.CONFIRM_KIND)) - before

    assert await sign_up("new@example.org") == 1
    assert await sign_up("new@example.org") == 0  # pressed twice: no second mail right away
    clock.advance(newsletter.CONFIRM_RESEND_AFTER + timedelta(seconds=1))
    assert await sign_up("new@example.org") == 1  # later: a fresh link
    assert await sign_up(active.address) == 0  # already confirmed: nothing to do
    assert await sign_up(left.address) == 1  # came back: must confirm anew
    assert (await subscription_of(core, active.subject_id)).state is NewsletterState.ACTIVE
    with pytest.raises(contacts.InvalidEmail):
        await newsletter.subscribe_email(
            core, address="not an address", language="nl", shown=shown(core), evidence="f"
        )
    superseded = [
        r
        for r, _ in await outbox_messages(core, newsletter.CONFIRM_KIND)
        if r.last_error == "cancelled: superseded"
    ]
    assert len(superseded) == 1  # the older link's mail, still queued, was replaced


async def test_confirmation_links_that_were_altered_expired_or_withdrawn_are_refused(
    core: Core, clock: ManualClock
) -> None:
    await newsletter.subscribe_email(
        core, address="late@example.org", language="nl", shown=shown(core), evidence="f"
    )
    [(_, message)] = await outbox_messages(core, newsletter.CONFIRM_KIND)
    token = confirm_token(message)
    with pytest.raises(TokenInvalid):
        altered = token[:-2] + ("xx" if token[-2:] != "xx" else "yy")
        await newsletter.confirm_by_token(core, altered, shown=shown(core), evidence="e")
    with pytest.raises(TokenInvalid):  # an unsubscribe token is not a confirmation token
        await newsletter.confirm_by_token(
            core, core.tokens.unsubscribe(uuid.uuid4()), shown=shown(core), evidence="e"
        )
    clock.advance(newsletter.SIGNUP_TTL + timedelta(minutes=1))
    with pytest.raises(TokenExpired):
        await newsletter.signup_for_token(core, token)
    with pytest.raises(TokenExpired):
        await newsletter.confirm_by_token(core, token, shown=shown(core), evidence="e")

    await newsletter.subscribe_email(
        core, address="gone@example.org", language="nl", shown=shown(core), evidence="f"
    )
    message = (await outbox_messages(core, newsletter.CONFIRM_KIND))[-1][1]
    ref = await subjects.lookup(core, contacts.email("gone@example.org"))
    assert ref is not None
    await newsletter.unsubscribe(core, subject_id=ref.id, channel=Channel.WEB, evidence="changed my mind")
    with pytest.raises(NoSignUpWaiting):
        await newsletter.confirm_by_token(core, confirm_token(message), shown=shown(core), evidence="e")


# Leaving -------------------------------------------------------------------------------------------


async def test_one_click_unsubscribe_by_token(core: Core) -> None:
    who = await email_subscriber(core, "click@example.org")
    token = core.tokens.unsubscribe(who.subscription_id)
    assert len(f"unsubscribe+{token}") <= 64  # fits an e-mail local part

    with pytest.raises(TokenInvalid):  # altered: refused from the token alone
        await newsletter.unsubscribe_by_token(
            core,
            token[:10] + ("a" if token[10] != "a" else "b") + token[11:],
            channel=Channel.WEB,
            evidence="e",
        )
    with pytest.raises(TokenInvalid):
        await newsletter.unsubscribe_by_token(core, token[:-1], channel=Channel.WEB, evidence="e")
    assert (await subscription_of(core, who.subject_id)).state is NewsletterState.ACTIVE

    outcome = await newsletter.unsubscribe_by_token(
        core, token.upper(), channel=Channel.WEB, evidence="POST /u/ List-Unsubscribe=One-Click"
    )
    unknown = await newsletter.unsubscribe_by_token(
        core, core.tokens.unsubscribe(uuid.uuid4()), channel=Channel.WEB, evidence="e"
    )
    again = await newsletter.unsubscribe_by_token(core, token, channel=Channel.EMAIL, evidence="mailto")
    assert outcome == unknown == again  # the same answer whether known, unknown or already off

    assert (await subscription_of(core, who.subject_id)).state is NewsletterState.UNSUBSCRIBED
    assert await is_suppressed(core, who.address)
    events = await newsletter_events(core, who.pseudonym)
    assert [(e.action, e.channel, e.actor) for e in events] == [
        (ConsentAction.GRANTED, Channel.WEB, Actor.SUBJECT),
        (ConsentAction.WITHDRAWN, Channel.WEB, Actor.SUBJECT),  # only once: repeating changed nothing
    ]
    assert events[-1].evidence == "POST /u/ List-Unsubscribe=One-Click"
    async with core.uow() as uow:
        assert (await uow.ledger.verify()).ok


async def test_bot_unsubscribe_and_a_new_button_press(core: Core) -> None:
    who = await telegram_subscriber(core, 4242)
    assert await newsletter.unsubscribe(
        core, subject_id=who.subject_id, channel=Channel.TELEGRAM, evidence="/afmelden"
    )
    assert not await newsletter.unsubscribe(
        core, subject_id=who.subject_id, channel=Channel.TELEGRAM, evidence="/afmelden"
    )
    assert await is_suppressed(core, "4242")
    events = await newsletter_events(core, who.pseudonym)
    assert [(e.action, e.channel, e.evidence) for e in events][-1] == (
        ConsentAction.WITHDRAWN,
        Channel.TELEGRAM,
        "/afmelden",
    )
    # In Telegram the button press is the confirmed opt-in: it lifts the suppression.
    state = await newsletter.subscribe(
        core,
        subject_id=who.subject_id,
        channel=Channel.TELEGRAM,
        shown=shown(core, channel=Channel.TELEGRAM),
        evidence="tg-button",
    )
    assert state is NewsletterState.ACTIVE and not await is_suppressed(core, "4242")


async def test_a_question_worded_for_one_channel_cannot_subscribe_another(core: Core) -> None:
    from intake.errors import StaleWording

    who = await telegram_subscriber(core, 4343)
    with pytest.raises(StaleWording):  # the e-mail wording promises a confirmation mail
        await newsletter.subscribe(
            core, subject_id=who.subject_id, channel=Channel.TELEGRAM, shown=shown(core), evidence="tg"
        )


async def test_unsubscribe_by_address_suppresses_even_unknown_addresses(core: Core) -> None:
    who = await email_subscriber(core, "mailer@example.org")
    assert (
        await newsletter.unsubscribe_by_address(
            core, "Mailer@Example.org", channel=Channel.EMAIL, evidence="<id@mail>", actor=Actor.SUBJECT
        )
        is Removal.UNSUBSCRIBED
    )
    assert (
        await newsletter.unsubscribe_by_address(
            core, "mailer@example.org", channel=Channel.EMAIL, evidence="<id2@mail>", actor=Actor.SUBJECT
        )
        is Removal.ALREADY_OFF
    )
    assert (
        await newsletter.unsubscribe_by_address(
            core, "stranger@example.org", channel=Channel.EMAIL, evidence="<id3@mail>", actor=Actor.SUBJECT
        )
        is Removal.UNKNOWN
    )
    assert await is_suppressed(core, "stranger@example.org")
    assert await subjects.lookup(core, contacts.email("stranger@example.org")) is None  # nobody created
    assert [e.action for e in await newsletter_events(core, who.pseudonym)] == [
        ConsentAction.GRANTED,
        ConsentAction.WITHDRAWN,
    ]
    with pytest.raises(InvalidInput):
        await newsletter.unsubscribe_by_address(
            core, contacts.phone("0612345678"), channel=Channel.OPERATOR, evidence="x", actor=Actor.OPERATOR
        )


async def test_one_address_unsubscribed_several_times_at_once(core: Core) -> None:
    """Two mails to unsubscribe@ from one sender may be handled at the same moment (PostgreSQL
    runs them side by side): each succeeds, the consent is withdrawn once, the address listed once."""
    who = await email_subscriber(core, "twice@example.org")

    async def leave(address: str, n: int) -> Removal:
        return await newsletter.unsubscribe_by_address(
            core, address, channel=Channel.EMAIL, evidence=f"<{n}@mail>", actor=Actor.SUBJECT
        )

    known = await asyncio.gather(*(leave("twice@example.org", n) for n in range(6)))
    unknown = await asyncio.gather(*(leave("nobody@example.org", n) for n in range(6)))
    assert sorted(known) == sorted([Removal.UNSUBSCRIBED] + [Removal.ALREADY_OFF] * 5), known
    assert set(unknown) == {Removal.UNKNOWN}
    assert [e.action for e in await newsletter_events(core, who.pseudonym)] == [
        ConsentAction.GRANTED,
        ConsentAction.WITHDRAWN,
    ]
    async with core.uow() as uow:
        assert await uow.suppressions.count() == 2


async def test_leaving_cancels_queued_confirmation_and_issue_mails(core: Core) -> None:
    await newsletter.subscribe_email(
        core, address="queue@example.org", language="nl", shown=shown(core), evidence="f"
    )
    await newsletter.unsubscribe_by_address(
        core, "queue@example.org", channel=Channel.EMAIL, evidence="e", actor=Actor.SUBJECT
    )
    [(row, _)] = await outbox_messages(core, newsletter.CONFIRM_KIND)
    assert row.state is OutboxState.CANCELLED and row.last_error == "cancelled: unsubscribed"


async def test_a_hard_bounce_or_complaint_unsubscribes_and_marks_the_address(core: Core) -> None:
    bounced = await email_subscriber(core, "bounce@example.org")
    complained = await email_subscriber(core, "spam@example.org")
    soft = await email_subscriber(core, "full@example.org")
    assert await newsletter.handle_bounce(
        core, "bounce@example.org", BounceKind.HARD, evidence="dsn 5.1.1"
    ) is (Removal.UNSUBSCRIBED)
    assert await newsletter.handle_bounce(core, "spam@example.org", BounceKind.COMPLAINT, evidence="arf") is (
        Removal.UNSUBSCRIBED
    )
    assert (
        await newsletter.handle_bounce(core, "full@example.org", BounceKind.SOFT, evidence="dsn 4.2.2")
        is None
    )
    async with core.uow() as uow:
        points = {
            p.subject_id: p.unreachable
            for p in (await uow.session.scalars(select(ContactPoint))).all()
            if p.kind is ContactKind.EMAIL
        }
    assert points == {bounced.subject_id: True, complained.subject_id: True, soft.subject_id: False}
    [*_, withdrawal] = await newsletter_events(core, bounced.pseudonym)
    assert (withdrawal.actor, withdrawal.channel, withdrawal.actor_reason, withdrawal.evidence) == (
        Actor.SYSTEM,
        Channel.EMAIL,
        "hard bounce",
        "dsn 5.1.1",
    )
    assert (await newsletter_events(core, complained.pseudonym))[-1].actor_reason == "complaint"
    assert (await subscription_of(core, soft.subject_id)).state is NewsletterState.ACTIVE
    assert await is_suppressed(core, "bounce@example.org") and not await is_suppressed(
        core, "full@example.org"
    )


async def test_withdrawing_the_newsletter_consent_elsewhere_is_unsubscribing(core: Core) -> None:
    who = await email_subscriber(core, "consent@example.org")
    await consent.withdraw(
        core,
        subject_id=who.subject_id,
        purpose=Purpose.NEWSLETTER,
        channel=Channel.TELEGRAM,
        evidence="/intrekken",
    )
    assert (await subscription_of(core, who.subject_id)).state is NewsletterState.UNSUBSCRIBED
    assert await is_suppressed(core, who.address)
    assert [e.action for e in await newsletter_events(core, who.pseudonym)] == [
        ConsentAction.GRANTED,
        ConsentAction.WITHDRAWN,
    ]


async def test_withdrawing_the_newsletter_consent_ends_a_sign_up_not_yet_confirmed(core: Core) -> None:
    await newsletter.subscribe_email(
        core, address="pending@example.org", language="nl", shown=shown(core), evidence="form"
    )
    ref = await subjects.lookup(core, contacts.email("pending@example.org"))
    assert ref is not None
    outcome = await consent.withdraw(
        core, subject_id=ref.id, purpose=Purpose.NEWSLETTER, channel=Channel.TELEGRAM, evidence="button"
    )
    assert outcome.changed
    assert (await subscription_of(core, ref.id)).state is NewsletterState.UNSUBSCRIBED
    [(row, _)] = await outbox_messages(core, newsletter.CONFIRM_KIND)
    assert row.state is OutboxState.CANCELLED  # the confirmation link is not sent after all
    assert await newsletter_events(core, ref.pseudonym) == []  # nothing was granted to withdraw


async def test_an_erased_subscriber_stays_suppressed_and_old_links_do_nothing(core: Core) -> None:
    who = await email_subscriber(core, "erase@example.org")
    await privacy.erase(
        core, subject_id=who.subject_id, actor=Actor.SUBJECT, channel=Channel.WEB, reason="art. 17"
    )
    assert await is_suppressed(core, who.address)
    await newsletter.unsubscribe_by_token(
        core, core.tokens.unsubscribe(who.subscription_id), channel=Channel.WEB, evidence="late click"
    )
    assert [e.action for e in await newsletter_events(core, who.pseudonym)] == [
        ConsentAction.GRANTED,
        ConsentAction.WITHDRAWN,
    ]


# Coming back --------------------------------------------------------------------------------------------


async def test_resubscribing_after_unsubscribing_needs_a_new_confirmed_opt_in(core: Core) -> None:
    who = await email_subscriber(core, "back@example.org", language="en")
    await newsletter.unsubscribe_by_token(
        core, core.tokens.unsubscribe(who.subscription_id), channel=Channel.WEB, evidence="click"
    )
    await newsletter.subscribe_email(
        core, address=who.address, language="en", shown=shown(core, "en"), evidence="form again"
    )
    assert (await subscription_of(core, who.subject_id)).state is NewsletterState.PENDING
    assert await is_suppressed(core, who.address)  # an unconfirmed sign-up lifts nothing
    async with core.uow() as uow:
        batch = await newsletter.eligible_batch(uow, core, after=None, limit=10)
    assert batch.recipients == []

    message = (await outbox_messages(core, newsletter.CONFIRM_KIND))[-1][1]
    assert message.language == "en" and "Confirm" in (message.subject or "")
    await newsletter.confirm_by_token(
        core, confirm_token(message), shown=shown(core, "en"), evidence="POST /n/"
    )
    assert not await is_suppressed(core, who.address)
    assert (await subscription_of(core, who.subject_id)).state is NewsletterState.ACTIVE
    assert [e.action for e in await newsletter_events(core, who.pseudonym)] == [
        ConsentAction.GRANTED,
        ConsentAction.WITHDRAWN,
        ConsentAction.GRANTED,
    ]
    async with core.uow() as uow:
        batch = await newsletter.eligible_batch(uow, core, after=None, limit=10)
    assert [r.subscription_id for r in batch.recipients] == [who.subscription_id]


# Expiry --------------------------------------------------------------------------------------------


async def test_unconfirmed_sign_ups_expire_with_their_link(core: Core, clock: ManualClock) -> None:
    await newsletter.subscribe_email(
        core, address="only@example.org", language="nl", shown=shown(core), evidence="f"
    )
    former = await email_subscriber(core, "former@example.org")
    await newsletter.unsubscribe(core, subject_id=former.subject_id, channel=Channel.WEB, evidence="e")
    await newsletter.subscribe_email(
        core, address=former.address, language="nl", shown=shown(core), evidence="f"
    )
    candidate = await scenario.candidate(core, "candidate@example.org")
    await scenario.telegram_coaches(core, 1)
    await scenario.submitted(core, candidate)
    await newsletter.subscribe(
        core, subject_id=candidate.id, channel=Channel.EMAIL, shown=shown(core), evidence="checkbox"
    )

    clock.advance(newsletter.SIGNUP_TTL - timedelta(hours=1))
    assert (await retention.run(core)).expired_signups == 0
    await newsletter.subscribe_email(
        core, address="fresh@example.org", language="nl", shown=shown(core), evidence="f"
    )
    clock.advance(timedelta(hours=2))
    report = await retention.run(core)
    assert report.expired_signups == 3 and report.erased_subjects == 1

    assert await subjects.lookup(core, contacts.email("only@example.org")) is None  # nothing kept of them
    assert (await subscription_of(core, former.subject_id)).state is NewsletterState.UNSUBSCRIBED
    assert await is_suppressed(core, former.address)
    async with core.uow() as uow:
        assert await uow.newsletter.for_subject(candidate.id) == []
        assert await uow.subjects.get(candidate.id) is not None  # their request keeps them
        states = {s.state for s in (await uow.session.scalars(select(NewsletterSubscription))).all()}
        assert await uow.session.scalar(select(Subject.id).where(Subject.id == candidate.id)) is not None
    assert states == {NewsletterState.UNSUBSCRIBED, NewsletterState.PENDING}  # "fresh" still waits
    confirmations = await outbox_messages(core, newsletter.CONFIRM_KIND)
    assert sum(r.state is OutboxState.PENDING for r, _ in confirmations) == 1  # only fresh's
