"""A local Telegram Bot API stand-in and the people who talk to the bot through it."""

from tests.support.telegram.people import FakeUser, PressResult
from tests.support.telegram.stub import BotApiStub, Call, Message

__all__ = ["BotApiStub", "Call", "FakeUser", "Message", "PressResult"]
