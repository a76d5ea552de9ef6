"""An idle SMTP client is disconnected after ``INTAKE_SMTP_TIMEOUT_SECONDS``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from intake.settings import Settings
from tests.support.mail import (
    MailService,
    mail_fixture,
    mail_settings,
)

USES_FIXTURES = (mail_fixture,)  # pytest finds them by their names (mail, settings)


@pytest.fixture(name="settings")
def short_timeout(tmp_path: Path, db_url: str) -> Settings:
    return mail_settings(tmp_path, db_url, smtp_timeout_seconds=1.0)


async def test_idle_connection_is_closed_after_the_timeout(mail: MailService) -> None:
    client = await mail.client()
    try:
        async with asyncio.timeout(5):
            assert await client.reader.read() == b""  # closed by the server after 1 s of silence
    finally:
        await client.close()
