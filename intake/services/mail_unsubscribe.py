"""Mail to ``unsubscribe+TOKEN@`` (the ``mailto:`` of ``List-Unsubscribe``) and to
``unsubscribe@`` from the subscribed address: both take the address off the newsletter.

Nobody is answered: an answer would tell the sender whether the address was known, and
mail that answers mail is how loops start (RFC 3834). Like every inbound use case, the work
and marking the queued message done are one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from consent_store.enums import Actor, Channel
from consent_store.unit_of_work import UnitOfWork
from intake.core import Core
from intake.services import mail_queue, newsletter
from intake.services.mail_intake import auto_submitted, domain_of, sender_address
from intake.services.mail_queue import Claim
from intake.tokens import TokenInvalid


@dataclass(frozen=True, slots=True)
class UnsubscribeMail:
    """A mail to unsubscribe@ or unsubscribe+TOKEN@, as the adapter read it: facts only."""

    tokens: tuple[str, ...]  # the TOKEN of each unsubscribe+TOKEN@ recipient
    envelope_sender: str = field(repr=False)  # "" for the null sender
    from_address: str | None = field(repr=False)
    message_id: str | None = None
    # Lower-case names; only those that tell automatic mail from a person's (auto-submitted).
    headers: Mapping[str, str] = field(default_factory=dict)


async def apply_unsubscribe_mail(core: Core, claimed: Claim, mail: UnsubscribeMail) -> str:
    """Unsubscribe by the token in the address (the token is the proof, whoever sends it); or,
    without a valid token, the sender's address, if a person sent it. Returns the outcome
    recorded with the queued message; it never says whether the address was subscribed."""
    evidence = f"mail {mail.message_id}" if mail.message_id else f"mail inbound:{claimed.id.hex}"
    async with core.uow() as uow:
        if not await mail_queue.finish_in(uow, core, claimed, "pending"):
            return "claim_lost"
        outcome = await _unsubscribe(uow, core, mail, evidence[:255])
        await mail_queue.record_outcome_in(uow, claimed, outcome)
        await uow.commit()
    return outcome


async def _unsubscribe(uow: UnitOfWork, core: Core, mail: UnsubscribeMail, evidence: str) -> str:
    subscriptions: list[uuid.UUID] = []
    for token in mail.tokens:
        try:
            subscriptions.append(core.tokens.unsubscribe_ref(token))
        except TokenInvalid:
            continue
    for subscription_id in dict.fromkeys(subscriptions):
        await newsletter.unsubscribe_subscription_in(
            uow, core, subscription_id, channel=Channel.EMAIL, evidence=evidence
        )
    if subscriptions:
        return "unsubscribe:token"
    reason = _not_a_person(mail, core.settings.mail_domain)
    if reason is not None:
        return f"ignored:{reason}"
    value = sender_address(mail.from_address, mail.envelope_sender)
    if value is None:
        return "ignored:no_sender"
    await newsletter.unsubscribe_address_in(
        uow,
        core,
        value,
        channel=Channel.EMAIL,
        evidence=evidence,
        actor=Actor.SUBJECT,
        reason="mail to unsubscribe@",
    )
    return "unsubscribe:address"


def _not_a_person(mail: UnsubscribeMail, our_domain: str) -> str | None:
    """Why the sender's address must not be taken as a request to leave: a delivery report
    (null sender), an automatic mail (RFC 3834), or our own mail come back."""
    if mail.envelope_sender.strip() in ("", "<>"):
        return "null_sender"
    if auto_submitted(mail.headers):
        return "auto_submitted"
    if domain_of(mail.from_address or mail.envelope_sender) == our_domain.lower():
        return "own_mail"
    return None
