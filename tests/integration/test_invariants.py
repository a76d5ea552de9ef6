"""What must never happen to personal data, checked on the stored bytes themselves."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from consent_store.enums import Purpose, RecipientKind
from consent_store.models import Base, OutboxMessage
from intake import contacts
from intake.core import Core
from intake.messages import RenderedMessage
from intake.services import matching, requests, subjects
from intake.services.outbox import payload_aad
from tests.support import scenario

EMAIL = "fatima.el-amrani@example.org"
PHONE = "06-41 23 87 95"


async def _decrypted_outbox(core: Core) -> list[tuple[OutboxMessage, RenderedMessage]]:
    rows = []
    async with core.uow() as uow:
        for row in (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all():
            cipher = (
                await uow.subject_cipher(row.concerns_subject_id)
                if row.concerns_subject_id
                else uow.keyring.service
            )
            rows.append((row, RenderedMessage.from_json(cipher.decrypt(row.payload, payload_aad(row)))))
    return rows


async def _full_flow(core: Core) -> tuple[scenario.Candidate, list, object]:  # type: ignore[type-arg]
    coaches = await scenario.telegram_coaches(core, 3)
    who = await scenario.candidate(core, EMAIL)
    await subjects.add_contact_detail(core, who.id, contacts.phone(PHONE))
    submitted = await scenario.submitted(
        core, who, text="Ik wil graag doorgroeien naar een leidinggevende rol."
    )
    async with core.uow() as uow:
        offers = await uow.offers.for_request(submitted.request_id)
    winner = offers[1]
    await matching.accept(core, offer_id=winner.id, coach_id=winner.coach_id)
    await requests.confirm_match(core, request_id=submitted.request_id, subject_id=who.id)
    return who, coaches, winner


def _mentions_contact(message: RenderedMessage) -> bool:
    body = " ".join(filter(None, [message.subject, message.text, message.html]))
    phone_forms = ["0641238795", "+31641238795", "+31 6 41238795", "41 23 87 95", "641238795"]
    return EMAIL in body or any(form in body.replace("-", "") for form in phone_forms)


async def test_no_coach_message_carries_contact_details_except_the_winners_handover(core: Core) -> None:
    _, _, winner = await _full_flow(core)
    handovers = []
    for row, message in await _decrypted_outbox(core):
        if row.recipient_kind is not RecipientKind.COACH:
            continue
        if _mentions_contact(message):
            handovers.append((row.recipient_id, message.kind))
    assert handovers == [(winner.coach_id, "handover")]
    assert (
        len(
            {
                row.recipient_id
                for row, _ in await _decrypted_outbox(core)
                if row.recipient_kind is RecipientKind.COACH
            }
        )
        == 3
    )  # all three coaches were written to


async def _stored_bytes(core: Core) -> bytes:
    """Everything the database holds, as bytes: the SQLite files themselves (with WAL), or on
    PostgreSQL every row of every table as text, binary columns included (hex)."""
    if core.engine.dialect.name == "sqlite":
        await core.engine.dispose()  # flush everything to the files
        database = Path(core.settings.resolved_database_url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    rows: list[str] = []
    async with core.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            result = await connection.execute(text(f'SELECT CAST(t AS text) FROM "{table.name}" t'))
            rows.extend(result.scalars().all())
    return "\n".join(rows).encode()


async def test_the_database_holds_no_plaintext_contact_details(core: Core) -> None:
    who, _, _ = await _full_flow(core)
    await scenario.grant(
        core, (await scenario.candidate(core, "second.person@example.org")).id, Purpose.NEWSLETTER
    )
    raw = await _stored_bytes(core)
    assert who.pseudonym.encode() in raw, "positive control: the scan must see stored text"
    for needle in (
        EMAIL,
        "second.person@example.org",
        "example.org",
        "0641238795",
        "+31641238795",
        "41238795",
    ):
        for encoding in ("utf-8", "utf-16-le"):
            assert needle.encode(encoding) not in raw, needle
            assert needle.encode(encoding).hex().encode() not in raw, needle  # inside a bytea


async def test_offers_carry_only_the_anonymised_text(core: Core) -> None:
    await scenario.telegram_coaches(core, 2)
    who = await scenario.candidate(core, EMAIL)
    await scenario.submitted(core, who, text=f"Mail me op {EMAIL} of bel {PHONE} voor een afspraak.")
    offers = [m for r, m in await _decrypted_outbox(core) if m.kind == "offer"]
    assert len(offers) == 2
    for message in offers:
        assert not _mentions_contact(message)
