"""Anonymiser: removes identifying details from Dutch and English requests and detects
special-category data. ``Anonymiser.load()`` once, then ``analyse``/``analyse_many``."""

from anonymiser.engine import Anonymiser
from anonymiser.model import Analysis, Span

__all__ = ["Analysis", "Anonymiser", "Span"]
