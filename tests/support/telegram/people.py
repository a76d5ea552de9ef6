"""People in tests: a Telegram user who writes to the bot and presses its buttons."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.telegram.stub import BotApiStub, Call, Chat, Message


class FakeUser:
    def __init__(self, stub: BotApiStub, chat: Chat) -> None:
        self.stub = stub
        self.chat = chat

    @property
    def id(self) -> int:
        return self.chat.user_id

    def block(self) -> None:
        self.chat.blocked = True

    # What the bot showed ----------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        """The bot's messages in this chat, as they look now (after edits)."""
        return [m for m in self.chat.messages.values() if m.from_bot]

    @property
    def last(self) -> Message:
        return self.messages[-1]

    def calls(self) -> list[Call]:
        return self.stub.sent_to(self.id)

    # Updates ----------------------------------------------------------------------------

    def _message_update(self, **content: Any) -> dict[str, Any]:
        self.chat.started = True
        message_id = self.stub.new_message_id()
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat.as_chat(),
            "from": self.chat.as_user(),
            **content,
        }
        return {"message": message}

    def text_update(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._message_update(**content)

    def press_update(self, message: Message | None, data: str) -> tuple[dict[str, Any], str]:
        """A button press; ``data`` may be anything (a modified client can send any data)."""
        query_id = self.stub.new_callback_id()
        query: dict[str, Any] = {
            "id": query_id,
            "from": self.chat.as_user(),
            "chat_instance": str(self.id * 31),
            "data": data,
        }
        if message is not None:
            query["message"] = self.stub.message_json(self.chat, message)
        return {"callback_query": query}, query_id

    async def send(self, text: str) -> int:
        return await self.stub.push_update(self.text_update(text))

    async def say(self, text: str, *, replies: int = 1) -> list[Call]:
        """Send a text and wait for the bot's ``replies`` messages in this chat."""
        mark = self.stub.mark()
        await self.send(text)
        return await self.replies(mark, replies)

    async def send_media(self, kind: str, *, replies: int = 1) -> list[Call]:
        """A photo, voice message, document, sticker or location instead of text."""
        file = {"file_id": "AgAD-test-file", "file_unique_id": "u1"}
        content: dict[str, Any] = {
            "photo": {"photo": [{**file, "width": 90, "height": 90}], "caption": "mijn cv"},
            "voice": {"voice": {**file, "duration": 3}},
            "document": {"document": {**file, "file_name": "cv.pdf"}, "caption": "mijn cv"},
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "location": {"location": {"latitude": 52.09, "longitude": 5.12}},
        }[kind]
        mark = self.stub.mark()
        await self.stub.push_update(self._message_update(**content))
        return await self.replies(mark, replies)

    async def share_contact(self, phone: str, *, user_id: int | None = None, replies: int = 1) -> list[Call]:
        """Press Telegram's "share my number" button (or share someone else's card with ``user_id``)."""
        contact = {"phone_number": phone, "first_name": self.chat.first_name, "user_id": user_id or self.id}
        mark = self.stub.mark()
        await self.stub.push_update(self._message_update(contact=contact))
        return await self.replies(mark, replies)

    async def press(self, message: Message, label: str, *, replies: int = 0) -> PressResult:
        """Press the button labelled ``label`` on ``message``; waits until the bot answered the press."""
        return await self.press_data(message, message.button(label)["callback_data"], replies=replies)

    async def press_data(self, message: Message | None, data: str, *, replies: int = 0) -> PressResult:
        mark = self.stub.mark()
        update, query_id = self.press_update(message, data)
        await self.stub.push_update(update)
        (answer,) = await self.stub.wait_for(
            lambda c: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id,
            since=mark,
        )
        sent = await self.replies(mark, replies) if replies else []
        return PressResult(answer, sent)

    async def replies(self, since: int, count: int) -> list[Call]:
        return await self.stub.wait_for(
            lambda c: c.chat_id == self.id and c.method in ("sendMessage", "sendDocument"),
            since=since,
            count=count,
        )

    def message(self, call: Call) -> Message:
        """The stored message a ``sendMessage`` call created (as it looks now)."""
        return self.chat.messages[int(call.result["message_id"])]


class PressResult:
    def __init__(self, answer: Call, sent: list[Call]) -> None:
        self.answer = answer
        self.sent = sent

    @property
    def alert(self) -> str | None:
        """The text shown to the presser (as an alert or a toast), if any."""
        text = self.answer.params.get("text")
        return str(text) if text else None

    @property
    def show_alert(self) -> bool:
        return self.answer.params.get("show_alert") in (True, "true")
