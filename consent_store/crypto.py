"""Envelope encryption of personal data and keyed blind indexes.

* The master key (``INTAKE_MASTER_KEY``) never encrypts data itself. HKDF derives from it a
  key-encryption key, a blind-index key and a service key.
* Every subject has a random 256-bit data key, stored only wrapped (AES-GCM under the KEK).
  Destroying the wrapped key makes everything encrypted under it unreadable (crypto-shredding),
  including copies of those rows in backups.
* Blind indexes are HMAC-SHA256 of a normalised value, so exact lookups ("which subject has
  this e-mail address?") work without decrypting everything and without storing the value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from intake.errors import IntakeError

_FORMAT = b"\x01"  # blob format version: 1 byte version | 12 byte nonce | ciphertext+tag
_NONCE_BYTES = 12


class DecryptionFailed(IntakeError):
    """Encrypted data could not be decrypted (wrong key, destroyed key, or tampering)."""

    code = "decryption_failed"


def _derive(master_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"intake/" + purpose).derive(master_key)


@dataclass(frozen=True, slots=True)
class Cipher:
    """AES-256-GCM with a random nonce per message; ``aad`` binds a blob to its place."""

    key: bytes = field(repr=False)

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT + nonce + AESGCM(self.key).encrypt(nonce, plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _FORMAT:
            raise DecryptionFailed()
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return AESGCM(self.key).decrypt(nonce, body, aad)
        except InvalidTag:
            raise DecryptionFailed() from None

    def encrypt_text(self, text: str, aad: bytes) -> bytes:
        return self.encrypt(text.encode("utf-8", "surrogatepass"), aad)

    def decrypt_text(self, blob: bytes, aad: bytes) -> str:
        return self.decrypt(blob, aad).decode("utf-8", "surrogatepass")


class KeyRing:
    """All keys derived from the master key, and the wrapping of per-subject data keys."""

    def __init__(self, master_key: bytes, secret_key: bytes) -> None:
        self._kek = Cipher(_derive(master_key, b"kek/v1"))
        self._index_key = _derive(master_key, b"blind-index/v1")
        self._suppression_key = _derive(master_key, b"suppression/v1")
        self.service = Cipher(_derive(master_key, b"service/v1"))
        self.ledger_mac_key = _derive(secret_key, b"ledger-head/v1")

    def new_data_key(self, owner: str) -> tuple[Cipher, bytes]:
        """A fresh data key for ``owner`` and its wrapped form (the only form stored)."""
        key = AESGCM.generate_key(bit_length=256)
        return Cipher(key), self._kek.encrypt(key, b"dek:" + owner.encode())

    def unwrap(self, wrapped: bytes, owner: str) -> Cipher:
        return Cipher(self._kek.decrypt(wrapped, b"dek:" + owner.encode()))

    def blind_index(self, kind: str, normalised: str) -> str:
        return hmac.new(self._index_key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()

    def suppression_hash(self, normalised_address: str) -> str:
        """Keyed hash for the newsletter suppression list; it outlives erasure on purpose."""
        return hmac.new(self._suppression_key, normalised_address.encode(), hashlib.sha256).hexdigest()
