"""The promises of the service, checked against what is actually stored.

Callable after any sequence of use cases; raises AssertionError naming the broken promise.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from consent_store.crypto import DecryptionFailed
from consent_store.enums import ConsentAction, OfferState, Purpose, RecipientKind, RequestState
from consent_store.models import (
    ConsentEvent,
    ContactPoint,
    Handover,
    IntakeRequest,
    Offer,
    OutboxMessage,
    Subject,
)
from intake.core import Core
from intake.messages import RenderedMessage
from intake.services import subjects
from intake.services.outbox import payload_aad


def _in_force(events: list[ConsentEvent], purpose: Purpose, at: object) -> bool:
    relevant = [e for e in events if e.purpose is purpose and e.occurred_at <= at]  # type: ignore[operator]
    return bool(relevant) and relevant[-1].action is ConsentAction.GRANTED


async def check(core: Core) -> None:
    async with core.uow() as uow:
        session = uow.session
        requests = {r.id: r for r in (await session.scalars(select(IntakeRequest))).all()}
        offers = defaultdict(list)
        for offer in (await session.scalars(select(Offer))).all():
            offers[offer.request_id].append(offer)
        handovers = defaultdict(list)
        for handover in (await session.scalars(select(Handover))).all():
            handovers[handover.request_id].append(handover)
        pseudonyms = {s.id: s.pseudonym for s in (await session.scalars(select(Subject))).all()}
        ledger: dict[str, list[ConsentEvent]] = defaultdict(list)
        for event in (await session.scalars(select(ConsentEvent).order_by(ConsentEvent.seq))).all():
            ledger[event.subject_pseudonym].append(event)

        for request in requests.values():
            accepted = [o for o in offers[request.id] if o.state is OfferState.ACCEPTED]
            given = handovers[request.id]
            events = ledger[pseudonyms[request.subject_id]]
            assert len(given) <= 1, "more than one handover for a request"
            if request.state is RequestState.HANDED_OVER:
                assert len(given) == 1, "handed over without a handover record"
            else:
                assert not given, f"handover recorded for a request in state {request.state}"
            if request.state in (RequestState.ACCEPTED, RequestState.HANDED_OVER):
                assert len(accepted) == 1, "an accepted request needs exactly one accepted offer"
                assert accepted[0].coach_id == request.matched_coach_id
            else:
                assert not accepted, f"accepted offer on a request in state {request.state}"
                assert request.matched_coach_id is None or request.state is RequestState.WITHDRAWN
            for handover in given:
                assert handover.coach_id == request.matched_coach_id == accepted[0].coach_id
                if core.settings.match_confirmation == "candidate":
                    assert request.confirmed_at is not None and request.confirmed_at <= handover.created_at
                assert _in_force(events, Purpose.CONTACT_HANDOVER, handover.created_at), (
                    "handover without consent"
                )
            if request.submitted_at is not None:
                assert _in_force(events, Purpose.CONTACT_HANDOVER, request.submitted_at), (
                    "submitted without consent"
                )
                if request.special_category:
                    assert _in_force(events, Purpose.SPECIAL_CATEGORY, request.submitted_at), (
                        "special-category request submitted without explicit consent"
                    )
            if request.state in (RequestState.WITHDRAWN, RequestState.EXPIRED):
                live = [o for o in offers[request.id] if o.state in (OfferState.OPEN, OfferState.ACCEPTED)]
                assert not live, "a closed request still has live offers"

        # No message to a coach carries a candidate's contact details, except that coach's handover.
        secrets_by_subject: dict[object, set[str]] = defaultdict(set)
        for point in (await session.scalars(select(ContactPoint))).all():
            value = (await subjects.reveal(uow, point)).value
            secrets_by_subject[point.subject_id].add(value)
        winners = {(h.coach_id, requests[h.request_id].subject_id) for hs in handovers.values() for h in hs}
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient_kind == RecipientKind.COACH)
            )
        ).all()
        for row in rows:
            try:
                cipher = (
                    await uow.subject_cipher(row.concerns_subject_id)
                    if row.concerns_subject_id
                    else uow.keyring.service
                )
            except DecryptionFailed:
                continue  # the subject was erased: nobody can read this message any more
            message = RenderedMessage.from_json(cipher.decrypt(row.payload, payload_aad(row)))
            body = " ".join(filter(None, [message.subject, message.text, message.html]))
            for subject_id, values in secrets_by_subject.items():
                if any(value in body for value in values):
                    assert message.kind == "handover" and (row.recipient_id, subject_id) in winners, (
                        f"{message.kind} to a coach contains contact details"
                    )

        assert (await uow.ledger.verify()).ok, "the consent ledger does not verify"
