"""The candidate's conversation, from /start to the request being sent, and their answer
when a coach accepted.

1. /start: greeting, the short privacy notice, a button to the full notice, "start".
2. Topic. 3. The separate question about special-category data. 4. The help question
(text only). 5. Preview as coaches will see it. 6. Contact details. 7. Consent to hand
them to one coach. 8. Newsletter (optional; by e-mail or in Telegram). 9. The receipt with the
reference comes from the service layer through the outbox.
"""

from __future__ import annotations

import re
import uuid

from aiogram import F
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from bot import keyboards
from bot.callbacks import Consent, ContactMethod, Go, MatchConfirm, MatchDecline, Topic
from bot.i18n import Talk
from bot.middlewares import Answer, Conversation, Person
from bot.routers.common import Blueprint, own_request, settle, shown_wording, tell
from bot.states import Intake
from consent_store.enums import Channel, ContactKind, Purpose
from intake import contacts, topics
from intake.contacts import ContactValue
from intake.core import Core
from intake.errors import ConsentRequired, StaleWording
from intake.services import consent, drafts, newsletter, requests, subjects
from intake.services.consent import ShownWording

router = Blueprint("candidate-intake")

DEEP_LINK = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Telegram allows in a start parameter
# FSM data keys of the draft
TOPIC, SPECIAL, TEXT, CONTACT, CONTACT_KIND, SOURCE = "topic", "special", "text", "contact", "ck", "src"

Event = Message | CallbackQuery


# 1. Start -------------------------------------------------------------------------------


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    core: Core,
    talk: Talk,
    conversation: Conversation,
    person: Person,
) -> None:
    if await person.coach() is not None:
        await conversation.reset()
        await message.answer(talk("help_coach"))
        return
    source = command.args if command.args and DEEP_LINK.fullmatch(command.args) else None
    await conversation.reset(Intake.welcome, **{SOURCE: source})
    notice = core.texts.notice_short(talk.language)
    await message.answer(talk("welcome", notice=notice), reply_markup=keyboards.welcome(talk))


@router.callback_query(Intake.welcome, Go.filter(F.step == "begin"))
async def begin(callback: CallbackQuery, talk: Talk, conversation: Conversation) -> None:
    await settle(callback, markup=keyboards.privacy(talk))
    await conversation.save(Intake.topic)
    await tell(callback, talk("topic"), keyboards.topic_choice(talk))


# 2. Topic, 3. special-category consent ------------------------------------------------


@router.callback_query(Intake.topic, Topic.filter())
async def topic_chosen(
    callback: CallbackQuery,
    callback_data: Topic,
    core: Core,
    talk: Talk,
    conversation: Conversation,
    person: Person,
    answer: Answer,
) -> None:
    if callback_data.code not in topics.TOPICS:
        answer.say(talk("alert/stale"), alert=True)
        return
    await settle(callback, "✔ " + topics.label(callback_data.code, talk.language))
    await ask_special(callback, core, talk, conversation, person, **{TOPIC: callback_data.code})


async def ask_special(
    event: Event, core: Core, talk: Talk, conversation: Conversation, person: Person, **values: str
) -> None:
    subject_id = await person.subject_id()
    if subject_id is not None and Purpose.SPECIAL_CATEGORY in await consent.granted(core, subject_id):
        await conversation.save(Intake.text, **values, **{SPECIAL: "yes"})
        await tell(event, talk("special_already") + "\n\n" + talk("ask_text"))
        return
    wording = talk.wording(Purpose.SPECIAL_CATEGORY)
    await conversation.save(Intake.special_consent, **values)
    await tell(
        event,
        talk("special_consent", wording=wording.text),
        keyboards.consent_question(talk, wording, yes="consent_yes", no="consent_no"),
    )


@router.callback_query(
    StateFilter(Intake.special_consent, Intake.special_reask), Consent.filter(F.purpose == "s")
)
async def special_answer(
    callback: CallbackQuery,
    callback_data: Consent,
    core: Core,
    talk: Talk,
    conversation: Conversation,
    person: Person,
    answer: Answer,
    evidence: str,
) -> None:
    try:
        wording = shown_wording(core, callback_data)
    except StaleWording:
        answer.say(talk("alert/wording_changed"), alert=True)
        await settle(callback)
        await ask_special(callback, core, talk, conversation, person)
        return
    again = conversation.state == Intake.special_reask.state
    if not callback_data.yes:
        if again:  # the re-ask offers "rephrase", not "no"
            answer.say(talk("alert/stale"), alert=True)
            return
        await settle(callback, "✔ " + talk.button("consent_no"))
        await conversation.save(Intake.text, **{SPECIAL: "no"})
        await tell(callback, talk("special_no") + "\n\n" + talk("ask_text"))
        return
    subject_id = await person.candidate()
    await consent.grant(
        core,
        subject_id=subject_id,
        purpose=Purpose.SPECIAL_CATEGORY,
        shown=ShownWording.of(wording),
        channel=Channel.TELEGRAM,
        evidence=evidence,
    )
    await settle(callback, "✔ " + talk.button("consent_yes"))
    await conversation.save(Intake.text, **{SPECIAL: "yes"})
    await tell(
        callback, talk("special_yes_again") if again else talk("special_yes") + "\n\n" + talk("ask_text")
    )


# 4. The question, 5. preview --------------------------------------------------------------


@router.message(Intake.text, F.text, ~F.text.startswith("/"))
async def question(
    message: Message, core: Core, talk: Talk, conversation: Conversation, person: Person
) -> None:
    text = message.text or ""
    subject_id = await person.candidate()
    preview = await requests.preview(core, subject_id=subject_id, text=text, language=talk.language)
    if preview.needs_special_consent:
        await _reask_special(message, talk, conversation, said_no=conversation.get(SPECIAL) == "no")
        return
    sealed = await drafts.seal_question(core, subject_id, text, preview)
    await conversation.save(Intake.preview, **{TEXT: sealed})
    await tell(
        message,
        talk("preview", text=preview.anonymised, special=preview.special_category),
        keyboards.preview(talk),
    )


async def _reask_special(event: Event, talk: Talk, conversation: Conversation, *, said_no: bool) -> None:
    """The text reveals special-category data without that consent: nothing of it is kept
    (not in the conversation, not in the database); ask for the consent or a rewrite."""
    wording = talk.wording(Purpose.SPECIAL_CATEGORY)
    await conversation.save(Intake.special_reask, **{TEXT: None})
    question = talk("special_detected", wording=wording.text, said_no=said_no)
    await tell(event, question, keyboards.special_reask(talk, wording))


@router.callback_query(StateFilter(Intake.preview, Intake.special_reask), Go.filter(F.step == "rewrite"))
async def rewrite(callback: CallbackQuery, talk: Talk, conversation: Conversation) -> None:
    await settle(callback, "✔ " + talk.button("rewrite"))
    special = conversation.get(SPECIAL) == "yes"
    await conversation.save(Intake.text, **{TEXT: None})
    await tell(callback, talk("rewrite", special=special))


@router.callback_query(StateFilter(Intake), Go.filter(F.step == "cancel"))
async def cancel(callback: CallbackQuery, talk: Talk, conversation: Conversation) -> None:
    await settle(callback, "✔ " + talk.button("cancel"))
    await conversation.reset()
    await tell(callback, talk("cancelled"), ReplyKeyboardRemove())


@router.callback_query(Intake.preview, Go.filter(F.step == "send"))
async def send_as_is(callback: CallbackQuery, talk: Talk, conversation: Conversation) -> None:
    await settle(callback, "✔ " + talk.button("send"))
    await conversation.save(Intake.contact)
    await tell(callback, talk("contact_method"), keyboards.contact_methods(talk))


# 6. Contact details -----------------------------------------------------------------------


@router.callback_query(Intake.contact, ContactMethod.filter())
async def contact_method(
    callback: CallbackQuery,
    callback_data: ContactMethod,
    core: Core,
    talk: Talk,
    conversation: Conversation,
    person: Person,
    answer: Answer,
) -> None:
    kind = callback_data.kind
    if kind not in ("email", "phone", "telegram"):
        answer.say(talk("alert/stale"), alert=True)
        return
    await settle(callback, "✔ " + talk.button(f"contact_{kind}"))
    if kind == "email":
        await conversation.save(Intake.email)
        await tell(callback, talk("ask_email"))
    elif kind == "phone":
        await conversation.save(Intake.phone)
        await tell(callback, talk("ask_phone"), keyboards.share_phone(talk))
    else:
        await contact_given(
            callback, contacts.telegram(callback.from_user.id), core, talk, conversation, person
        )


@router.message(Intake.email, F.text, ~F.text.startswith("/"))
async def email_given(
    message: Message, core: Core, talk: Talk, conversation: Conversation, person: Person
) -> None:
    await contact_given(message, contacts.email(message.text or ""), core, talk, conversation, person)


@router.message(Intake.phone, F.contact)
async def phone_shared(
    message: Message, core: Core, talk: Talk, conversation: Conversation, person: Person
) -> None:
    shared = message.contact
    assert shared is not None and message.from_user is not None
    if shared.user_id != message.from_user.id:
        await message.answer(talk("foreign_contact"))
        return
    number = shared.phone_number if shared.phone_number.startswith("+") else "+" + shared.phone_number
    await contact_given(message, contacts.phone(number), core, talk, conversation, person)


@router.message(Intake.phone, F.text, ~F.text.startswith("/"))
async def phone_typed(
    message: Message, core: Core, talk: Talk, conversation: Conversation, person: Person
) -> None:
    await contact_given(message, contacts.phone(message.text or ""), core, talk, conversation, person)


async def contact_given(
    event: Event, value: ContactValue, core: Core, talk: Talk, conversation: Conversation, person: Person
) -> None:
    subject_id = await person.candidate()
    sealed = await drafts.seal_contact(core, subject_id, value)
    shown = talk.button("contact_telegram") if value.kind is ContactKind.TELEGRAM else contacts.display(value)
    await tell(event, talk("contact_saved", kind=value.kind.value, shown=shown), ReplyKeyboardRemove())
    await ask_handover(
        event, core, talk, conversation, subject_id, **{CONTACT: sealed, CONTACT_KIND: value.kind.value}
    )


# 7. Consent to hand over, 8. newsletter, then send -----------------------------------------


async def ask_handover(
    event: Event, core: Core, talk: Talk, conversation: Conversation, subject_id: uuid.UUID, **values: str
) -> None:
    if Purpose.CONTACT_HANDOVER in await consent.granted(core, subject_id):
        await conversation.save(**values)
        await tell(event, talk("handover_already"))
        await ask_newsletter(event, core, talk, conversation, subject_id, evidence=None)
        return
    wording = talk.wording(Purpose.CONTACT_HANDOVER)
    await conversation.save(Intake.handover, **values)
    await tell(
        event,
        talk("handover_consent", wording=wording.text),
        keyboards.consent_question(talk, wording, yes="consent_yes", no="consent_no"),
    )


@router.callback_query(Intake.handover, Consent.filter(F.purpose == "h"))
async def handover_answer(
    callback: CallbackQuery,
    callback_data: Consent,
    core: Core,
    talk: Talk,
    conversation: Conversation,
    person: Person,
    answer: Answer,
    evidence: str,
) -> None:
    subject_id = await person.candidate()
    try:
        wording = shown_wording(core, callback_data)
    except StaleWording:
        answer.say(talk("alert/wording_changed"), alert=True)
        await settle(callback)
        await ask_handover(callback, core, talk, conversation, subject_id)
        return
    if not callback_data.yes:
        await settle(callback, "✔ " + talk.button("consent_no"))
        await tell(
            callback,
            talk("handover_no", wording=wording.text),
            keyboards.consent_question(
                talk, wording, yes="consent_yes", no=None, other=("cancel_request", "cancel")
            ),
        )
        return
    await consent.grant(
        core,
        subject_id=subject_id,
        purpose=Purpose.CONTACT_HANDOVER,
        shown=ShownWording.of(wording),
        channel=Channel.TELEGRAM,
        evidence=evidence,
    )
    await settle(callback, "✔ " + talk.button("consent_yes"))
    await ask_newsletter(callback, core, talk, conversation, subject_id, evidence=evidence, answer=answer)


async def ask_newsletter(
    event: Event,
    core: Core,
    talk: Talk,
    conversation: Conversation,
    subject_id: uuid.UUID,
    *,
    evidence: str | None,
    answer: Answer | None = None,
) -> None:
    """Offered to everyone: by e-mail (double opt-in) to those who gave an address, else here in
    Telegram, where pressing "yes" is the consent."""
    if Purpose.NEWSLETTER not in await consent.granted(core, subject_id):
        kind = conversation.get(CONTACT_KIND)
        channel = newsletter.channel_for(ContactKind(kind) if kind else None)
        wording = newsletter.wording_for(core, talk.language, channel)
        await conversation.save(Intake.newsletter)
        await tell(
            event,
            talk("newsletter", wording=wording.text),
            keyboards.consent_question(talk, wording, yes="newsletter_yes", no="newsletter_no"),
        )
        return
    await send_request(event, core, talk, conversation, subject_id, newsletter_shown=None, evidence=evidence)
    if answer is not None:
        answer.say(talk("alert/sent"))


@router.callback_query(Intake.newsletter, Consent.filter(F.purpose == "n"))
async def newsletter_answer(
    callback: CallbackQuery,
    callback_data: Consent,
    core: Core,
    talk: Talk,
    conversation: Conversation,
    person: Person,
    answer: Answer,
    evidence: str,
) -> None:
    subject_id = await person.candidate()
    try:
        wording = shown_wording(core, callback_data)
    except StaleWording:
        answer.say(talk("alert/wording_changed"), alert=True)
        await settle(callback)
        await ask_newsletter(callback, core, talk, conversation, subject_id, evidence=evidence)
        return
    chosen = "newsletter_yes" if callback_data.yes else "newsletter_no"
    await settle(callback, "✔ " + talk.button(chosen))
    shown = ShownWording.of(wording) if callback_data.yes else None
    await send_request(
        callback, core, talk, conversation, subject_id, newsletter_shown=shown, evidence=evidence
    )
    answer.say(talk("alert/sent"))


async def send_request(
    event: Event,
    core: Core,
    talk: Talk,
    conversation: Conversation,
    subject_id: uuid.UUID,
    *,
    newsletter_shown: ShownWording | None,
    evidence: str | None,
) -> None:
    """Hand the draft to the service layer. Its receipt (step 9) arrives through the outbox."""
    sealed_question = conversation.get(TEXT)
    question = await drafts.unseal_question(core, subject_id, sealed_question) if sealed_question else None
    sealed_contact = conversation.get(CONTACT)
    contact = await drafts.unseal_contact(core, subject_id, sealed_contact) if sealed_contact else None
    topic = conversation.get(TOPIC)
    if question is None or contact is None or topic is None:
        await conversation.reset()
        await tell(event, talk("draft_lost"))
        return
    point = await subjects.add_contact_detail(core, subject_id, contact)
    source = conversation.get(SOURCE)
    try:
        await requests.submit_new(
            core,
            subject_id=subject_id,
            channel=Channel.TELEGRAM,
            topic=topic,
            text=question.text,
            contact_point_id=point,
            language=talk.language,
            source_ref=f"telegram:start:{source}" if source else None,
            shown=question.preview,
        )
    except ConsentRequired as missing:  # withdrawn with /toestemming while writing
        if missing.purpose == Purpose.SPECIAL_CATEGORY.value:
            await _reask_special(event, talk, conversation, said_no=True)
            return
        await ask_handover(event, core, talk, conversation, subject_id)
        return
    if newsletter_shown is not None and evidence is not None:
        await newsletter.subscribe(
            core,
            subject_id=subject_id,
            channel=newsletter.channel_for(contact.kind),
            shown=newsletter_shown,
            evidence=evidence,
        )
    await conversation.reset()


# The candidate's answer when a coach accepted ---------------------------------------------


@router.callback_query(MatchConfirm.filter())
async def match_confirmed(
    callback: CallbackQuery,
    callback_data: MatchConfirm,
    core: Core,
    talk: Talk,
    person: Person,
    answer: Answer,
) -> None:
    own = await own_request(person, callback_data.request)
    if own is None:
        answer.say(talk("alert/stale"), alert=True)
        return
    coach_name = await requests.confirm_match(core, request_id=own[0], subject_id=own[1])
    await settle(callback, "✔ " + talk.button("match_confirmed"))
    answer.say(talk("alert/match_confirmed", coach=coach_name))


@router.callback_query(MatchDecline.filter())
async def match_declined(
    callback: CallbackQuery,
    callback_data: MatchDecline,
    core: Core,
    talk: Talk,
    person: Person,
    answer: Answer,
) -> None:
    own = await own_request(person, callback_data.request)
    if own is None:
        answer.say(talk("alert/stale"), alert=True)
        return
    await requests.decline_match(core, request_id=own[0], subject_id=own[1])
    await settle(callback, "✔ " + talk.button("match_declined"))
    answer.say(talk("alert/match_declined"))
