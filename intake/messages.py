"""Rendered outgoing messages, channel-neutral, as stored (encrypted) in the outbox.

A message has text (and optionally an e-mail subject and HTML) and actions. Channels show
actions their own way: Telegram as buttons carrying ``action`` and ``ref``, e-mail as links.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class Action:
    name: str  # e.g. "offer.accept"
    ref: str  # opaque id of the object acted on (offer id, request id)
    label: str
    url: str | None = None  # for channels that show links


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    kind: str
    language: str
    text: str
    subject: str | None = None
    html: str | None = None
    actions: tuple[Action, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    # Replace the earlier message of the same thread where the channel can (Telegram edits).
    replaces_previous: bool = False

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> RenderedMessage:
        data = json.loads(raw)
        data["actions"] = tuple(Action(**a) for a in data.get("actions", ()))
        return cls(**data)
