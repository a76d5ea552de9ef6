"""Hard negatives: words that look like names but must stay. Eponymous conditions
("ziekte van Pfeiffer", "Parkinson", "Down syndrome"), job titles in lower case ("ik werk
als bakker", "visser op een kotter") and generic services (UWV, huisarts, GGZ, NHS)."""

from __future__ import annotations

import re

from anonymiser.state import DocState
from anonymiser.vocab import EPONYMS, GENERIC_SERVICES, JOB_WORDS

# Eponyms that are (almost) never a person's name in these messages.
ALWAYS_CONDITIONS = frozenset(
    {
        "parkinson",
        "alzheimer",
        "crohn",
        "pfeiffer",
        "hashimoto",
        "ménière",
        "meniere",
        "hodgkin",
        "huntington",
        "asperger",
        "tourette",
        "lyme",
        "bechterew",
        "sjögren",
        "raynaud",
        "kahler",
        "duchenne",
        "creutzfeldt-jakob",
        "guillain-barré",
    }
)
CONDITION_STEMS = ("ziekte", "syndro", "morbus", "disease", "lymph", "lymf", "disorder", "palsy", "dement")
CONDITION_WORDS = (
    r"(?:ziekte|syndroom|morbus|disease|syndrome|lymphoma|lymfoom|disorder|palsy|dementie|dementia)"
)
# "ziekte van Pfeiffer", "syndrome of Down"
CONDITION_AFTER = re.compile(
    rf"(?=[zZsSmMdDlLpP])(?i:{CONDITION_WORDS})\s+(?i:van|of)\s+(?P<name>[A-Z][\w'’-]{{1,40}})"
)
# "Crohn's disease", "Down syndrome"
CONDITION_BEFORE = re.compile(
    rf"(?=[A-Z])(?<![\w-])(?P<name>[A-Z][\w-]{{1,40}}(?:['’]s?)?)\s+(?i:{CONDITION_WORDS})\b"
)
# "Tourette-syndroom"
CONDITION_COMPOUND = re.compile(
    r"(?=[A-Z])\b(?P<name>[A-Z][\w-]{1,40}-(?:syndroom|ziekte|disease|syndrome))\b"
)


def _base(lower: str) -> str:
    return lower[:-2] if lower.endswith("'s") else lower.rstrip("'")


def detect(state: DocState, lang: str) -> None:
    text = state.text
    for word in state.words:
        lower = word.lower
        if word.is_capitalised and _base(lower) in ALWAYS_CONDITIONS:
            state.protect(word.start, word.end)
        elif lower in GENERIC_SERVICES or (lower in JOB_WORDS and word.text == lower):
            state.protect(word.start, word.end)
    if not state.mentions(*CONDITION_STEMS):
        return
    for pattern in (CONDITION_AFTER, CONDITION_BEFORE, CONDITION_COMPOUND):
        for match in pattern.finditer(text):
            name = match.group("name").lower().replace("’", "'")
            if pattern is CONDITION_COMPOUND or name in EPONYMS or _base(name) in EPONYMS:
                state.protect(*match.span("name"))
