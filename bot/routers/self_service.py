"""The candidate's own commands, each with a Dutch and an English name:
/privacy, /help, /toestemming (/consent), /afmelden (/unsubscribe), /intrekken (/withdraw),
/mijngegevens (/mydata), /verwijderen (/delete), /taal (/language), /annuleren (/cancel).
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message, ReplyKeyboardRemove

from bot import keyboards
from bot.callbacks import Erase, Go, Language, WithdrawConsent, WithdrawRequest
from bot.i18n import Talk
from bot.middlewares import LANG, Answer, Conversation, Person
from bot.routers.common import Blueprint, own_request, settle, tell
from consent_store.enums import Actor, Channel, Purpose
from intake import rules
from intake.core import Core
from intake.services import consent, newsletter, overview, privacy, requests, subjects
from intake.texts import LANGUAGES

router = Blueprint("candidate-self-service")


@router.message(Command("help", "hulp"))
async def help_(message: Message, talk: Talk, person: Person) -> None:
    await message.answer(talk("help_coach" if await person.coach() else "help"))


@router.message(Command("privacy"))
async def privacy_notice(message: Message, core: Core, talk: Talk) -> None:
    await message.answer(core.texts.notice_short(talk.language), reply_markup=keyboards.privacy(talk))


# Consents ------------------------------------------------------------------------------


@router.message(Command("toestemming", "consent"))
async def consents(message: Message, core: Core, talk: Talk, person: Person) -> None:
    subject_id = await person.subject_id()
    statuses = await overview.consents(core, subject_id) if subject_id else []
    granted = [s.purpose for s in statuses if s.granted]
    await message.answer(
        talk("consents", consents=statuses), reply_markup=keyboards.withdraw_consents(talk, granted)
    )


@router.callback_query(WithdrawConsent.filter())
async def withdraw_consent(
    callback: CallbackQuery,
    callback_data: WithdrawConsent,
    core: Core,
    talk: Talk,
    person: Person,
    answer: Answer,
    evidence: str,
) -> None:
    subject_id = await person.subject_id()
    if subject_id is None or callback_data.purpose not in {p.value for p in Purpose}:
        answer.say(talk("alert/stale"), alert=True)
        return
    outcome = await consent.withdraw(
        core,
        subject_id=subject_id,
        purpose=Purpose(callback_data.purpose),
        channel=Channel.TELEGRAM,
        evidence=evidence,
    )
    await settle(callback)
    await tell(
        callback,
        talk(
            "consent_withdrawn",
            purpose=callback_data.purpose,
            changed=outcome.changed,
            requests=outcome.withdrawn_requests,
        ),
    )


@router.message(Command("afmelden", "unsubscribe"))
async def unsubscribe(message: Message, core: Core, talk: Talk, person: Person, evidence: str) -> None:
    subject_id = await person.subject_id()
    changed = False
    if subject_id is not None:
        changed = await newsletter.unsubscribe(
            core, subject_id=subject_id, channel=Channel.TELEGRAM, evidence=evidence
        )
    await message.answer(talk("unsubscribed", changed=changed))


# Requests ------------------------------------------------------------------------------


@router.message(Command("intrekken", "withdraw"))
async def withdraw(message: Message, core: Core, talk: Talk, person: Person) -> None:
    subject_id = await person.subject_id()
    live = await overview.live_requests(core, subject_id, talk.language) if subject_id else []
    if not live:
        await message.answer(talk("nothing_to_withdraw"))
        return
    choices = [(r.request_id.hex, f"{r.reference} · {r.topic}") for r in live]
    await message.answer(
        talk("withdraw_choose", requests=live), reply_markup=keyboards.withdraw_requests(talk, choices)
    )


@router.callback_query(WithdrawRequest.filter())
async def withdraw_request(
    callback: CallbackQuery,
    callback_data: WithdrawRequest,
    core: Core,
    talk: Talk,
    person: Person,
    answer: Answer,
) -> None:
    own = await own_request(person, callback_data.request)
    if own is None:
        answer.say(talk("alert/stale"), alert=True)
        return
    references = await requests.withdraw(core, subject_id=own[1], request_id=own[0])
    await settle(callback, "✔ " + talk("withdrawn_note", references=references))
    answer.say(talk("alert/withdrawn"))


@router.callback_query(Go.filter(F.step == "keep"))
async def keep(callback: CallbackQuery, talk: Talk, answer: Answer) -> None:
    await settle(callback, "✔ " + talk.button("keep"))
    answer.say(talk("alert/kept"))


# Access and erasure --------------------------------------------------------------------


@router.message(Command("mijngegevens", "mydata"))
async def my_data(
    message: Message, core: Core, talk: Talk, person: Person, conversation: Conversation
) -> None:
    subject_id = await person.subject_id()
    if subject_id is None:
        await message.answer(talk("no_data", in_progress=conversation.state is not None))
        return
    report = await privacy.access(
        core, subject_id=subject_id, actor="subject", reason="asked in the Telegram chat"
    )
    await tell(message, talk("mydata", report=report, in_progress=conversation.state is not None))
    assert message.bot is not None
    await message.bot.send_document(
        chat_id=message.chat.id,
        document=BufferedInputFile(report.to_json().encode("utf-8"), filename=f"{report.pseudonym}.json"),
        caption=talk("mydata_file"),
    )


@router.message(Command("verwijderen", "delete"))
async def erase_ask(message: Message, talk: Talk) -> None:
    await message.answer(talk("erase_confirm"), reply_markup=keyboards.erase(talk))


@router.callback_query(Erase.filter())
async def erase(
    callback: CallbackQuery,
    callback_data: Erase,
    core: Core,
    talk: Talk,
    person: Person,
    conversation: Conversation,
    answer: Answer,
) -> None:
    if not callback_data.yes:
        await settle(callback, "✔ " + talk.button("erase_no"))
        answer.say(talk("alert/kept"))
        return
    asked = callback.message.date if callback.message is not None else None
    if not rules.erase_confirmation_valid(asked, core.clock.now()):
        await settle(callback)
        answer.say(talk("alert/erase_expired"), alert=True)
        return
    subject_id = await person.subject_id()
    if subject_id is not None:
        await privacy.erase(
            core,
            subject_id=subject_id,
            actor=Actor.SUBJECT,
            channel=Channel.TELEGRAM,
            reason="asked in the Telegram chat",
        )
    await conversation.forget()
    await settle(callback, "✔ " + talk.button("erase_yes"))
    await tell(callback, talk("erased", had_data=subject_id is not None), ReplyKeyboardRemove())


# Language and cancelling ---------------------------------------------------------------


@router.message(Command("taal", "language"))
async def choose_language(message: Message, talk: Talk) -> None:
    await message.answer(talk("language_choose"), reply_markup=keyboards.languages())


@router.callback_query(Language.filter())
async def language_chosen(
    callback: CallbackQuery,
    callback_data: Language,
    core: Core,
    talk: Talk,
    person: Person,
    conversation: Conversation,
    answer: Answer,
) -> None:
    if callback_data.code not in LANGUAGES:
        answer.say(talk("alert/stale"), alert=True)
        return
    await conversation.save(**{LANG: callback_data.code})
    subject_id = await person.subject_id()
    if subject_id is not None:
        await subjects.set_locale(core, subject_id, callback_data.code)
    await settle(callback)
    await tell(callback, Talk(core, callback_data.code)("language_set"))


@router.message(Command("annuleren", "cancel", "stop"))
async def cancel(message: Message, talk: Talk, conversation: Conversation) -> None:
    if conversation.state is None:
        await message.answer(talk("nothing_to_cancel"), reply_markup=ReplyKeyboardRemove())
        return
    await conversation.reset()
    await message.answer(talk("cancelled"), reply_markup=ReplyKeyboardRemove())
