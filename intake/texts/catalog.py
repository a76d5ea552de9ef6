"""Versions of the privacy notice and of each consent wording.

Bump a version whenever its text changes (see README.md next to this file): the ledger
stores the version and the SHA-256 of the exact text shown, and together they prove what
a person agreed to.
"""

from __future__ import annotations

from types import MappingProxyType

from consent_store.enums import Purpose

NOTICE_VERSION = "2026.11.3"
NOTICE_UPDATED = "2026-11-21"

WORDING_VERSIONS = MappingProxyType(
    {
        Purpose.SPECIAL_CATEGORY: "2026.11.1",
        Purpose.CONTACT_HANDOVER: "2026.11.1",
        Purpose.NEWSLETTER: "2026.11.1",
    }
)

# Other wordings of the same purpose, for another channel: (purpose, variant) -> version.
# The newsletter by e-mail needs a confirmation mail; the newsletter in Telegram does not.
WORDING_VARIANTS = MappingProxyType({(Purpose.NEWSLETTER, "telegram"): "2026.11.1"})
