"""Validation and normalisation of contact details (the form used for blind indexes)."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from consent_store.enums import ContactKind
from intake.errors import InvalidInput

DEFAULT_PHONE_REGION = "NL"


@dataclass(frozen=True, slots=True)
class ContactValue:
    kind: ContactKind
    value: str  # normalised: lower-case e-mail, E.164 phone, decimal Telegram id

    def __repr__(self) -> str:  # never print the value itself
        return f"ContactValue(kind={self.kind.value!r}, value=<redacted>)"


class InvalidEmail(InvalidInput):
    """That is not a valid e-mail address."""

    code = "invalid_email"


class InvalidPhone(InvalidInput):
    """That is not a valid phone number."""

    code = "invalid_phone"


def email(raw: str) -> ContactValue:
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidEmail() from None
    return ContactValue(ContactKind.EMAIL, checked.normalized.lower())


def phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> ContactValue:
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone() from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone()
    return ContactValue(
        ContactKind.PHONE, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )


def telegram(user_id: int | str) -> ContactValue:
    try:
        value = int(user_id)
    except (TypeError, ValueError):
        raise InvalidInput("not a Telegram user id") from None
    if value <= 0:
        raise InvalidInput("not a Telegram user id")
    return ContactValue(ContactKind.TELEGRAM, str(value))


def parse(kind: ContactKind, raw: str) -> ContactValue:
    match kind:
        case ContactKind.EMAIL:
            return email(raw)
        case ContactKind.PHONE:
            return phone(raw)
        case ContactKind.TELEGRAM:
            return telegram(raw)


def guess(raw: str) -> ContactValue:
    """An operator's lookup key: e-mail if it has an @, Telegram id if all digits, else phone."""
    text = raw.strip()
    if "@" in text:
        return email(text)
    if text.isdigit() and not text.startswith("0"):
        return telegram(text)
    return phone(text)


def display(value: ContactValue) -> str:
    if value.kind is ContactKind.PHONE:
        number = phonenumbers.parse(value.value)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return value.value
