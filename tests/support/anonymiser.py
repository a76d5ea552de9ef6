"""The anonymiser used by tests: the real one, loaded once per process."""

from __future__ import annotations

from functools import cache

from anonymiser import Anonymiser


@cache
def load() -> Anonymiser:
    return Anonymiser.load()
