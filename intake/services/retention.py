"""Retention: what is erased when, without anyone having to remember.

* drafts nobody confirmed: erased after ``confirmation_ttl``;
* matches the candidate never answered: the request expires ``match_answer_ttl`` after the
  coach accepted (coach and candidate are told); requests no coach accepted: after
  ``open_request_ttl``. Both are then closed requests, erased as below;
* closed requests (handed over, withdrawn, expired): erased ``retention_closed_request_days``
  after closing;
* subjects with no live request and no activity for ``retention_inactive_subject_days``:
  erased entirely (the pseudonymous ledger stays);
* outbox messages that were delivered, failed or cancelled: after ``retention_outbox_days``;
* newsletter sign-ups nobody confirmed: when their confirmation link expires (7 days); a
  person who came only to sign up is erased with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from consent_store.enums import Actor, Channel, NewsletterState, RequestState
from intake.core import Core
from intake.services import newsletter, privacy, requests


@dataclass(slots=True)
class RetentionReport:
    expired_drafts: int = 0
    lapsed_matches: int = 0
    expired_requests: int = 0
    erased_requests: int = 0
    erased_subjects: int = 0
    reapplied_erasures: int = 0
    purged_messages: int = 0
    expired_signups: int = 0


async def run(core: Core, *, batch: int = 200) -> RetentionReport:
    report = RetentionReport()
    settings = core.settings
    now = core.clock.now()

    while True:  # unconfirmed drafts: expire, then delete
        async with core.uow() as uow:
            drafts = await uow.requests.expired_drafts(now, limit=batch)
            for draft in drafts:
                await requests.close(
                    uow, core, draft, RequestState.EXPIRED, reason="expired", tell_candidate=False
                )
            await uow.requests.delete_many(draft.id for draft in drafts)
            await uow.commit()
        report.expired_drafts += len(drafts)
        if len(drafts) < batch:
            break

    report.lapsed_matches = await _expire_waiting(
        core, RequestState.ACCEPTED, now - settings.match_answer_ttl, "no_answer", batch
    )
    report.expired_requests = await _expire_waiting(
        core, RequestState.OPEN, now - settings.open_request_ttl, "unmatched", batch
    )

    while True:  # unconfirmed newsletter sign-ups
        async with core.uow() as uow:
            expired = await newsletter.expire_pending_in(uow, core, now, limit=batch)
            leftover_ids = [subject.id for subject in expired.leftover]
            erasures = [
                await privacy.erase_in(
                    uow,
                    core,
                    subject,
                    actor=Actor.SYSTEM,
                    channel=Channel.SYSTEM,
                    reason="retention: newsletter sign-up not confirmed",
                )
                for subject in expired.leftover
            ]
            await uow.commit()
        for subject_id, erasure in zip(leftover_ids, erasures, strict=True):
            privacy.journal_append(core, erasure.pseudonym, subject_id)
        report.expired_signups += expired.count
        report.erased_subjects += len(erasures)
        if expired.count < batch:
            break

    cutoff = now - timedelta(days=settings.retention_closed_request_days)
    while True:
        async with core.uow() as uow:
            closed = await uow.requests.closed_before(cutoff, limit=batch)
            await uow.requests.delete_many(request.id for request in closed)
            await uow.commit()
        report.erased_requests += len(closed)
        if len(closed) < batch:
            break

    inactive_cutoff = now - timedelta(days=settings.retention_inactive_subject_days)
    async with core.uow() as uow:
        stale = [s.id for s in await uow.subjects.inactive_since(inactive_cutoff)]
    for subject_id in stale:
        async with core.uow() as uow:
            subject = await uow.subjects.get(subject_id)
            if subject is None:
                continue
            subscriptions = await uow.newsletter.for_subject(subject.id)
            if any(s.state is NewsletterState.ACTIVE for s in subscriptions):
                continue  # kept while subscribed, as the privacy notice says
            erasure = await privacy.erase_in(
                uow, core, subject, actor=Actor.SYSTEM, channel=Channel.SYSTEM, reason="retention: inactive"
            )
            await uow.commit()
        privacy.journal_append(core, erasure.pseudonym, subject_id)
        report.erased_subjects += 1

    async with core.uow() as uow:
        report.purged_messages = await uow.outbox.purge_finished(
            now - timedelta(days=settings.retention_outbox_days)
        )
        await uow.commit()

    report.reapplied_erasures = len(await privacy.reapply_erasures(core))
    return report


async def _expire_waiting(core: Core, state: RequestState, cutoff: datetime, reason: str, batch: int) -> int:
    """Close requests that have waited in ``state`` since before ``cutoff``: their offers are
    withdrawn (the coaches are told) and the candidate hears why and that they may ask again."""
    expired = 0
    while True:
        async with core.uow() as uow:
            waiting = await uow.requests.in_state_since(state, cutoff, limit=batch)
            for request in waiting:
                if await requests.close(
                    uow, core, request, RequestState.EXPIRED, reason=reason, tell_candidate=True
                ):
                    expired += 1
            await uow.commit()
        if len(waiting) < batch:
            return expired
