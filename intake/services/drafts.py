"""Drafts of a chat conversation in progress, sealed under the subject's data key.

A chat adapter keeps what the candidate gave so far (the text, a contact detail) between
messages, in its conversation storage. It keeps only the sealed form made here, so the
plain text is never stored, and erasing the subject (which destroys the data key) makes
every draft unreadable, wherever and in whichever backup it ended up.
"""

from __future__ import annotations

import base64
import uuid

from consent_store.crypto import DecryptionFailed
from intake.core import Core
from intake.services import subjects


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
