"""Web paths that e-mail actions link to. ``web/`` serves exactly these routes."""

from __future__ import annotations

import uuid

from intake.tokens import CONFIRM_REQUEST, MATCH, NEWSLETTER_CONFIRM, OFFER, TokenPurpose, Tokens

OFFER_PATH = "/o/{token}"
MATCH_PATH = "/m/{token}"
CONFIRM_PATH = "/c/{token}"
PRIVACY_PATH = "/privacy"
NEWSLETTER_CONFIRM_PATH = "/n/{token}"
UNSUBSCRIBE_PATH = "/u/{token}"
UNSUBSCRIBE_LOCAL_PART = "unsubscribe+{token}"


class Links:
    def __init__(self, public_url: str, tokens: Tokens) -> None:
        self._base = public_url.rstrip("/")
        self._tokens = tokens

    def _url(self, path: str, purpose: TokenPurpose, ref: str) -> str:
        return self._base + path.format(token=self._tokens.sign(purpose, ref))

    def offer(self, offer_id: str) -> str:
        return self._url(OFFER_PATH, OFFER, offer_id)

    def match(self, request_id: str) -> str:
        return self._url(MATCH_PATH, MATCH, request_id)

    def confirm(self, request_id: str) -> str:
        return self._url(CONFIRM_PATH, CONFIRM_REQUEST, request_id)

    def newsletter_confirm(self, subscription_id: str) -> str:
        """The double opt-in link (expires with ``NEWSLETTER_CONFIRM``)."""
        return self._url(NEWSLETTER_CONFIRM_PATH, NEWSLETTER_CONFIRM, subscription_id)

    def unsubscribe(self, subscription_id: uuid.UUID) -> str:
        """The one-click unsubscribe page (RFC 8058: POST unsubscribes; it never expires)."""
        return self._base + UNSUBSCRIBE_PATH.format(token=self._tokens.unsubscribe(subscription_id))

    def unsubscribe_mailto(self, subscription_id: uuid.UUID, mail_domain: str) -> str:
        """``mailto:unsubscribe+TOKEN@domain`` for ``List-Unsubscribe`` (RFC 2369)."""
        local = UNSUBSCRIBE_LOCAL_PART.format(token=self._tokens.unsubscribe(subscription_id))
        return f"mailto:{local}@{mail_domain}"
