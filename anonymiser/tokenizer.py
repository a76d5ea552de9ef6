"""The pipelines' tokenizer: the anonymiser's word view (``words.split_words``) as spaCy
tokens, with every other non-space character a token of its own.

Why not spaCy's own tokenizer: it is quadratic on long runs without whitespace (2,000
emoji take seconds), and the detectors need one notion of a word for Dutch and English
anyway. Building the ``Doc`` from the word view is linear and tokenises the text once; the
words are handed to the detectors in the document's state.
"""

from __future__ import annotations

from spacy.tokens import Doc
from spacy.vocab import Vocab

from anonymiser.state import DocState, attach
from anonymiser.words import split_words


class WordTokenizer:
    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words = split_words(text)
        tokens: list[str] = []
        spaces: list[bool] = []
        for word in words:
            gap = word.gap_before
            if gap == " " and tokens and not spaces[-1]:
                spaces[-1] = True  # the usual case, without the general loop
            elif gap:
                _add_gap(gap, tokens, spaces)
            tokens.append(word.text)
            spaces.append(False)
        _add_gap(text[words[-1].end if words else 0 :], tokens, spaces)
        doc = Doc(self.vocab, words=tokens, spaces=spaces)
        attach(doc, DocState(text=text, words=words))
        return doc

    # spaCy serialises the tokenizer with the pipeline; this one has no settings.
    def to_bytes(self, **kwargs: object) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: object) -> WordTokenizer:
        return self

    def to_disk(self, path: object, **kwargs: object) -> None:
        return None

    def from_disk(self, path: object, **kwargs: object) -> WordTokenizer:
        return self


def _add_gap(gap: str, tokens: list[str], spaces: list[bool]) -> None:
    """Punctuation and symbols become one-character tokens; a single space after a token is
    its trailing space; any other whitespace is a whitespace token."""
    run = ""
    for char in gap:
        if char == " " and tokens and not spaces[-1] and not run:
            spaces[-1] = True
        elif char.isspace():
            run += char
        else:
            if run:
                tokens.append(run)
                spaces.append(False)
                run = ""
            tokens.append(char)
            spaces.append(False)
    if run:
        tokens.append(run)
        spaces.append(False)
