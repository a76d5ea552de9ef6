"""The candidate's own words from a mail body: quoted replies, signatures and the header
blocks of forwarded mail removed; forwarded content kept after the sender's own text.

Pure functions on text (and HTML, through ``html_text``), so they are easy to test.
"""

from __future__ import annotations

import re

import html_text
from lxml import etree

# "---------- Forwarded message ---------", "-----Oorspronkelijk bericht-----", "Begin forwarded message:"
_FORWARD_MARK = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|doorgestuurd bericht|original message|oorspronkelijk bericht|"
    r"origineel bericht|oorspronkelijk e-?mailbericht|weitergeleitete nachricht|message transféré|"
    r"urspr(ü|ue)ngliche nachricht)\s*-*|begin (forwarded|doorgestuurd) (message|bericht):?)\s*$",
    re.I,
)
# The header lines of a quoted or forwarded mail, in the languages mail clients here speak.
_HEADER_LINE = re.compile(
    r"^\s*\*?(from|van|von|de|date|datum|sent|verzonden|verzonden op|gesendet|envoyé|to|aan|an|à|cc|bcc|"
    r"subject|onderwerp|betreff|objet|reply-to|antwoord aan)\s*:\*?\s",
    re.I,
)
_FROM_LINE = re.compile(r"^\s*\*?(from|van|von|de)\s*:\*?\s", re.I)
_SENT_LINE = re.compile(r"^\s*\*?(sent|date|datum|verzonden|verzonden op|gesendet|envoyé)\s*:\*?\s", re.I)
# "On Mon, 3 Feb 2025 at 10:00, Ann <ann@example.org> wrote:", "Op ma 3 feb. 2025 schreef Ann <...>:"
_ATTRIBUTION = re.compile(
    r"^\s*(on|op|am|le|el)\s.{4,300}\b(wrote|schreef|geschreven|schrieb|a écrit|escribió)\b.{0,200}:\s*$",
    re.I,
)
_ATTRIBUTION_END = re.compile(r"^\s*.{0,200}(wrote|schreef|geschreven|schrieb|a écrit)\s*:\s*$", re.I)
_SIGNATURE = re.compile(r"^(-- ?|__+)$")
_MOBILE_FOOTER = re.compile(
    r"^\s*(sent from my|verzonden (vanaf|met) mijn|verstuurd (vanaf|met) mijn|von meinem .* gesendet|"
    r"get outlook for|outlook voor (ios|android) downloaden)",
    re.I,
)
_BLANK_RUNS = re.compile(r"\n{3,}")


def own_words(text: str, *, forward: bool = False) -> str:
    """The text without quoted replies and signature; forwarded content kept after it.

    ``forward``: the mail says it is a forward (subject ``Fwd:``), so an Outlook-style header
    block (``From:`` / ``Sent:``) starts forwarded content rather than a quoted reply."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _forward_start(lines, forward)
    if start is None:
        return _tidy(_strip_reply(lines))
    own = _strip_reply(lines[:start])
    forwarded = own_words("\n".join(_skip_header_block(lines[start:])))
    return _tidy("\n\n".join(part for part in (own, forwarded) if part.strip()))


def _forward_start(lines: list[str], forward: bool) -> int | None:
    for index, line in enumerate(lines):
        if _FORWARD_MARK.match(line):
            if forward or "forward" in line.lower() or "doorgestuurd" in line.lower():
                return index
            return None  # "Original Message" in a reply: a quote, cut by _strip_reply
        if forward and _outlook_block_at(lines, index):
            return index
    return None


def _outlook_block_at(lines: list[str], index: int) -> bool:
    if not _FROM_LINE.match(lines[index]):
        return False
    return any(_SENT_LINE.match(line) for line in lines[index + 1 : index + 5])


def _skip_header_block(lines: list[str]) -> list[str]:
    """Drop the marker line and the header lines after it (names and addresses of others)."""
    index = 0
    if lines and _FORWARD_MARK.match(lines[0]):
        index = 1
    seen_header = False
    while index < len(lines):
        line = lines[index]
        if _HEADER_LINE.match(line):
            seen_header = True
        elif line.strip() and seen_header:
            break
        elif line.strip() and not seen_header:
            break
        index += 1
    return lines[index:]


def _strip_reply(lines: list[str]) -> str:
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if (
            _SIGNATURE.match(line.rstrip("\n"))
            or _FORWARD_MARK.match(line)
            or _outlook_block_at(lines, index)
        ):
            break  # everything below is signature or the quoted original
        if stripped.startswith(">"):
            continue
        if _ATTRIBUTION.match(line) and _next_is_quote(lines, index):
            continue
        if _ATTRIBUTION_END.match(line) and _next_is_quote(lines, index):
            _drop_wrapped_attribution(kept)
            continue
        if _MOBILE_FOOTER.match(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def _next_is_quote(lines: list[str], index: int) -> bool:
    """The next non-empty line is quoted (or there is none: a reply with its quote cut off)."""
    for line in lines[index + 1 :]:
        if line.strip():
            return line.lstrip().startswith(">")
    return True


def _drop_wrapped_attribution(kept: list[str]) -> None:
    """Gmail wraps a long "On ... wrote:" line: drop its first half too."""
    if kept and re.match(r"^\s*(on|op|am|le)\s", kept[-1], re.I) and len(kept[-1]) < 300:
        kept.pop()


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


# HTML ----------------------------------------------------------------------------------

_QUOTE_XPATHS = tuple(  # compiled once, not for every HTML part
    etree.XPath(path)
    for path in (
        "//blockquote[@type='cite']",  # Apple Mail, Thunderbird
        "//div[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]",
        "//div[contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')]",
        "//div[@id='appendonsend']/following-sibling::*",  # Outlook: the quoted original
        "//div[@id='divRplyFwdMsg']",
        "//div[@id='appendonsend']",
    )
)


def html_to_text(html: str, *, keep_quotes: bool = False) -> str:
    """Readable text from HTML; quoted replies are left out unless ``keep_quotes``."""
    if not html.strip():
        return ""
    try:
        tree = html_text.parse_html(html)
    except (etree.ParserError, ValueError):
        return ""
    if not keep_quotes:
        for xpath in _QUOTE_XPATHS:
            for node in xpath(tree):
                parent = node.getparent()
                if parent is not None:
                    parent.remove(node)
    return html_text.extract_text(tree)
