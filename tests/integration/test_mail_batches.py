"""The worker answers mails to intake@ in batches. A batch is worked out against a snapshot of
the database, outside the writing transaction, and written afterwards (``plan_answers`` then
``commit_answers``). What changes in between must not make the written batch wrong: here it
really changes, through the service layer, between the two steps. A mail that makes its batch
fail is retried alone, later, without holding up the others."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from consent_store.enums import Actor, Channel
from consent_store.models import ContactPoint, InboundKind, InboundMail, InboundState, IntakeRequest, Subject
from intake.core import Core
from intake.ports import AnalysisLike, AnonymiserPort
from intake.services import mail_intake, mail_queue, privacy
from intake.services.mail_intake import IncomingMail
from intake.services.mail_queue import Claim
from mail_ingest import parse
from tests.support.mail import (
    MailService,
    body_text,
    execute_sql,
    mail_fixture,
    message,
    rows,
    settings_fixture,
)

USES_FIXTURES = (mail_fixture, settings_fixture)  # pytest finds them by name: mail, settings


async def _accepted(mail: MailService, content: bytes) -> list[tuple[Claim, IncomingMail]]:
    """Send a mail and claim it, as the worker would."""
    assert (await mail.send(content)).code == 250
    claimed = await mail_queue.claim(mail.core, [InboundKind.REQUEST])
    return [(c.claim, parse.request(c.raw, c.mail_from)) for c in claimed]


async def test_an_unchanged_snapshot_is_written_as_planned(mail: MailService, core: Core) -> None:
    await mail.smtp.stop_worker()
    batch = await _accepted(mail, message("Ik zoek een coach voor mijn loopbaan."))
    plan = await mail_intake.plan_answers(core, batch)
    assert await rows(core, IntakeRequest) == []  # planning writes nothing

    (answered,) = await mail_intake.commit_answers(core, plan)
    (request,) = await rows(core, IntakeRequest)
    assert answered.outcome == "draft"
    assert answered.reference == plan.built.results[batch[0][0].id].reference == request.reference


async def test_a_sender_who_became_known_meanwhile_is_not_made_twice(mail: MailService, core: Core) -> None:
    await mail.smtp.stop_worker()
    first = await _accepted(mail, message("Ik zoek een coach voor mijn loopbaan."))
    plan = await mail_intake.plan_answers(core, first)  # a new sender, as far as it knows

    second = await _accepted(mail, message("Nog een vraag: ook hulp bij solliciteren?"))
    assert [a.outcome for a in await mail_intake.answer_requests(core, second)] == ["draft"]
    (answered,) = await mail_intake.commit_answers(core, plan)

    assert answered.outcome == "draft"
    (subject,) = await rows(core, Subject)
    assert len(await rows(core, ContactPoint)) == 1
    assert {r.subject_id for r in await rows(core, IntakeRequest)} == {subject.id}


async def test_a_message_id_used_meanwhile_makes_the_planned_draft_a_duplicate(
    mail: MailService, core: Core
) -> None:
    await mail.smtp.stop_worker()
    first = await _accepted(mail, message("Ik zoek een coach.", message_id="<same@example.org>"))
    plan = await mail_intake.plan_answers(core, first)

    # The same Message-ID with other content: stored as another mail, answered first.
    second = await _accepted(mail, message("Ik zoek een coach!", message_id="<same@example.org>"))
    assert [a.outcome for a in await mail_intake.answer_requests(core, second)] == ["draft"]

    assert [a.outcome for a in await mail_intake.commit_answers(core, plan)] == ["ignored:duplicate"]
    assert len(await rows(core, IntakeRequest)) == 1


async def test_a_sender_erased_meanwhile_gets_a_new_subject_and_a_readable_answer(
    mail: MailService, core: Core
) -> None:
    assert (await mail.send(message("Ik zoek een coach voor mijn loopbaan."))).code == 250
    await mail.settle()
    (before,) = await rows(core, Subject)
    mail.new_mail()

    await mail.smtp.stop_worker()
    batch = await _accepted(mail, message("Toch nog hulp nodig bij een sollicitatiebrief."))
    plan = await mail_intake.plan_answers(core, batch)  # encrypted with the old subject's key
    await privacy.erase(core, subject_id=before.id, actor=Actor.SUBJECT, channel=Channel.EMAIL, reason="test")

    (answered,) = await mail_intake.commit_answers(core, plan)
    assert answered.outcome == "draft"
    (after,) = await rows(core, Subject)
    (request,) = await rows(core, IntakeRequest)
    assert after.id != before.id and request.subject_id == after.id
    await mail.dispatcher.run_once()
    (reply,) = mail.new_mail()
    assert "sollicitatiebrief" in body_text(reply)


_FAIL_ON_TEXT = {
    "sqlite": [
        """CREATE TRIGGER fail_text BEFORE INSERT ON intake_requests
           WHEN NEW.anonymised_text LIKE '%kapotte%' BEGIN SELECT RAISE(ABORT, 'disk full'); END"""
    ],
    "postgresql": [
        """CREATE FUNCTION fail_text() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN IF NEW.anonymised_text LIKE '%kapotte%' THEN RAISE EXCEPTION 'disk full'; END IF;
           RETURN NEW; END $$""",
        """CREATE TRIGGER fail_text BEFORE INSERT ON intake_requests
           FOR EACH ROW EXECUTE FUNCTION fail_text()""",
    ],
}


class _Counting:
    """The real anonymiser, counting the texts it analyses."""

    def __init__(self, inner: AnonymiserPort) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def analyse(self, text: str, language: str | None = None) -> AnalysisLike:
        self.texts.append(text)
        return self.inner.analyse(text, language)

    def analyse_many(self, items: Iterable[tuple[str, str | None]]) -> Sequence[AnalysisLike]:
        items = list(items)
        self.texts += [text for text, _ in items]
        return self.inner.analyse_many(items)  # type: ignore[attr-defined, no-any-return]


async def test_a_mail_that_breaks_its_batch_is_retried_later_and_the_others_are_answered(
    mail: MailService, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    await mail.smtp.stop_worker()
    bodies = ("Ik zoek een coach voor mijn loopbaan.", "Een kapotte planning.", "Hulp bij solliciteren.")
    for number, body in enumerate(bodies):
        assert (await mail.send(message(body, sender=f"k{number}@example.org"))).code == 250
    await execute_sql(core, _FAIL_ON_TEXT[core.engine.dialect.name])  # the database refuses one
    counting = _Counting(core.anonymiser)
    monkeypatch.setattr(core, "_anonymiser", counting)
    claimed = await mail_queue.claim(core, [InboundKind.REQUEST])
    batch = [(c.claim, parse.request(c.raw, c.mail_from)) for c in claimed]
    assert len(batch) == 3

    outcomes = [answered.outcome for answered in await mail_intake.answer_requests(core, batch)]
    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["draft", "draft", "error"]
    assert len(counting.texts) == 3  # each text analysed once, also when tried alone
    stored = await rows(core, IntakeRequest)
    assert len(stored) == 2 and not any("kapotte" in r.anonymised_text for r in stored)
    assert len(await rows(core, Subject)) == 2  # nothing of the failed mail's transaction stays
    (queued,) = [row for row in await rows(core, InboundMail) if row.state is not InboundState.DONE]
    assert queued.state is InboundState.QUEUED and queued.raw is not None and queued.last_error
