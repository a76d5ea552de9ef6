"""Scoring against annotated messages (the format of ``shared/corpus/dev.jsonl``).

- Recall per label: a gold entity counts as caught when every non-space character of it
  is covered by some predicted span, whatever its label.
- Direct-identifier recall over PERSON, EMAIL, PHONE, ADDRESS, POSTCODE, ID, URL, USERNAME;
  quasi-identifier recall over LOCATION, DATE, ORGANIZATION.
- Character precision: predicted non-space characters inside gold spans / all predicted
  non-space characters.
- Special-category precision and recall per message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anonymiser.model import DIRECT_LABELS, LABELS, QUASI_LABELS, Span


@dataclass(frozen=True, slots=True)
class GoldMessage:
    id: str
    lang: str
    text: str
    special_category: bool
    entities: tuple[Span, ...]  # gold spans


@dataclass(frozen=True, slots=True)
class Prediction:
    spans: Sequence[tuple[int, int]]  # (start, end); labels do not matter for scoring
    special_category: bool


@dataclass(slots=True)
class Scores:
    caught: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    predicted_chars: int = 0
    correct_chars: int = 0
    special_tp: int = 0
    special_fp: int = 0
    special_fn: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label, text)

    def recall(self, labels: Iterable[str]) -> float | None:
        labels = tuple(labels)
        total = sum(self.total[label] for label in labels)
        return sum(self.caught[label] for label in labels) / total if total else None

    @property
    def direct_recall(self) -> float | None:
        return self.recall(DIRECT_LABELS)

    @property
    def quasi_recall(self) -> float | None:
        return self.recall(QUASI_LABELS)

    @property
    def char_precision(self) -> float | None:
        return self.correct_chars / self.predicted_chars if self.predicted_chars else None

    @property
    def special_precision(self) -> float | None:
        flagged = self.special_tp + self.special_fp
        return self.special_tp / flagged if flagged else None

    @property
    def special_recall(self) -> float | None:
        actual = self.special_tp + self.special_fn
        return self.special_tp / actual if actual else None


def _non_space(text: str, start: int, end: int) -> set[int]:
    return {i for i in range(start, end) if not text[i].isspace()}


def score(messages: Sequence[GoldMessage], predictions: Sequence[Prediction]) -> Scores:
    scores = Scores()
    for message, prediction in zip(messages, predictions, strict=True):
        text = message.text
        covered: set[int] = set()
        for start, end in prediction.spans:
            covered |= _non_space(text, start, end)
        gold_chars: set[int] = set()
        for entity in message.entities:
            chars = _non_space(text, entity.start, entity.end)
            gold_chars |= chars
            scores.total[entity.label] += 1
            if chars <= covered:
                scores.caught[entity.label] += 1
            else:
                scores.misses.append((message.id, entity.label, text[entity.start : entity.end]))
        scores.predicted_chars += len(covered)
        scores.correct_chars += len(covered & gold_chars)
        if prediction.special_category and message.special_category:
            scores.special_tp += 1
        elif prediction.special_category:
            scores.special_fp += 1
        elif message.special_category:
            scores.special_fn += 1
    return scores


def load_jsonl(path: Path) -> list[GoldMessage]:
    messages = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                messages.append(
                    GoldMessage(
                        id=str(record["id"]),
                        lang=record["lang"],
                        text=record["text"],
                        special_category=bool(record["special_category"]),
                        entities=tuple(Span(e["start"], e["end"], e["label"]) for e in record["entities"]),
                    )
                )
    return messages
