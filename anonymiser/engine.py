"""The public entry point: load both pipelines once, analyse one text or a stream."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice

from spacy.language import Language
from spacy.tokens import Doc

from anonymiser.errors import UnsupportedLanguage
from anonymiser.gazetteer import load_gazetteer
from anonymiser.language import detect_language
from anonymiser.model import LANGUAGES, Analysis
from anonymiser.pipeline import build_pipeline
from anonymiser.redaction import redact
from intake.errors import TextTooLong

# spaCy hashes strings as UTF-8; a lone surrogate (from JSON like "\ud800") cannot be
# encoded. Replacing each with U+FFFD keeps every offset the same.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    return LONE_SURROGATE.sub("\ufffd", text)


# spaCy keeps every word it has seen in the pipeline's vocabulary. A long-running service
# would grow without end, so a pipeline is rebuilt (a fraction of a second) once its
# vocabulary has grown by this many strings (about 40 MB). (spaCy's memory zones
# would free each batch's words instead, but then every word is created again in each
# batch, which costs a tenth of the throughput.)
MAX_VOCABULARY_GROWTH = 100_000


class Anonymiser:
    """Finds identifying details and special-category data in Dutch and English text."""

    def __init__(
        self, pipelines: dict[str, Language], max_chars: int, models: dict[str, str | None] | None = None
    ) -> None:
        self._pipelines = pipelines
        self._models = models or dict.fromkeys(pipelines)
        self._vocabulary_sizes = {language: len(nlp.vocab.strings) for language, nlp in pipelines.items()}
        self.max_chars = max_chars
        self.max_vocabulary_growth = MAX_VOCABULARY_GROWTH

    @classmethod
    def load(
        cls, *, model_nl: str | None = None, model_en: str | None = None, max_chars: int = 200_000
    ) -> Anonymiser:
        load_gazetteer()
        models = {"nl": model_nl, "en": model_en}
        pipelines = {language: build_pipeline(language, model) for language, model in models.items()}
        return cls(pipelines, max_chars, models)

    def analyse(self, text: str, lang: str | None = None) -> Analysis:
        return next(self.analyse_many([(text, lang)]))

    def analyse_many(
        self, items: Iterable[tuple[str, str | None]], batch_size: int = 64
    ) -> Iterator[Analysis]:
        """Analyses in input order, processed in batches with ``nlp.pipe``.

        Raises ``TextTooLong`` or ``UnsupportedLanguage`` for the first bad item of a batch
        before any result of that batch is yielded; callers that must keep going (the CLI)
        check items with :meth:`check` first.
        """
        iterator = iter(items)
        while batch := list(islice(iterator, batch_size)):
            yield from self._batch(batch)

    def check(self, text: str, lang: str | None = None) -> str:
        """The language to use for ``text``; raises for text the anonymiser refuses."""
        if len(text) > self.max_chars:
            raise TextTooLong(len(text), self.max_chars)
        if lang is None:
            return detect_language(text)
        if lang not in LANGUAGES:
            raise UnsupportedLanguage(lang)
        return lang

    def _batch(self, batch: list[tuple[str, str | None]]) -> list[Analysis]:
        languages = [self.check(text, lang) for text, lang in batch]
        results: list[Analysis | None] = [None] * len(batch)
        for language, nlp in self._pipelines.items():
            indices = [i for i, lang in enumerate(languages) if lang == language]
            if not indices:
                continue
            texts = (_encodable(batch[i][0]) for i in indices)
            for index, doc in zip(indices, nlp.pipe(texts), strict=True):
                results[index] = self._analysis(batch[index][0], doc, language)
            self._renew_if_grown(language)
        return [result for result in results if result is not None]

    def _renew_if_grown(self, language: str) -> None:
        vocabulary = self._pipelines[language].vocab.strings
        if len(vocabulary) - self._vocabulary_sizes[language] > self.max_vocabulary_growth:
            self._pipelines[language] = build_pipeline(language, self._models[language])
            self._vocabulary_sizes[language] = len(self._pipelines[language].vocab.strings)

    @staticmethod
    def _analysis(text: str, doc: Doc, language: str) -> Analysis:
        spans = doc._.anon_spans
        categories = doc._.anon_categories
        return Analysis(
            language=language,
            redacted=redact(text, spans, language),
            spans=spans,
            special_category=bool(categories),
            categories=categories,
        )
