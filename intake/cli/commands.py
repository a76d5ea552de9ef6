"""Imports every command module so that it registers on ``app``."""

from intake.cli import (  # noqa: F401
    anonymise,
    coach,
    consent,
    mail,
    newsletter,
    outbox,
    requests,
    retention,
    service,
    subject,
    version,
)
