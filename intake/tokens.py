"""Signed, expiring tokens for links in e-mails, bound to one purpose and one object.

A token proves the link came from us and names exactly one thing (a request, an offer, a
subject); what may be done with it is still decided by the service layer on POST.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from intake.clock import Clock, SystemClock
from intake.errors import IntakeError


class TokenInvalid(IntakeError):
    """This link is not valid. It may have been copied incompletely."""

    code = "token_invalid"


class TokenExpired(IntakeError):
    """This link has expired."""

    code = "token_expired"


@dataclass(frozen=True, slots=True)
class TokenPurpose:
    name: str
    max_age: timedelta


CONFIRM_REQUEST = TokenPurpose("confirm-request", timedelta(days=7))
OFFER = TokenPurpose("offer", timedelta(days=30))
MATCH = TokenPurpose("match", timedelta(days=14))
NEWSLETTER_CONFIRM = TokenPurpose("newsletter-confirm", timedelta(days=7))


# Unsubscribe tokens: base32 of a 16-byte id and a 16-byte MAC, 52 characters, so that
# ``unsubscribe+TOKEN@`` is exactly the 64 octets an e-mail local part may have.
UNSUBSCRIBE_TOKEN_LENGTH = 52
_MAC_BYTES = 16


def _canonical_signature(token: str) -> bool:
    """The signature's last base64 character carries unused bits, so several spellings of a
    token decode to the same signature; only the one we issued counts (an altered link must
    never work, whichever character was altered)."""
    signature = token.rsplit(".", 1)[-1]
    try:
        return base64_encode(base64_decode(signature)).decode("ascii") == signature
    except (BadSignature, ValueError, UnicodeError):
        return False


class Tokens:
    def __init__(self, secret_key: bytes, clock: Clock | None = None) -> None:
        self._secret = secret_key
        self._unsubscribe_key = hmac.new(secret_key, b"intake/unsubscribe-token/v1", hashlib.sha256).digest()
        clock = clock or SystemClock()

        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock.now().timestamp())

        self._signer = _Signer

    def _serializer(self, purpose: TokenPurpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret, salt=f"intake/{purpose.name}", signer=self._signer)

    def sign(self, purpose: TokenPurpose, ref: str) -> str:
        return self._serializer(purpose).dumps(ref)

    def verify(self, purpose: TokenPurpose, token: str) -> str:
        if not _canonical_signature(token):
            raise TokenInvalid()
        try:
            ref = self._serializer(purpose).loads(token, max_age=purpose.max_age.total_seconds())
        except SignatureExpired:
            raise TokenExpired() from None
        except BadSignature:
            raise TokenInvalid() from None
        if not isinstance(ref, str):
            raise TokenInvalid()
        return ref

    # Compact, non-expiring tokens for unsubscribing (links and mail addresses) ----------

    def unsubscribe(self, subscription_id: uuid.UUID) -> str:
        """A token naming one subscription, valid as long as the secret key is: a newsletter
        read months later must still unsubscribe with one click (RFC 8058)."""
        raw = subscription_id.bytes + self._unsubscribe_mac(subscription_id.bytes)
        return base64.b32encode(raw).decode("ascii").rstrip("=").lower()

    def unsubscribe_ref(self, token: str) -> uuid.UUID:
        """The subscription id in ``token`` (any letter case); ``TokenInvalid`` if it was
        altered or is not one of ours. Needs no database, so the answer says nothing about
        whether that subscription exists."""
        text = token.strip().upper()
        if len(text) != UNSUBSCRIBE_TOKEN_LENGTH:
            raise TokenInvalid()
        try:
            raw = base64.b32decode(text + "====")
        except (binascii.Error, ValueError):
            raise TokenInvalid() from None
        ident, mac = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, self._unsubscribe_mac(ident)):
            raise TokenInvalid()
        if base64.b32encode(raw).decode("ascii").rstrip("=") != text:  # the last letter's unused bits
            raise TokenInvalid()
        return uuid.UUID(bytes=ident)

    def _unsubscribe_mac(self, ident: bytes) -> bytes:
        return hmac.new(self._unsubscribe_key, ident, hashlib.sha256).digest()[:_MAC_BYTES]
