"""Human-friendly random identifiers: pseudonyms, request references, coach codes.

Crockford's base-32 alphabet: no I, L, O, U, so they survive being read aloud or retyped.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _random(prefix: str, length: int = 6) -> str:
    return prefix + "-" + "".join(secrets.choice(ALPHABET) for _ in range(length))


def pseudonym() -> str:
    return _random("K")


def request_reference() -> str:
    return _random("R")


def coach_code() -> str:
    return _random("C")
