"""The one exception hierarchy of the project.

Every error a person can cause (bad input, a refused action, a stale button) is an
``IntakeError``; adapters turn it into an SMTP code, a bot reply, an HTTP page or a CLI
message. Messages never contain personal data: they are shown to people and logged.
"""

from __future__ import annotations


class IntakeError(Exception):
    """Base of every expected error. ``code`` is stable and machine-readable."""

    code: str = "error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or self.code)

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigurationError(IntakeError):
    """The service is not configured correctly."""

    code = "configuration"


class NotFound(IntakeError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    code = "not_found"


class InvalidInput(IntakeError):
    """The input is not valid."""

    code = "invalid_input"


class TextTooLong(InvalidInput):
    """The text is longer than allowed."""

    code = "text_too_long"

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"text has {length} characters; the limit is {limit}")
        self.length = length
        self.limit = limit


class ConsentRequired(IntakeError):
    """A consent this action needs has not been given."""

    code = "consent_required"

    def __init__(self, purpose: str) -> None:
        super().__init__(f"consent for {purpose!r} is required")
        self.purpose = purpose


class StaleWording(IntakeError):
    """The consent wording shown is not the current one; show it again."""

    code = "stale_wording"


class InvalidState(IntakeError):
    """The action does not fit the current state (already done, withdrawn, taken...)."""

    code = "invalid_state"


class NotAllowed(IntakeError):
    """The actor may not perform this action on this object."""

    code = "not_allowed"


class OfferTaken(InvalidState):
    """Another coach has already accepted this request."""

    code = "offer_taken"
