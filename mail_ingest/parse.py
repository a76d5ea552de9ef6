"""Reading received mail with the standard library's ``email`` package (policy ``default``).

Never raises on bad input: malformed MIME, unknown or wrong charsets and broken headers give
the best text that can be read, possibly empty. What the text means is decided in
``intake.services.mail_intake``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser, HeaderParser
from email.utils import getaddresses
from functools import lru_cache

from intake.services.mail_intake import DeliveryReport, IncomingMail
from intake.services.mail_unsubscribe import UnsubscribeMail
from mail_ingest.text import html_to_text, own_words

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_LOOP_HEADERS = (
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "list-help",
    "x-auto-response-suppress",
    "x-loop",
)
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|doorst|wg|tr)\s*:", re.I)


# Parsing a header into the ``default`` policy's objects is the slowest part of reading a
# mail, and the policy does it again on every access. The MIME headers that describe parts
# (no personal data: not when they name a file) are mostly the same few values: those parsed
# objects are kept (they are immutable). Subject and From take a short cut below when their
# text is plain, giving what the policy would.
_CACHED_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})


class _Headers(HeaderRegistry):
    def __call__(self, name: str, value: str) -> BaseHeader:
        if name.lower() in _CACHED_HEADERS and len(value) <= 200 and "name" not in value.lower():
            return _cached_header(self, name.lower(), value)
        return super().__call__(name, value)


@lru_cache(maxsize=512)
def _cached_header(registry: HeaderRegistry, name: str, value: str) -> BaseHeader:
    return HeaderRegistry.__call__(registry, name, value)


_POLICY = policy.default.clone(header_factory=_Headers())


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=_POLICY).parsebytes(raw)  # type: ignore[return-value]


def _raw_header(msg: Message, name: str) -> str | None:
    """The first ``name`` header as it was received (folded lines kept), if it is a plain string
    in a message read with our policy (``compat32`` gives headers back unchanged)."""
    if msg.policy is not _POLICY:
        return None
    name = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == name:
            return value if type(value) is str else None
    return None


# Printable ASCII (and folding whitespace) without encoded words: the default policy gives
# such an unstructured header back as it is, line breaks removed.
_PLAIN_TEXT = re.compile(r"[\x20-\x7e\t\r\n]*")
_LINE_BREAKS = re.compile(r"[\r\n]")
# ``Display Name <local@domain>`` or ``local@domain``, every part a dot-atom: the default
# policy reads the same address (addr_spec) from it.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_PLAIN_ADDRESS = re.compile(
    rf"[ \t]*(?:(?:{_ATOM}[ \t]+)*?(?:{_ATOM}[ \t]*)?<({_DOT_ATOM}@{_DOT_ATOM})>"
    rf"|({_DOT_ATOM}@{_DOT_ATOM}))[ \t]*"
)


def _plain_text(value: str | None) -> str | None:
    if value is None or "=?" in value or not _PLAIN_TEXT.fullmatch(value):
        return None
    return _LINE_BREAKS.sub("", value)


def header(msg: Message, name: str) -> str:
    """A header's decoded value (RFC 2047), or "" if it is missing or cannot be read."""
    plain = _plain_text(_raw_header(msg, name))
    if plain is not None:
        return plain.strip()
    try:
        value = msg.get(name)
        return "" if value is None else str(value).strip()
    except Exception:  # the stdlib's header parser has edge cases that raise on garbage
        try:
            raw = msg.get_all(name, failobj=[""])
            return str(raw[0]).strip() if raw else ""
        except Exception:
            return ""


def message_id(msg: Message) -> str | None:
    found = _MESSAGE_ID.search(header(msg, "Message-ID"))
    return found.group(0) if found else None


def header_block(raw: bytes) -> bytes:
    """The headers of a raw message: a header parser still reads the whole body it is given."""
    ends = [end for end in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if end >= 0]
    return raw[: min(ends) + 2] if ends else raw


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID, reading the header block only (for the SMTP server's duplicate check)."""
    try:
        return message_id(BytesHeaderParser(policy=policy.compat32).parsebytes(header_block(raw)))
    except Exception:
        return None


def _address(msg: Message, name: str) -> str | None:
    plain = _plain_text(_raw_header(msg, name))
    if plain is not None and (found_plain := _PLAIN_ADDRESS.fullmatch(plain)):
        return found_plain.group(1) or found_plain.group(2)
    try:
        value = msg.get(name)
        found = [a.addr_spec for a in getattr(value, "addresses", ()) if a.domain]
        if not found and value is not None:  # compat32 or unparsable: read the plain text
            found = [address for _, address in getaddresses([str(value)]) if "@" in address]
    except Exception:
        return None
    return found[0] if found else None


def _content_type(part: Message) -> tuple[str, str | None, bool]:
    """(content type, declared charset, is an attachment), each header parsed once (the
    ``default`` policy parses a header again on every access)."""
    try:
        header = part.get("content-type")
        ctype = getattr(header, "content_type", None) or part.get_default_type()
        if header is not None and getattr(header, "defects", None) and "/" not in ctype:
            ctype = "text/plain"
        charset = header.params.get("charset") if header is not None and hasattr(header, "params") else None
        disposition = part.get("content-disposition")
        attachment = getattr(disposition, "content_disposition", None) == "attachment"
        return ctype.lower(), charset, attachment
    except Exception:
        return part.get_default_type(), None, False


def _decode(part: Message, declared: str | None) -> str:
    """A text part's content; the declared charset, else UTF-8, else Windows-1252."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        return ""
    for charset in (declared, "utf-8", "cp1252"):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


class _Reader:
    """Walks the MIME tree once: the readable text in order, attachments counted."""

    def __init__(self, forward: bool) -> None:
        self.forward = forward
        self.attachments = 0

    def texts(self, part: Message) -> list[str]:
        ctype, charset, attachment = _content_type(part)
        if ctype == "message/rfc822":
            return self._forwarded(part)
        if attachment and not part.is_multipart():
            self.attachments += 1
            return []
        if ctype == "multipart/alternative":
            return self._alternative(part)
        if ctype == "multipart/related":
            parts = self._parts(part)
            return self.texts(parts[0]) if parts else []
        if part.is_multipart():
            return [text for sub in self._parts(part) for text in self.texts(sub)]
        if ctype == "text/plain":
            return [_decode(part, charset)]
        if ctype == "text/html":
            return [html_to_text(_decode(part, charset), keep_quotes=self.forward)]
        self.attachments += 1  # images, documents, calendar invitations...
        return []

    def _alternative(self, part: Message) -> list[str]:
        parts = self._parts(part)
        types = [_content_type(sub)[0] for sub in parts]
        for preferred in ("text/plain", "text/html"):
            for sub, ctype in zip(parts, types, strict=True):
                if ctype == preferred:
                    found = self.texts(sub)
                    if any(t.strip() for t in found):
                        return found
        return self.texts(parts[-1]) if parts else []

    def _forwarded(self, part: Message) -> list[str]:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            return []
        texts = _Reader(forward=False)
        body = own_words("\n\n".join(texts.texts(inner)))
        self.attachments += texts.attachments
        return [body] if body else []

    @staticmethod
    def _parts(part: Message) -> list[Message]:
        payload = part.get_payload()
        return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _raw_headers(msg: Message) -> dict[str, str]:
    """First value of each top-level header, unparsed (lower-case names). For headers that
    are plain tokens (Message-ID, References, loop headers): parsing each into the ``default``
    policy's header objects is the slowest part of reading a mail."""
    found: dict[str, str] = {}
    try:
        for name, value in msg.raw_items():
            found.setdefault(name.lower(), " ".join(str(value).split()))
    except Exception:
        return {}
    return found


def request(raw: bytes, envelope_sender: str) -> IncomingMail:
    """A mail to intake@, read."""
    msg = _parse(raw)
    raw_headers = _raw_headers(msg)
    subject = header(msg, "Subject")  # RFC 2047: decoded by the default policy
    forward = bool(_FORWARD_SUBJECT.match(subject))
    reader = _Reader(forward)
    body = own_words("\n\n".join(t for t in reader.texts(msg) if t.strip()), forward=forward)
    references = tuple(
        dict.fromkeys(
            _MESSAGE_ID.findall(raw_headers.get("references", "") + " " + raw_headers.get("in-reply-to", ""))
        )
    )
    found_id = _MESSAGE_ID.search(raw_headers.get("message-id", ""))
    language = raw_headers.get("content-language") or raw_headers.get("accept-language") or ""
    return IncomingMail(
        envelope_sender=envelope_sender,
        from_address=_address(msg, "From"),
        message_id=found_id.group(0) if found_id else None,
        subject=subject,
        body=body,
        language_hint=language.split(",")[0].strip() or None,
        attachments=reader.attachments,
        references=references,
        headers={name: raw_headers[name] for name in _LOOP_HEADERS if name in raw_headers},
        is_report=_content_type(msg)[0] == "multipart/report",
    )


def unsubscribe(raw: bytes, envelope_sender: str, recipients: Sequence[str], domain: str) -> UnsubscribeMail:
    """A mail to unsubscribe@ or unsubscribe+TOKEN@ (only its header block is read)."""
    try:
        msg = BytesHeaderParser(policy=_POLICY).parsebytes(header_block(raw))
    except Exception:
        msg = Message()
    tokens = []
    for recipient in recipients:
        local, _, host = recipient.rpartition("@")
        base, plus, tag = local.partition("+")
        if host.lower().rstrip(".") == domain.lower() and base.lower() == "unsubscribe" and plus and tag:
            tokens.append(tag)
    raw_headers = _raw_headers(msg)
    return UnsubscribeMail(
        tokens=tuple(tokens),
        envelope_sender=envelope_sender,
        from_address=_address(msg, "From"),
        message_id=message_id(msg),
        headers={name: raw_headers[name] for name in _LOOP_HEADERS if name in raw_headers},
    )


_RECIPIENT = re.compile(r"^\s*(rfc822\s*;)?\s*<?([^<>\s;]+@[^<>\s;]+)>?\s*$", re.I)
# Feedback types that mean "the recipient does not want this mail" (RFC 5965 section 7.3).
_COMPLAINTS = frozenset({"abuse", "fraud"})


def delivery_report(raw: bytes) -> DeliveryReport:
    """A report to bounces@: a delivery status notification (RFC 3464) or a complaint from a
    feedback loop (ARF, RFC 5965). The Message-IDs it refers to, the recipients that failed
    permanently (action failed, status 5.x.x) or only for now (status 4.x.x), and whether it
    is a complaint and by whom. Anything else reads as an empty report."""
    msg = _parse(raw)
    message_ids: list[str] = []
    failed: list[str] = []
    delayed: list[str] = []
    complaint = False
    complainants: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            hard, soft = _delivery_status(part)
            failed.extend(hard)
            delayed.extend(soft)
        elif ctype == "message/feedback-report":
            fields = _feedback_fields(part)
            if header(fields, "Feedback-Type").lower() in _COMPLAINTS:
                complaint = True
                for value in fields.get_all("Original-Rcpt-To", []):
                    recipient = _RECIPIENT.match(str(value))
                    if recipient:
                        complainants.append(recipient.group(2))
        elif ctype == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                found = message_id(payload[0])
                if found:
                    message_ids.append(found)
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            text = _decode(part, _content_type(part)[1])
            found = message_id(HeaderParser(policy=policy.compat32).parsestr(text))
            if found:
                message_ids.append(found)
    for address in header(msg, "X-Failed-Recipients").split(","):  # Exim, without a DSN part
        if "@" in address and not failed:
            failed.append(address.strip())
    return DeliveryReport(
        tuple(dict.fromkeys(message_ids)),
        tuple(dict.fromkeys(failed)),
        delayed=tuple(dict.fromkeys(delayed)),
        complaint=complaint,
        complainants=tuple(dict.fromkeys(complainants)),
    )


def _delivery_status(part: Message) -> tuple[list[str], list[str]]:
    """(permanently failed, temporarily failed) recipients of a ``message/delivery-status``."""
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return [], []
    failed, delayed = [], []
    for block in blocks:
        if not isinstance(block, Message):
            continue
        action = header(block, "Action").lower()
        status = header(block, "Status")
        recipient = _RECIPIENT.match(header(block, "Final-Recipient") or header(block, "Original-Recipient"))
        if not recipient:
            continue
        if status.startswith("5") or (action == "failed" and not status):
            failed.append(recipient.group(2))
        elif status.startswith("4") and action in ("failed", "delayed"):
            delayed.append(recipient.group(2))
    return failed, delayed


def _feedback_fields(part: Message) -> Message:
    """The fields of a ``message/feedback-report`` (the parser reads them as a message's
    headers; when it could not, they are read from the text)."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return HeaderParser(policy=policy.compat32).parsestr(_decode(part, _content_type(part)[1]))
