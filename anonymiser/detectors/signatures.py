"""E-mail structure: header lines ("Van: Naam <mail>"), quoted-reply lines ("schreef X
<mail>:"), sign-offs with the name under or after them ("Groet,\\nFatima", "Groetjes,
Jozefien"), the signature block below the name (organisation lines) and a bare name as
the last line of a message."""

from __future__ import annotations

import re

from anonymiser.lexicon import Lexicon
from anonymiser.state import DocState, Priority
from anonymiser.vocab import JOB_WORDS, NAME_PARTICLES, SIGN_OFFS, TITLES
from anonymiser.words import Word

HEADER = re.compile(
    r"^[ \t>]*(?i:from|to|cc|bcc|van|aan|afzender|sender)[ \t]*:[ \t]*(?P<value>.+)$", re.MULTILINE
)
# Names start at a word start and have bounded parts: no quadratic backtracking on odd input.
_NAME = (
    r"(?<![\w'’.-])[A-Z][\w'’.-]{0,40}"
    r"(?:[ \t]+(?:[A-Z][\w'’.-]{0,40}|van|de|der|den|el|al|'t|ter|ten|le|la|da|di|von|dos|do|bin)){0,5}"
)
NAME_BEFORE_ADDRESS = re.compile(rf"(?=[A-Z])(?P<name>{_NAME})[ \t]*[<(\[][^>)\]\s]+@[^>)\]\s]+[>)\]]")
# "... schreef Sophie de Ridder:", "Gwen Davies wrote:"
REPLY_LINE = re.compile(
    rf"(?=[swgA-Z])(?:schreef|wrote|geschreven)[ \t]+(?P<name>{_NAME})[ \t]*:"
    rf"|(?P<before>{_NAME})[ \t]+(?:wrote|schreef)[ \t]*:"
)
# Sign-offs start a line or a sentence; those places are found first (a cheap pattern),
# then compared with the phrases.
SENTENCE_START = re.compile(r"(?:^|(?<=[.!?])[ \t]+|(?<=\n))[ \t>]*(?=[^\W\d_])", re.MULTILINE)
SIGN_OFF_PHRASES = tuple(sorted(SIGN_OFFS, key=len, reverse=True))
AFTER_SIGN_OFF = re.compile(r"[ \t]*[,!.:]*[ \t]*(?=$|\n|\w)", re.MULTILINE)
FIELD_LABEL = re.compile(
    r"^(?i:[A-Z]{1,3}|tel|mob|mobile|gsm|phone|email|e-mail|web|website|post|address|adres|fax)\s*[:.]\s*"
)
SEGMENT_SEPARATOR = re.compile(r"\s*(?:[|·•,]|\s[-–—]\s)\s*")
LAST_LINE_NAME = re.compile(
    r"^[ \t>]*(?P<name>[A-Z][\w'’-]{1,40}"
    r"(?:[ \t]+(?:[A-Z][\w'’-]{1,40}|van|de|der|den|'t|ter|el)){0,3})[ \t]*$"
)
DASH_NAME = re.compile(  # "... plan ahead. - Steve"
    r"(?:^|\s)[-–—][ \t]*(?P<name>[A-Z][\w'’-]{1,40}(?:[ \t]+[A-Z][\w'’-]{1,40})?)[ \t]*$", re.MULTILINE
)
LINE_LOOKAHEAD = 300  # how far to look for the end of a line
MAX_SIGNATURE_LINES = 8
MAX_NAME_WORDS = 5
NAME_END = re.compile(r"\s*(?:,|\||\(|\s[-–]\s)")  # "Maria Dela Cruz, RN", "Jan Bos | Planner"
NOT_A_NAME_AFTER_SIGN_OFF = re.compile(r"(?i)(?:uit|from|van|en|and|voor|for|in|aan|to)\b")  # "Groetjes uit"


class SignatureRules:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def _name_words_ok(self, words: list[Word], allow_single_lower: bool = False) -> bool:
        """Words that make up a name: capitalised (or a lower-case chat name alone), with
        at least one known or unusual word among them, and no job title or greeting."""
        if not words or len(words) > MAX_NAME_WORDS:
            return False
        lexicon = self.lexicon
        if allow_single_lower and len(words) == 1 and words[0].text == words[0].lower:
            word = words[0]
            if lexicon.never_name(word) or not word.is_alpha:
                return False
            return lexicon.first_name(word) or not lexicon.common(word)
        evidence = False
        for word in words:
            if word.lower in NAME_PARTICLES and not word.is_title:
                continue
            if word.is_initials:
                evidence = True
                continue
            job = word.lower in JOB_WORDS and not lexicon.surname(word)
            if not word.is_title or not word.is_alpha or job:
                return False
            if lexicon.never_name(word) or lexicon.org_head(word):
                return False
            known = lexicon.first_name(word) or lexicon.surname(word)
            evidence = evidence or known or not lexicon.common(word)
        return evidence

    def _add_name(
        self,
        state: DocState,
        start: int,
        end: int,
        priority: int = Priority.STRUCTURE,
        allow_single_lower: bool = False,
        writer: bool = False,
    ) -> bool:
        words = state.words_between(start, end)
        while words and words[0].lower.rstrip(".") in TITLES:
            words = words[1:]
        if not self._name_words_ok(words, allow_single_lower) or any(state.in_pattern(w) for w in words):
            return False
        last_end = words[-1].end
        if words[-1].is_initials and state.text[last_end : last_end + 1] == ".":
            last_end += 1
        state.add(words[0].start, last_end, "PERSON", priority)
        if writer:
            state.note_writer(self.lexicon.gender(words[0]))
        return True

    def headers(self, state: DocState) -> None:
        """'Van: Anouk Verbeek <a.verbeek@example.nl>', 'To: Koen Smit; Eva Bos'."""
        if ":" not in state.text:
            return
        for match in HEADER.finditer(state.text):
            value_start = match.start("value")
            for part in re.finditer(r"[^;]+", match.group("value")):
                segment = part.group()
                name_end = segment.find("<")
                if name_end < 0:
                    if "@" in segment:
                        continue
                    name_end = len(segment)
                raw = segment[:name_end].strip().strip("\"'")
                if raw:
                    offset = value_start + part.start() + segment.find(raw)
                    self._add_name(state, offset, offset + len(raw))

    def quoted(self, state: DocState) -> None:
        """'Sam Whitaker <sam@...>', 'On 4 Mar 2025, at 10:15, Gwen Davies <...> wrote:'."""
        text = state.text
        patterns = []
        if "@" in text:
            patterns.append(NAME_BEFORE_ADDRESS)
        if state.mentions("wrote", "schreef", "geschreven"):
            patterns.append(REPLY_LINE)
        for pattern in patterns:
            for match in pattern.finditer(text):
                group = "name" if match.group("name") else "before"
                start, end = match.span(group)
                # Drop leading words that belong to the sentence ("2025, at 10:15, Gwen").
                words = state.words_between(start, end)
                for first in range(len(words)):
                    if (words[first].is_title or words[first].is_initials) and self._add_name(
                        state, words[first].start, words[-1].end
                    ):
                        break

    def _sign_off_ends(self, state: DocState) -> list[int]:
        """End offsets of the sign-off phrases ("Met vriendelijke groet,") in the text."""
        lower = state.lower_text
        ends = []
        for start in SENTENCE_START.finditer(lower):
            position = start.end()
            if not lower.startswith(SIGN_OFF_PHRASES, position):
                continue
            phrase = next(p for p in SIGN_OFF_PHRASES if lower.startswith(p, position))
            end = position + len(phrase)
            if end < len(lower) and lower[end].isalnum():
                continue  # "Beste", not "best"
            after = AFTER_SIGN_OFF.match(lower, end)
            if after:
                ends.append(after.end())
        return ends

    def sign_offs(self, state: DocState) -> None:
        text = state.text
        for match_end in self._sign_off_ends(state):
            line_end = text.find("\n", match_end, match_end + LINE_LOOKAHEAD)
            line_end = min(len(text), match_end + LINE_LOOKAHEAD) if line_end < 0 else line_end
            rest = text[match_end:line_end]
            if rest.strip():
                # Inline: "Groetjes, Jozefien" / "gr Bart"; not "Groetjes uit Arnhem".
                stripped = rest.strip().rstrip("!.🙂😊")
                if NOT_A_NAME_AFTER_SIGN_OFF.match(stripped):
                    continue
                offset = match_end + rest.find(stripped)
                self._add_name(state, offset, offset + len(stripped), allow_single_lower=True, writer=True)
                continue
            self._block_after(state, line_end)

    def _block_after(self, state: DocState, position: int) -> None:
        """The lines after a sign-off: the sender's name, then signature lines."""
        text = state.text
        lines = []
        cursor = position
        while cursor < len(text) and len(lines) < MAX_SIGNATURE_LINES + 1:
            line_start = cursor + 1
            line_end = text.find("\n", line_start, line_start + LINE_LOOKAHEAD)
            line_end = min(len(text), line_start + LINE_LOOKAHEAD) if line_end < 0 else line_end
            line = text[line_start:line_end]
            cursor = line_end
            if not line.strip():
                if lines:
                    break
                continue
            lines.append((line_start, line_end))
        if not lines:
            return
        name_start, name_end = lines[0]
        line = text[name_start:name_end]
        cut = NAME_END.search(line)
        named_end = name_start + (cut.start() if cut else len(line.rstrip()))
        leading = len(line) - len(line.lstrip(" \t>"))
        named = self._add_name(state, name_start + leading, named_end, allow_single_lower=True, writer=True)
        self._signature_lines(state, lines[1:] if named else lines)

    def _signature_lines(self, state: DocState, lines: list[tuple[int, int]]) -> None:
        text = state.text
        for line_start, line_end in lines:
            line = text[line_start:line_end]
            if len(line.split()) > 12:
                break  # a disclaimer or prose: the signature is over
            for segment in SEGMENT_SEPARATOR.split(line):
                cleaned = FIELD_LABEL.sub("", segment.strip(" \t>"))
                if not cleaned or any(char.isdigit() or char in "@/:" for char in cleaned):
                    continue
                offset = line_start + line.find(cleaned)
                self._organisation_or_place(state, offset, offset + len(cleaned))

    def _organisation_or_place(self, state: DocState, start: int, end: int) -> None:
        words = state.words_between(start, end)
        if not words or len(words) > 6 or any(state.in_pattern(w) for w in words):
            return
        if any(self.lexicon.job(w) for w in words):
            return
        key = " ".join(w.lower for w in words)
        if self.lexicon.country(key):
            return
        if self.lexicon.place(key):
            state.add(start, end, "LOCATION", Priority.STRUCTURE)
            return
        capitalised = [w for w in words if w.is_capitalised]
        if (
            capitalised
            and words[0].is_capitalised
            and len(capitalised) >= len(words) - 2
            and not all(self.lexicon.never_name(w) for w in capitalised)
        ):
            state.add(start, end, "ORGANIZATION", Priority.STRUCTURE)

    def last_line(self, state: DocState) -> None:
        text = state.text.rstrip()
        window = max(0, len(text) - LINE_LOOKAHEAD)
        line_start = max(text.rfind("\n", window) + 1, window)
        match = LAST_LINE_NAME.match(text[line_start:])
        if match:
            start, end = line_start + match.start("name"), line_start + match.end("name")
            key = " ".join(w.lower for w in state.words_between(start, end))
            if self.lexicon.place(key):
                state.add(start, end, "LOCATION", Priority.STRUCTURE)
            else:
                self._add_name(state, start, end, Priority.CONTEXT)
        dashes = "-" in state.text or "–" in state.text or "—" in state.text
        for match in DASH_NAME.finditer(state.text) if dashes else ():
            self._add_name(state, *match.span("name"), Priority.CONTEXT)

    def detect(self, state: DocState) -> None:
        self.headers(state)
        self.quoted(state)
        self.sign_offs(state)
        self.last_line(state)
