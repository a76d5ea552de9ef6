"""The steps of the candidate's conversation (aiogram FSM)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Intake(StatesGroup):
    welcome = State()  # privacy notice shown; waiting for "start"
    topic = State()
    special_consent = State()  # the separate question about special-category data
    text = State()  # waiting for the help question (text only)
    special_reask = State()  # the text revealed special-category data without consent
    preview = State()  # send as is / rewrite / cancel
    contact = State()  # how the coach may contact them
    email = State()
    phone = State()
    handover = State()  # consent to hand contact details to the one accepted coach
    newsletter = State()  # optional opt-in; the request is sent after this answer
