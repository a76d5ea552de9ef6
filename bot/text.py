"""Fitting text into Telegram messages."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import Message

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def chunks(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """``text`` in pieces of at most ``limit``, cut at paragraph, line or word ends where possible."""
    if utf16_length(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while utf16_length(rest) > limit:
        cut = _fit(rest, limit)
        window = rest[:cut]
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at > cut // 2:
                cut = at + len(separator)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def _fit(text: str, limit: int) -> int:
    """The longest prefix length (in characters) of at most ``limit`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


async def send_parts(bot: Bot, chat_id: int, text: str, markup: Any = None) -> Message:
    """Send ``text``, split if it is too long, with the buttons on the last part."""
    parts = chunks(text)
    for part in parts[:-1]:
        await bot.send_message(chat_id=chat_id, text=part)
    return await bot.send_message(chat_id=chat_id, text=parts[-1], reply_markup=markup)
