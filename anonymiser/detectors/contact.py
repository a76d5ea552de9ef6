"""E-mail addresses, URLs (with or without scheme) and social-media handles."""

from __future__ import annotations

import re

from anonymiser.state import DocState, Priority

EMAIL = re.compile(r"(?=[\w.+-])(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")
_TLDS = (
    "com|nl|be|io|org|net|eu|de|uk|scot|wales|ie|fr|dev|app|me|info|biz|ai|co|online|site|"
    "tech|studio|design|shop|nu|email|page|blog|xyz|art|works|coach|ly|gg|tv|fm|es|it|pt|pl|"
    "se|dk|no|fi|at|ch|lu|us|ca|au|nz|in|edu|gov|amsterdam|frl|brussels|vlaanderen|gent|london"
)
SCHEME_URL = re.compile(r"(?=[hHwW])\b(?:https?://|www\.)[^\s<>\"'\[\]{}|]+")
# A bare domain is found from its top-level domain (a literal ".com" is fast to search for),
# then extended back over its labels and forward over a path.
TLD = re.compile(rf"\.(?:{_TLDS})(?:\.(?:uk|au|nz))?(?![\w@-])")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
DOMAIN_BEFORE = re.compile(rf"(?<![@\w.-])(?:{_LABEL}\.)*{_LABEL}$")
DOMAIN_WINDOW = 80
PATH = re.compile(r"/[^\s<>\"'\[\]{}|]*")
AT_HANDLE = re.compile(r"(?=@)(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,38}[A-Za-z0-9_])?(?:#\d{4})?")
PLATFORMS = (
    "insta",
    "ig",
    "snap",
    "tiktok",
    "telegram",
    "twitter",
    "discord",
    "threads",
    "bluesky",
    "git",
    "skype",
    "signal",
)
# "insta is jesse.vdberg", "discord: kenji_w#2231"
PLATFORM_HANDLE = re.compile(
    r"(?=[iIsStTdDgG])(?i:\b(?:insta(?:gram)?|ig|snap(?:chat)?|tiktok|telegram|twitter|discord|threads|"
    r"bluesky|github|gitlab|skype|signal)\b)\s*(?:(?:is|:|=|-|handle|naam|name|account|username|op|on)\s*){0,2}"
    r"(?P<handle>[A-Za-z0-9_][A-Za-z0-9_.#-]{2,38}[A-Za-z0-9_])"
)
TRAILING_PUNCTUATION = ".,;:!?)'\""


def _urls(text: str) -> list[tuple[int, int]]:
    has_scheme = "www." in text or "http" in text or "WWW." in text or "HTTP" in text
    spans = [match.span() for match in SCHEME_URL.finditer(text)] if has_scheme else []
    covered = bytearray(len(text) + 1)
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    for match in TLD.finditer(text):
        if covered[match.start()]:
            continue
        domain = DOMAIN_BEFORE.search(text, max(0, match.start() - DOMAIN_WINDOW), match.start())
        if not domain:
            continue
        path = PATH.match(text, match.end())
        end = path.end() if path else match.end()
        spans.append((domain.start(), end))
        covered[domain.start() : end] = b"\x01" * (end - domain.start())
    return spans


def is_url(candidate: str) -> bool:
    return any(start == 0 and end == len(candidate) for start, end in _urls(candidate))


def detect(state: DocState, lang: str) -> None:
    text = state.text
    in_email = bytearray(len(text) + 1)
    has_at = "@" in text
    for match in EMAIL.finditer(text) if has_at else ():
        state.add(*match.span(), "EMAIL", Priority.VALIDATED)
        in_email[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    for start, end in _urls(text):
        while end > start and text[end - 1] in TRAILING_PUNCTUATION:
            end -= 1
        if "." in text[start:end] and not in_email[start]:
            state.add(start, end, "URL", Priority.VALIDATED)
    for match in AT_HANDLE.finditer(text) if has_at else ():
        start, end = match.span()
        while end > start + 1 and text[end - 1] in TRAILING_PUNCTUATION:
            end -= 1
        if end - start > 2:
            state.add(start, end, "USERNAME", Priority.PATTERN)
    if not state.mentions(*PLATFORMS):
        return
    for match in PLATFORM_HANDLE.finditer(text):
        handle = match.group("handle")
        if text[match.start("handle") - 1] == "@":
            continue  # found above
        made_up = any(char in handle for char in "._#0123456789") or handle != handle.lower()
        if made_up and not is_url(handle):
            state.add(*match.span("handle"), "USERNAME", Priority.PATTERN)
