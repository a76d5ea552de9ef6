"""Access, correction, erasure (also after restoring a backup) and retention."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from consent_store.enums import Actor, Channel, ContactKind, OfferState, Purpose, RequestState
from consent_store.models import (
    AuditEvent,
    ConsentEvent,
    ContactPoint,
    IntakeRequest,
    Offer,
    OutboxMessage,
    Subject,
    SubjectKey,
)
from intake import contacts
from intake.core import Core
from intake.services import consent, privacy, requests, retention
from intake.services.subjects import SubjectNotFound
from tests.support import databases, scenario


async def _count(core: Core, model: type) -> int:  # type: ignore[type-arg]
    async with core.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_access_report_shows_everything_and_is_audited(core: Core) -> None:
    await scenario.telegram_coaches(core, 1)
    who = await scenario.candidate(core, "report@example.org")
    await scenario.submitted(core, who, text="Ik zoek een loopbaancoach.")
    report = await privacy.access(core, subject_id=who.id, actor="operator:test", reason="art. 15 request")
    data = json.loads(report.to_json())
    assert data["contacts"] == [{"kind": "email", "value": "report@example.org", "unreachable": False}]
    assert data["requests"][0]["text_as_written"] == "Ik zoek een loopbaancoach."
    assert [c["purpose"] for c in data["consents"]] == ["contact_handover"]
    async with core.uow() as uow:
        audit = (await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "access"))).all()
    assert [(a.actor, a.subject_pseudonym, a.detail) for a in audit] == [
        ("operator:test", who.pseudonym, "art. 15 request")
    ]


async def test_correction_replaces_the_contact_detail(core: Core) -> None:
    who = await scenario.candidate(core, "typo@exmaple.org")
    await privacy.correct_contact(
        core,
        subject_id=who.id,
        kind=ContactKind.EMAIL,
        new_value="right@example.org",
        actor="op",
        reason="typo",
    )
    report = await privacy.access(core, subject_id=who.id, actor="op", reason="check")
    assert [c.value for c in report.contacts] == ["right@example.org"]


async def test_erasure_withdraws_destroys_the_key_and_keeps_only_the_pseudonymous_ledger(core: Core) -> None:
    coaches = await scenario.telegram_coaches(core, 2)
    who = await scenario.candidate(core, "erase.me@example.org", consents=(Purpose.CONTACT_HANDOVER,))
    submitted = await scenario.submitted(core, who)
    result = await privacy.erase(
        core, subject_id=who.id, actor=Actor.SUBJECT, channel=Channel.TELEGRAM, reason="asked"
    )
    assert result.withdrawn_requests == (submitted.reference,)

    for model in (Subject, SubjectKey, ContactPoint, IntakeRequest, Offer):
        assert await _count(core, model) == 0, model.__name__
    async with core.uow() as uow:
        events = await uow.ledger.events_for(who.pseudonym)
        assert [(e.purpose, e.action.value) for e in events] == [
            (Purpose.CONTACT_HANDOVER, "granted"),
            (Purpose.CONTACT_HANDOVER, "withdrawn"),
        ]
        assert (await uow.ledger.verify()).ok
        notices = (
            await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "offer_withdrawn"))
        ).all()
        assert sorted(n.recipient_id for n in notices) == sorted(c.id for c in coaches)
    with pytest.raises(SubjectNotFound):
        await privacy.find(core, "erase.me@example.org")


class Backup:
    """A whole-database backup and its restore: a file copy for SQLite, a copy of the
    database (``CREATE DATABASE ... TEMPLATE``) for PostgreSQL."""

    def __init__(self, core: Core, tmp_path: Path) -> None:
        self.url = core.settings.resolved_database_url
        self.postgres = core.engine.dialect.name == "postgresql"
        self.file = tmp_path / "backup.db"
        self.copy = f"intake_backup_{tmp_path.name[-20:]}".replace("-", "_")

    async def take(self) -> None:
        if self.postgres:
            await databases.copy_postgres_database(self.url, self.copy)
        else:
            shutil.copyfile(self._database(), self.file)

    async def restore(self) -> None:
        if self.postgres:
            original = make_url(self.url).database or ""
            backup_url = make_url(self.url).set(database=self.copy).render_as_string(hide_password=False)
            await databases.copy_postgres_database(backup_url, original)
            await databases.drop_postgres_database(self.url, backup_url)
            return
        database = self._database()
        shutil.copyfile(self.file, database)
        for stale in database.parent.glob(database.name + "-*"):  # WAL and shared memory
            stale.unlink()

    def _database(self) -> Path:
        return Path(self.url.split("///", 1)[1])


async def test_a_restored_backup_does_not_bring_erased_people_back(core: Core, tmp_path: Path) -> None:
    who = await scenario.candidate(core, "restored@example.org")
    backup = Backup(core, tmp_path)
    await core.engine.dispose()  # no open connection may hold the database while it is copied
    await backup.take()

    await privacy.erase(
        core, subject_id=who.id, actor=Actor.OPERATOR, channel=Channel.OPERATOR, reason="art. 17"
    )
    await core.engine.dispose()
    await backup.restore()
    assert (await privacy.find(core, "restored@example.org")).id == who.id  # back from the dead...

    assert await privacy.reapply_erasures(core) == [who.pseudonym]
    with pytest.raises(SubjectNotFound):
        await privacy.find(core, "restored@example.org")


async def test_withdrawing_special_category_consent_withdraws_the_open_request(core: Core) -> None:
    coaches = await scenario.telegram_coaches(core, 2)
    who = await scenario.candidate(core, consents=(Purpose.CONTACT_HANDOVER, Purpose.SPECIAL_CATEGORY))
    text = "Na mijn burn-out wil ik weer aan het werk, maar rustiger."
    submitted = await scenario.submitted(core, who, text=text)
    plain = await scenario.submitted(core, who, text="Daarnaast wil ik mijn cv laten nakijken.")
    outcome = await consent.withdraw(
        core,
        subject_id=who.id,
        purpose=Purpose.SPECIAL_CATEGORY,
        channel=Channel.TELEGRAM,
        evidence="update:9",
    )
    assert outcome.changed and outcome.withdrawn_requests == (submitted.reference,)
    async with core.uow() as uow:
        special = await uow.requests.get(submitted.request_id)
        other = await uow.requests.get(plain.request_id)
        assert special.state is RequestState.WITHDRAWN and special.original_ciphertext is None
        assert special.anonymised_text == ""
        assert other.state is RequestState.OPEN  # did not depend on that consent
        offers = await uow.offers.for_request(submitted.request_id)
        assert {o.state for o in offers} == {OfferState.WITHDRAWN}
        told = (
            await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "offer_withdrawn"))
        ).all()
        assert sorted(t.recipient_id for t in told) == sorted(c.id for c in coaches)
    again = await consent.withdraw(
        core,
        subject_id=who.id,
        purpose=Purpose.SPECIAL_CATEGORY,
        channel=Channel.TELEGRAM,
        evidence="update:10",
    )
    assert not again.changed  # idempotent: no second ledger event
    assert await _count(core, ConsentEvent) == 3


async def test_retention_erases_unconfirmed_drafts_closed_requests_and_inactive_people(core: Core) -> None:
    who = await scenario.candidate(core)
    draft = await requests.create_draft(
        core,
        subject_id=who.id,
        channel=Channel.EMAIL,
        topic="career",
        text="Graag een coach.",
        hold_for_confirmation=True,
    )
    core.clock.advance(core.settings.confirmation_ttl - timedelta(minutes=1))  # type: ignore[attr-defined]
    assert (await retention.run(core)).expired_drafts == 0
    core.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    assert (await retention.run(core)).expired_drafts == 1
    async with core.uow() as uow:
        assert await uow.requests.get(draft.request_id) is None

    await scenario.telegram_coaches(core, 1)
    submitted = await scenario.submitted(core, who)
    await requests.withdraw(core, subject_id=who.id, request_id=submitted.request_id)
    core.clock.advance(timedelta(days=core.settings.retention_closed_request_days + 1))  # type: ignore[attr-defined]
    report = await retention.run(core)
    assert report.erased_requests == 1
    core.clock.advance(timedelta(days=core.settings.retention_inactive_subject_days))  # type: ignore[attr-defined]
    report = await retention.run(core)
    assert report.erased_subjects == 1
    assert await _count(core, Subject) == 0


async def test_a_corrected_address_keeps_the_newsletter_subscription(core: Core) -> None:
    from consent_store.enums import NewsletterState
    from consent_store.models import NewsletterSubscription
    from intake.services import subjects as subject_service

    who = await scenario.candidate(core, "old.address@example.org", consents=(Purpose.CONTACT_HANDOVER,))
    await scenario.grant(core, who.id, Purpose.NEWSLETTER)
    async with core.uow() as uow:
        uow.newsletter.add(
            NewsletterSubscription(
                subject_id=who.id,
                channel=Channel.EMAIL,
                language="nl",
                state=NewsletterState.ACTIVE,
                address_index=subject_service.blind_index(core, contacts.email("old.address@example.org")),
                created_at=core.clock.now(),
            )
        )
        await uow.commit()
    await privacy.correct_contact(
        core,
        subject_id=who.id,
        kind=ContactKind.EMAIL,
        new_value="new.address@example.org",
        actor="op",
        reason="x",
    )
    async with core.uow() as uow:
        (subscription,) = await uow.newsletter.for_subject(who.id)
    assert subscription.address_index == subject_service.blind_index(
        core, contacts.email("new.address@example.org")
    )


async def test_concurrent_first_messages_from_one_address_make_one_person(core: Core) -> None:
    from intake.services import subjects as subject_service

    value = contacts.email("twice@example.org")
    refs = await asyncio.gather(*(subject_service.identify(core, value, locale="nl") for _ in range(12)))
    assert len({ref.id for ref in refs}) == 1
    assert await _count(core, Subject) == 1
