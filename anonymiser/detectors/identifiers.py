"""Identifying numbers: IBAN (mod 97), BSN (11-check), NHS (mod 11), UK NI, Belgian national
and company numbers (mod 97), Irish PPS, VAT and KvK numbers, and codes next to a word that
names them ("klantnummer", "case reference") or that look like file codes ("OH/2025/0331")."""

from __future__ import annotations

import re

from anonymiser.state import DocState, Priority

# IBAN lengths of the SEPA countries and the UK (the IBAN registry).
IBAN_LENGTHS = {
    "AD": 24,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "VA": 22,
    "TR": 26,
    "UA": 29,
    "MA": 28,
    "SA": 24,
    "AE": 23,
}
# Patterns start with a lookahead for their first character: Python's regex engine then
# skips other positions quickly (several times faster on ordinary text).
IBAN = re.compile(r"(?=[A-Z])\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
NINE_DIGITS = re.compile(  # a BSN, also written "1234.56.789" or "123 456 789"
    r"(?=\d)(?<![\d.,-])(?:\d{9}|\d{8}|\d{4}[. ]\d{2}[. ]\d{3}|\d{3}[. ]\d{3}[. ]\d{3})(?![\d-]|[.,]\d)"
)
NHS = re.compile(r"(?=\d)(?<![\d.-])[1-9]\d{2}[ -]?\d{3}[ -]?\d{4}(?![\d-])")
UK_NI = re.compile(r"(?=[A-Z])\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
BE_NATIONAL = re.compile(r"(?=\d)(?<![\d.])\d{2}\.?\d{2}\.?\d{2}[-. ]?\d{3}\.?\d{2}(?![\d.])")
BE_COMPANY = re.compile(r"(?=[\dB])(?<![\d.])(?:BE ?)?[01]\d{3}[. ]?\d{3}[. ]?\d{3}(?![\d.])")
IE_PPS = re.compile(r"(?=\d)\b\d{7}[A-W][A-IW]?\b")
VAT = re.compile(r"(?=[NGDI])\b(?:NL\d{9}B\d{2}|GB ?\d{3} ?\d{4} ?\d{2}|DE ?\d{9}|IE ?\d{7}[A-W][A-IW]?)\b")
KVK = re.compile(
    r"(?=[kKcC])(?i:\b(?:kvk|k\.v\.k\.|kamer van koophandel|coc|company number|companies house)\b)"
    r"[\w\s.:#-]{0,28}?(?<!\d)(?P<number>\d{8})(?!\d)"
)
# A word naming an identifier, then the identifier. Found keyword-first: the keywords end
# a word ("klantnummer", "personeelsnr.") or follow a qualifier ("employee ID").
ID_KEYWORD = re.compile(  # run on the lower-cased text
    r"(?=[nrikdpbc#])(?:nummer|nr\b\.?|number|\bno\b\.?|\bid\b|\bref\b\.?|reference|referentie|"
    r"kenmerk|\bdossier\b|\bpolis\b|\bbsn\b|\bcode\b|\#)"
)
NOT_ID_WORDS = frozenset(
    {
        "telefoonnummer",
        "telefoonnr",
        "mobiel",
        "mobiele",
        "gsm-nummer",
        "gsmnummer",
        "huisnummer",
        "werknummer",
        "faxnummer",
        "phone",
        "mobile",
        "contact",
        "whatsapp",
        "tel",
        "telephone",
        "fax",
        "home",
        "work",
        "my",
        "mijn",
        "mn",
        "this",
        "dit",
        "that",
        "dat",
        "the",
        "een",
        "a",
        "house",
        "huis",
        "any",
        "same",
        "new",
        "nieuwe",
        "old",
        "oude",
    }
)
NEEDS_QUALIFIER = frozenset({"nummer", "nr", "number", "no", "code", "#", "id", "ref"})
ID_QUALIFIERS = frozenset(
    {
        "employee",
        "staff",
        "student",
        "customer",
        "client",
        "member",
        "membership",
        "policy",
        "case",
        "file",
        "reference",
        "application",
        "registration",
        "passport",
        "licence",
        "license",
        "insurance",
        "ni",
        "nhs",
        "pps",
        "tax",
        "vat",
        "order",
        "booking",
        "invoice",
        "po",
        "claim",
        "patient",
        "payroll",
        "personnel",
        "badge",
        "ticket",
        "account",
        "budget",
        "big",
        "company",
        "kvk",
        "btw",
        "klant",
        "cliënt",
        "dossier",
        "relatie",
        "lid",
        "personeels",
        "registratie",
        "paspoort",
        "rijbewijs",
        "polis",
        "kostenplaats",
        "ons",
        "uw",
        "your",
        "our",
        "oh",
        "bsn",
        "id",
        "social",
        "security",
        "national",
    }
)
# Between the keyword and the code: "is", ":", "(", "heb ik al:", "in case you need it".
ID_FILLER = re.compile(
    r"\s*(?:(?:is|was|of|van|heb|ik|al|my|mijn|nog|staat|op|in|case|you|need|it|for|voor)\b\s*|[:#(=-]\s*)*"
)
ID_CODE = re.compile(
    r"[A-Z]{1,3}\ ?\d{2}(?:\ ?\d{2}){2,3}(?:\ ?[A-Z])?(?![\w/.-])"
    r"|\d{2,4}(?:\ \d{2,4}){1,4}(?![\w/.-])"
    r"|(?=[A-Za-z0-9/.-]{0,30}\d)[A-Za-z0-9][A-Za-z0-9/.-]{2,30}[A-Za-z0-9]"
)
# File codes: capitals and digits in parts ("OH/2025/0331", "TB-2025-0419") or one block
# ("NXR4K81P2"); the digit and letter counts are checked after the (cheap) match.
CODE_WITH_PARTS = re.compile(r"(?=[A-Z0-9])(?<![\w/-])[A-Z0-9]{1,20}(?:[-/][A-Z0-9]{1,20}){1,6}(?![\w/-])")
CODE_BLOCK = re.compile(r"(?=[A-Z0-9])(?<![\w-])[A-Z0-9]{8,12}(?![\w-])")


def _names_identifier(text: str, start: int, end: int) -> bool:
    """The keyword at [start, end) names an identifier, not a phone number."""
    word_start = start
    while word_start > max(0, start - 30) and (text[word_start - 1].isalnum() or text[word_start - 1] in "-"):
        word_start -= 1
    word = text[word_start:end].lower().rstrip(".")
    if word in NOT_ID_WORDS or any(word.startswith(p) for p in ("telefoon", "mobiel", "gsm", "tel")):
        return False
    if word_start < start:  # a compound: "klantnummer", "KvK-nummer"
        return True
    if word not in NEEDS_QUALIFIER:  # "BSN", "kenmerk", "reference" name an identifier themselves
        return True
    previous = re.search(r"([\w-]+)\W{0,3}$", text[max(0, start - 30) : start])
    return previous is not None and previous.group(1).lower() in ID_QUALIFIERS


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def bsn_valid(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if len(digits) == 8:
        digits.insert(0, 0)
    if len(digits) != 9 or not any(digits[:8]):
        return False
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0


def nhs_valid(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def be_national_valid(candidate: str) -> bool:
    digits = "".join(c for c in candidate if c.isdigit())
    if len(digits) != 11:
        return False
    base, check = int(digits[:9]), int(digits[9:])
    return check in (97 - base % 97, 97 - int("2" + digits[:9]) % 97)


def be_company_valid(candidate: str) -> bool:
    digits = "".join(c for c in candidate if c.isdigit())
    return len(digits) == 10 and 97 - int(digits[:8]) % 97 == int(digits[8:])


def pps_valid(candidate: str) -> bool:
    digits, letters = candidate[:7], candidate[7:]
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    if len(letters) == 2:
        total += (ord(letters[1]) - 64 if letters[1] != "W" else 0) * 9
    return letters[0] == "ABCDEFGHIJKLMNOPQRSTUVW"[(total - 1) % 23] if total % 23 else letters[0] == "W"


CHECKED = (
    (IBAN, iban_valid),
    (NINE_DIGITS, bsn_valid),
    (NHS, nhs_valid),
    (BE_NATIONAL, be_national_valid),
    (BE_COMPANY, be_company_valid),
    (IE_PPS, pps_valid),
)


def detect(state: DocState, lang: str) -> None:
    if not state.has_digit:
        return
    text = state.text
    for pattern, valid in CHECKED:
        for match in pattern.finditer(text):
            if valid(match.group()):
                state.add(*match.span(), "ID", Priority.VALIDATED)
    for pattern in (UK_NI, VAT):
        for match in pattern.finditer(text):
            state.add(*match.span(), "ID", Priority.VALIDATED)
    if state.mentions("kvk", "k.v.k", "koophandel", "coc", "compan"):
        for match in KVK.finditer(text):
            state.add(*match.span("number"), "ID", Priority.PATTERN)
    for match in ID_KEYWORD.finditer(state.lower_text):
        if _names_identifier(text, match.start(), match.end()):
            filler = ID_FILLER.match(text, match.end())
            code = ID_CODE.match(text, filler.end())
            if code:
                end = code.end()
                while text[end - 1] in ".-/":
                    end -= 1
                state.add(code.start(), end, "ID", Priority.PATTERN)
    for pattern, letters, digits in ((CODE_WITH_PARTS, 1, 4), (CODE_BLOCK, 2, 3)):
        for match in pattern.finditer(text):
            code = match.group()
            if sum(c.isdigit() for c in code) >= digits and sum(c.isalpha() for c in code) >= letters:
                state.add(*match.span(), "ID", Priority.PATTERN)
