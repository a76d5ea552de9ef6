"""Drafts of a chat conversation in progress, sealed under the subject's data key.

A chat adapter keeps what the candidate gave so far (the text, a contact detail) between
messages, in its conversation storage. It keeps only the sealed form made here, so the
plain text is never stored, and erasing the subject (which destroys the data key) makes
every draft unreadable, wherever and in whichever backup it ended up.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import asdict, dataclass

from consent_store.crypto import DecryptionFailed
from consent_store.enums import ContactKind
from intake import contacts
from intake.contacts import ContactValue
from intake.core import Core
from intake.services import subjects
from intake.services.requests import Preview

QUESTION = "text"
CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class Question:
    """The candidate's text and the preview they were shown of it (None for a draft sealed
    before previews were kept: it is analysed again when sent)."""

    text: str
    preview: Preview | None


def _aad(subject_id: uuid.UUID, field: str) -> bytes:
    return f"draft:{subject_id}:{field}".encode()


async def seal(core: Core, subject_id: uuid.UUID, field: str, value: str) -> str:
    """``value`` encrypted for ``field`` of this subject's draft, as text safe for any store."""
    async with core.reader() as uow:
        await subjects.get(uow, subject_id)
        cipher = await uow.subject_cipher(subject_id)
        blob = cipher.encrypt_text(value, _aad(subject_id, field))
    return base64.urlsafe_b64encode(blob).decode("ascii")


async def unseal(core: Core, subject_id: uuid.UUID, field: str, sealed: str) -> str | None:
    """The value, or None when it can no longer be read (subject erased, or tampered with)."""
    try:
        blob = base64.urlsafe_b64decode(sealed.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    async with core.reader() as uow:
        try:
            cipher = await uow.subject_cipher(subject_id)
            return cipher.decrypt_text(blob, _aad(subject_id, field))
        except DecryptionFailed:
            return None


async def seal_question(core: Core, subject_id: uuid.UUID, text: str, preview: Preview) -> str:
    """The text with its preview, sealed together: what is sent later is what was shown."""
    value = {"text": text, "preview": asdict(preview)}
    return await seal(core, subject_id, QUESTION, json.dumps(value, ensure_ascii=False))


async def unseal_question(core: Core, subject_id: uuid.UUID, sealed: str) -> Question | None:
    value = await unseal(core, subject_id, QUESTION, sealed)
    if value is None:
        return None
    try:
        stored = json.loads(value)
        shown = stored["preview"]
        preview = Preview(**{**shown, "categories": tuple(shown["categories"])})
        return Question(stored["text"], preview)
    except (ValueError, KeyError, TypeError):
        return Question(value, None)  # sealed as plain text


async def seal_contact(core: Core, subject_id: uuid.UUID, value: ContactValue) -> str:
    """A validated contact detail, sealed for the draft until the request is sent."""
    return await seal(core, subject_id, CONTACT, f"{value.kind.value}:{value.value}")


async def unseal_contact(core: Core, subject_id: uuid.UUID, sealed: str) -> ContactValue | None:
    value = await unseal(core, subject_id, CONTACT, sealed)
    if value is None:
        return None
    kind, _, raw = value.partition(":")
    return contacts.parse(ContactKind(kind), raw)
