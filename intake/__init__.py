"""intake: consent-first intake service for coaching and career practices."""

__version__ = "0.1.0"
