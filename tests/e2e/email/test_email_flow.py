"""The whole e-mail journey against `intake run`'s composition (runner.start): SMTP, worker,
outbox dispatcher and web pages on loopback, real clock, nothing called directly but HTTP
and SMTP: a mail, the confirmation page, a coach accepting by link, the handover mail."""

from __future__ import annotations

import asyncio
import mailbox
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from intake import runner
from intake.services import coaches
from intake.settings import Settings
from tests.conftest import make_settings
from tests.support.anonymiser import load
from tests.support.mail import INTAKE, body_text, forms, message
from tests.support.smtp_client import send_one


class Inbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: set[str] = set()

    async def next(self, to: str) -> EmailMessage:
        """Wait (up to 20 s) for the next mail to ``to`` delivered by the running service."""
        async with asyncio.timeout(20):
            while True:
                box = mailbox.Maildir(self.path, create=True)
                for key in sorted(box.keys()):
                    if key in self.seen:
                        continue
                    with box.get_file(key) as handle:
                        mail = BytesParser(policy=policy.default).parse(handle)  # type: ignore[arg-type]
                    if mail["To"] == to:
                        self.seen.add(key)
                        return mail  # type: ignore[return-value]
                await asyncio.sleep(0.05)


def _link(mail: EmailMessage, path: str, public_url: str, base: str) -> str:
    found = re.search(re.escape(public_url + path) + r"[\w.\-]+", body_text(mail))
    assert found, f"no {path} link"
    return base + found.group(0)[len(public_url) :]


@pytest.mark.slow
async def test_from_an_email_to_the_handover(tmp_path: Path, db_url: str, engine: AsyncEngine) -> None:
    settings = make_settings(
        tmp_path,
        database_url=db_url,
        smtp_port=0,
        web_port=0,
        outbound=f"maildir:{tmp_path / 'outbox'}",
        outbox_poll_seconds=0.2,
    )
    async with asyncio.timeout(120):  # a hang fails the test instead of stalling the suite
        await _journey(settings, tmp_path)


async def _journey(settings: Settings, tmp_path: Path) -> None:
    service = await runner.start(settings, anonymiser=load())
    inbox = Inbox(tmp_path / "outbox")
    smtp = service.adapter("smtp")
    web_url = service.adapter("web").url  # type: ignore[attr-defined]
    public = settings.public_url
    try:
        await coaches.add(
            service.core,
            display_name="Sanne Coach",
            intro="Loopbaancoach in Utrecht.",
            email="sanne@coaches.example",
            topic_codes=("career",),
            languages=("nl",),
        )
        raw = message("Ik werk tien jaar in de zorg en wil een andere richting op. Wie helpt me kiezen?")
        reply = await send_one(smtp.host, smtp.port, "kandidaat@example.org", [INTAKE], raw)  # type: ignore[attr-defined]
        assert reply.code == 250

        answer = await inbox.next("kandidaat@example.org")
        assert answer["Auto-Submitted"] == "auto-replied"
        confirm = _link(answer, "/c/", public, web_url)
        async with aiohttp.ClientSession() as http:
            async with http.get(confirm) as response:
                assert response.status == 200
                form = forms(await response.text())[0]
            data = [*form["fields"], ("consent_contact_handover", "yes"), ("action", "confirm")]
            async with http.post(confirm, data=data) as response:
                assert response.status == 200 and "Je vraag is verstuurd" in await response.text()

            received = await inbox.next("kandidaat@example.org")
            assert "We hebben je hulpvraag ontvangen" in received["Subject"]
            offer = await inbox.next("sanne@coaches.example")
            assert "kandidaat@example.org" not in body_text(offer)
            async with http.post(_link(offer, "/o/", public, web_url), data={"action": "accept"}) as response:
                assert response.status == 200 and "aangenomen" in await response.text()

            await inbox.next("sanne@coaches.example")  # "you accepted", waiting for the candidate
            proposal = await inbox.next("kandidaat@example.org")
            assert "Sanne Coach" in body_text(proposal)
            match = _link(proposal, "/m/", public, web_url)
            async with http.post(match, data={"action": "confirm"}) as response:
                assert response.status == 200

        handover = await inbox.next("sanne@coaches.example")
        assert "kandidaat@example.org" in body_text(handover)
        assert handover["Auto-Submitted"] == "auto-generated"
        done = await inbox.next("kandidaat@example.org")
        assert "Sanne Coach" in done["Subject"]
    finally:
        await service.stop()
