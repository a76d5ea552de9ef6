"""Entities from a configured statistical spaCy model (``INTAKE_SPACY_MODEL_NL/EN``),
added as weak candidates: rules and patterns win where they overlap."""

from __future__ import annotations

from spacy.tokens import Doc

from anonymiser.state import DocState, Priority

LABEL_MAP = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "ORG": "ORGANIZATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "DATE": "DATE",
}


def detect(doc: Doc, state: DocState) -> None:
    for entity in doc.ents:
        label = LABEL_MAP.get(entity.label_)
        if label is None:
            continue
        if label == "DATE" and not any(char.isdigit() for char in entity.text):
            continue  # "last year", "next Tuesday": not a date at day precision
        state.add(entity.start_char, entity.end_char, label, Priority.NER)
