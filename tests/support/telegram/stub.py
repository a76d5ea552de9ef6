"""A local stand-in for the Telegram Bot API (aiohttp), for tests and benchmarks.

It serves ``/bot<token>/<method>`` like api.telegram.org: the methods the bot uses, with
Telegram's parameter checks and error replies (message length, callback data of at most 64
bytes, unknown chats, blocked users, "message is not modified", flood limits on request),
long polling with offsets, and webhook delivery with the secret token header. Every call is
recorded, so that tests can assert over everything the bot ever sent.

Tests play the people: ``stub.user(...)`` gives a ``FakeUser`` that sends messages and
presses buttons (see ``people.py``); those become updates the bot receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web

if TYPE_CHECKING:
    from tests.support.telegram.people import FakeUser

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_ALERT = 200
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot made, with its parsed parameters and our answer."""

    seq: int
    method: str  # as Telegram documents it, e.g. "sendMessage"
    params: dict[str, Any]
    ok: bool
    error: str | None = None
    result: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None and str(value).lstrip("-").isdigit() else None

    def texts(self) -> list[str]:
        """Every piece of text this call puts in front of someone (text, caption, buttons, alert, file)."""
        found = [str(self.params[k]) for k in ("text", "caption") if self.params.get(k)]
        markup = self.params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []) + markup.get("keyboard", []):
                for button in row:
                    found.append(str(button.get("text", "")))
                    found.append(str(button.get("url", "")))
        found.extend(data.decode("utf-8", "replace") for data in self.files.values())
        return found


@dataclass
class Message:
    """A message in a chat as the stand-in stores it (bot messages can be edited)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    caption: str | None = None
    edits: int = 0

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button(self, text: str) -> dict[str, Any]:
        matches = [b for b in self.buttons() if b.get("text") == text]
        if not matches:
            labels = [b.get("text") for b in self.buttons()]
            raise AssertionError(f"no button {text!r} on message {self.message_id}; buttons: {labels}")
        return matches[0]


@dataclass
class Chat:
    user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    started: bool = False  # Telegram lets a bot write only to users who wrote to it first
    blocked: bool = False
    messages: dict[int, Message] = field(default_factory=dict)

    def as_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def as_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


class BotApiStub:
    """The stand-in server. ``async with BotApiStub() as stub`` starts it on a free port."""

    def __init__(
        self,
        *,
        token: str = "123456789:AAStandInTokenForTestsOnly_abcdefghij",
        username: str = "intake_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.username = username
        self.host = host
        self.port = port
        self.calls: list[Call] = []
        self.chats: dict[int, Chat] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.webhook_responses: list[int] = []
        self._updates: list[dict[str, Any]] = []  # not yet confirmed by an offset
        self._update_ids = itertools.count(10_000)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._pending_callbacks: set[str] = set()
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._flood: dict[str, list[int]] = {}
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None

    # Server ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> BotApiStub:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._client = ClientSession(timeout=ClientTimeout(total=30))
        return self

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> BotApiStub:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._read_params(request)
        seq = len(self.calls)
        canonical = _CANONICAL.get(method.lower(), method)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods().get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._check_flood(canonical)
            result = await handler(params, files)
        except ApiError as error:
            call = Call(seq, canonical, params, ok=False, error=error.description, files=files)
            await self._record(call)
            body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.status)
        if canonical != "getUpdates" or result:
            await self._record(Call(seq, canonical, params, ok=True, result=result, files=files))
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params = dict(await request.json())
            return params, files
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                name = part.name or ""
                if part.filename:  # type: ignore[union-attr]
                    files[name] = bytes(await part.read())  # type: ignore[union-attr]
                else:
                    params[name] = _decode(await part.text())  # type: ignore[union-attr]
            return params, files
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, str):
                params[name] = _decode(value)
        return params, files

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _methods(self) -> dict[str, Callable[[dict[str, Any], dict[str, bytes]], Any]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "deletemessage": self._delete_message,
        }

    # Test controls --------------------------------------------------------------------

    def flood(self, method: str, *, times: int = 1, retry_after: int = 2) -> None:
        """The next ``times`` calls of ``method`` get 429 Too Many Requests."""
        self._flood.setdefault(method, []).extend([retry_after] * times)

    def _check_flood(self, method: str) -> None:
        pending = self._flood.get(method)
        if pending:
            after = pending.pop(0)
            raise ApiError(429, f"Too Many Requests: retry after {after}", retry_after=after)

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "nl",
    ) -> FakeUser:
        from tests.support.telegram.people import FakeUser

        chat = self.chats.get(user_id)
        if chat is None:
            chat = self.chats[user_id] = Chat(user_id, first_name, last_name, username, language_code)
        return FakeUser(self, chat)

    def mark(self) -> int:
        """A position in the call log; pass it as ``since`` to wait for what comes after."""
        return len(self.calls)

    async def wait_for(
        self, predicate: Callable[[Call], bool], *, since: int = 0, count: int = 1, within: float = 15.0
    ) -> list[Call]:
        """The first ``count`` successful calls after ``since`` that match, waiting for them."""

        def found() -> list[Call]:
            return [c for c in self.calls[since:] if c.ok and predicate(c)]

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(found()) >= count), within)
            except TimeoutError:
                seen = [
                    (c.method, c.chat_id, c.ok, c.error, c.params.get("text")) for c in self.calls[since:]
                ]
                raise AssertionError(f"waited {within}s for {count} call(s); saw {seen}") from None
            return found()[:count]

    def sent_to(self, chat_id: int) -> list[Call]:
        """Every successful call that showed something in this chat."""
        return [c for c in self.calls if c.ok and c.chat_id == chat_id and c.method != "getUpdates"]

    # Updates --------------------------------------------------------------------------

    async def push_update(self, payload: dict[str, Any]) -> int:
        """Queue an update for getUpdates, or POST it to the webhook if one is set."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **payload}
        if self.webhook is not None:  # like Telegram, wait for the webhook's answer
            await self._deliver(update)
            return update_id
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update_id

    async def push_updates(self, payloads: list[dict[str, Any]]) -> list[int]:
        """Queue several updates at once: one getUpdates call returns them together."""
        ids = []
        async with self._changed:
            for payload in payloads:
                update_id = next(self._update_ids)
                self._updates.append({"update_id": update_id, **payload})
                ids.append(update_id)
            self._changed.notify_all()
        return ids

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def _deliver(self, update: dict[str, Any]) -> None:
        assert self._client is not None and self.webhook is not None
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with self._client.post(self.webhook["url"], json=update, headers=headers) as response:
            await response.read()
            self.webhook_responses.append(response.status)

    async def _get_updates(self, params: dict[str, Any], files: dict[str, bytes]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        async with self._changed:
            self._poll_generation += 1  # an older pending getUpdates ends with a conflict
            generation = self._poll_generation
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._changed.notify_all()
            deadline = time.monotonic() + timeout
            while not self._updates:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
                if self._poll_generation != generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
            return self._updates[:limit]

    # Methods --------------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Intake",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _chat(self, params: dict[str, Any]) -> Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad("chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None or not chat.started:
            raise bad("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _check_text(self, text: Any, *, limit: int = MAX_TEXT, what: str = "message text") -> str:
        if not isinstance(text, str) or not text.strip():
            raise bad(f"{what} is empty")
        if utf16_length(text) > limit:
            raise bad("message is too long" if what == "message text" else "message caption is too long")
        return text

    def _check_parse_mode(self, params: dict[str, Any]) -> None:
        mode = params.get("parse_mode")
        if mode not in (None, "", "HTML", "Markdown", "MarkdownV2"):
            raise bad(f"unsupported parse_mode {mode!r}")

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return markup
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    text = button if isinstance(button, str) else button.get("text")
                    if not text:
                        raise bad("keyboard button text is empty")
            return markup
        if markup.get("remove_keyboard") is True or "force_reply" in markup:
            return markup
        raise bad("can't parse reply keyboard markup JSON object")

    def _check_inline_button(self, button: Any) -> None:
        if not isinstance(button, dict) or not button.get("text"):
            raise bad("text buttons are unallowed in the inline keyboard")
        kinds = [
            k for k in ("url", "callback_data", "switch_inline_query", "login_url", "pay") if k in button
        ]
        if len(kinds) != 1:
            raise bad("BUTTON_TYPE_INVALID")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise bad("BUTTON_DATA_INVALID")
        if "url" in button:
            url = str(button["url"])
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            if parts.scheme not in ("http", "https", "tg") or (
                parts.scheme != "tg"
                and (host in ("localhost", "") or host.startswith("127.") or "." not in host)
            ):
                raise bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _store(self, chat: Chat, **fields: Any) -> Message:
        message = Message(
            next(self._message_ids), chat.user_id, from_bot=True, date=int(time.time()), **fields
        )
        chat.messages[message.message_id] = message
        return message

    def message_json(self, chat: Chat, message: Message) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": chat.as_chat(),
        }
        if message.from_bot:
            body["from"] = {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Intake",
                "username": self.username,
            }
        else:
            body["from"] = chat.as_user()
        if message.text is not None:
            body["text"] = message.text
        if message.caption is not None:
            body["caption"] = message.caption
        if message.document is not None:
            body["document"] = message.document
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            body["reply_markup"] = message.reply_markup
        if message.edits:
            body["edit_date"] = int(time.time())
        return body

    async def _send_message(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat = self._chat(params)
        text = self._check_text(params.get("text"))
        self._check_parse_mode(params)
        markup = self._check_markup(params.get("reply_markup"))
        message = self._store(chat, text=text, reply_markup=markup)
        return self.message_json(chat, message)

    def _bot_message(self, params: dict[str, Any]) -> tuple[Chat, Message]:
        if params.get("inline_message_id"):
            raise bad("inline messages are not supported by the stand-in")
        chat = self._chat(params)
        try:
            message_id = int(params.get("message_id") or 0)
        except (TypeError, ValueError):
            raise bad("message to edit not found") from None
        message = chat.messages.get(message_id)
        if message is None or not message.from_bot:
            raise bad("message to edit not found")
        return chat, message

    async def _edit_message_text(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat, message = self._bot_message(params)
        text = self._check_text(params.get("text"))
        self._check_parse_mode(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad("inline keyboard expected")
        if text == message.text and markup == message.reply_markup:
            raise bad(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        message.text, message.reply_markup = text, markup
        message.edits += 1
        return self.message_json(chat, message)

    async def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        chat, message = self._bot_message(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad("inline keyboard expected")
        if markup == message.reply_markup or (not markup and not message.reply_markup):
            raise bad(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        message.reply_markup = markup
        message.edits += 1
        return self.message_json(chat, message)

    async def _delete_message(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        chat = self._chat(params)
        message_id = int(params.get("message_id") or 0)
        if chat.messages.pop(message_id, None) is None:
            raise bad("message to delete not found")
        return True

    async def _answer_callback_query(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._pending_callbacks:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and utf16_length(str(text)) > MAX_ALERT:
            raise bad("MESSAGE_TOO_LONG")
        self._pending_callbacks.discard(query_id)
        return True

    async def _send_document(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat = self._chat(params)
        document = params.get("document")
        if not isinstance(document, str) or not document:
            raise bad("there is no document in the request")
        if document.startswith("attach://"):
            name = document.removeprefix("attach://")
            if name not in files:
                raise bad("wrong HTTP URL specified")
            data = files[name]
            if not data:
                raise bad("file must be non-empty")
        caption = params.get("caption")
        if caption is not None:
            self._check_text(caption, limit=MAX_CAPTION, what="message caption")
        self._check_parse_mode(params)
        markup = self._check_markup(params.get("reply_markup"))
        file_id = secrets.token_urlsafe(12)
        message = self._store(
            chat,
            caption=caption,
            reply_markup=markup,
            document={
                "file_id": file_id,
                "file_unique_id": file_id[:8],
                "file_size": sum(map(len, files.values())),
            },
        )
        return self.message_json(chat, message)

    async def _set_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self.webhook = None
            return True
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not SECRET.match(str(secret)):
            raise bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        self.webhook = {
            "url": url,
            "secret_token": str(secret) if secret else None,
            "allowed_updates": params.get("allowed_updates"),
        }
        async with self._changed:
            self._poll_generation += 1  # a pending getUpdates ends with a conflict
            self._changed.notify_all()
        return True

    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _set_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("commands must be an array of at most 100 BotCommand")
        for command in commands:
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not COMMAND.match(name):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad("LANG_CODE_INVALID")
        scope = params.get("scope") or {"type": "default"}
        self.commands[(str(scope.get("type")), language)] = commands
        return True

    # Helpers for FakeUser -------------------------------------------------------------

    def new_message_id(self) -> int:
        return next(self._message_ids)

    def new_callback_id(self) -> str:
        query_id = str(next(self._callback_ids) * 7919 + 10**12)
        self._pending_callbacks.add(query_id)
        return query_id


_CANONICAL = {
    name.lower(): name
    for name in (
        "getMe",
        "getUpdates",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "sendDocument",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "setMyCommands",
        "deleteMessage",
    )
}


def _decode(value: str) -> Any:
    """Form values are strings; objects, arrays and booleans arrive JSON-encoded."""
    if value[:1] in ("{", "[") or value in ("true", "false"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
