"""The spaCy pipelines: ``spacy.blank("nl")`` / ``spacy.blank("en")`` (or a configured
statistical model) with the anonymiser's tokenizer and one component per detector:

    anon_contact -> anon_phones -> anon_identifiers -> anon_dates -> anon_addresses
    -> anon_hard_negatives -> [anon_statistical_ner] -> anon_signatures -> anon_persons
    -> anon_organizations -> anon_places -> anon_unknown_names -> anon_propagate
    -> anon_resolve -> anon_special_category

Pattern detectors run first so that the name rules can skip words inside an e-mail
address, phone number or date. Results are in ``doc._.anon_spans`` and
``doc._.anon_categories``.
"""

from __future__ import annotations

from collections.abc import Callable

import spacy
from spacy.attrs import LOWER, NORM
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry

from anonymiser.detectors import (
    addresses,
    contact,
    dates,
    identifiers,
    negatives,
    organizations,
    persons,
    phones,
    places,
    propagation,
    resolve,
    signatures,
    special_category,
    statistical,
    unknown_names,
)
from anonymiser.errors import ModelNotAvailable
from anonymiser.lexicon import default_lexicon
from anonymiser.state import DocState, release_state, state_of
from anonymiser.tokenizer import WordTokenizer

# A step of the pipeline: it reads the document and adds to its working state.
Step = Callable[[Doc, DocState], None]
# Components a model may bring that the anonymiser does not need (and that cost time).
UNUSED_MODEL_COMPONENTS = ["parser", "tagger", "lemmatizer", "attribute_ruler", "senter", "morphologizer"]

for _name in ("anon_spans", "anon_categories"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=())


def _component(name: str, make_step: Callable[[Language], Step]) -> None:
    """Register a spaCy component factory ``name`` that runs the step ``make_step`` makes."""

    @Language.factory(name)
    def make(nlp: Language, name: str) -> Callable[[Doc], Doc]:
        step = make_step(nlp)

        def run(doc: Doc) -> Doc:
            step(doc, state_of(doc))
            return doc

        return run


def _rules(rules: type) -> Callable[[Language], Step]:
    """Rule classes take the lexicon of the pipeline's language."""

    def make(nlp: Language) -> Step:
        detector = rules(default_lexicon(nlp.lang))
        return lambda doc, state: detector.detect(state)

    return make


def _function(detect: Callable[[DocState, str], None]) -> Callable[[Language], Step]:
    return lambda nlp: lambda doc, state: detect(state, nlp.lang)


def _store_spans(doc: Doc, state: DocState) -> None:
    doc._.anon_spans = resolve.resolve(state)


def _special_categories(nlp: Language) -> Step:
    detector = special_category.SpecialCategoryDetector(nlp)

    def step(doc: Doc, state: DocState) -> None:
        doc._.anon_categories = detector.categories(doc, state)
        release_state(doc)  # the last step: the working state is no longer needed

    return step


# The components, in pipeline order.
COMPONENTS: dict[str, Callable[[Language], Step]] = {
    "anon_contact": _function(contact.detect),
    "anon_phones": _function(phones.detect),
    "anon_identifiers": _function(identifiers.detect),
    "anon_dates": _function(dates.detect),
    "anon_addresses": _rules(addresses.AddressRules),
    "anon_hard_negatives": _function(negatives.detect),
    "anon_statistical_ner": lambda nlp: statistical.detect,  # only with a configured model
    "anon_signatures": _rules(signatures.SignatureRules),
    "anon_persons": _rules(persons.PersonRules),
    "anon_organizations": _rules(organizations.OrganizationRules),
    "anon_places": _rules(places.PlaceRules),
    "anon_unknown_names": _rules(unknown_names.UnknownNameRules),
    "anon_propagate": _rules(propagation.Propagation),
    "anon_resolve": lambda nlp: _store_spans,
    "anon_special_category": _special_categories,
}
for _name, _make_step in COMPONENTS.items():
    _component(_name, _make_step)

WORD_TOKENIZER = "anonymiser.word_tokenizer.v1"


@registry.tokenizers(WORD_TOKENIZER)
def word_tokenizer() -> Callable[[Language], WordTokenizer]:
    return lambda nlp: WordTokenizer(nlp.vocab)


def _lean_vocabulary(nlp: Language) -> None:
    """Compute only the word attributes the components read. spaCy computes some twenty
    per new word (shape, like_num, ...); the pipeline reads only the lower-case form
    (``PhraseMatcher(attr="LOWER")``). A statistical model keeps them all."""
    getters = nlp.vocab.lex_attr_getters
    nlp.vocab.lex_attr_getters = {attr: getters[attr] for attr in (LOWER, NORM) if attr in getters}


def build_pipeline(language: str, model: str | None = None) -> Language:
    """A pipeline for ``language``; with ``model`` (an installed spaCy model's name or
    path) that model's entity recogniser adds candidates too."""
    if model:
        try:
            nlp = spacy.load(model, exclude=UNUSED_MODEL_COMPONENTS)
        except (OSError, ImportError, ValueError) as error:
            raise ModelNotAvailable(model) from error
        if "ner" not in nlp.pipe_names:
            raise ModelNotAvailable(model)
        nlp.tokenizer = WordTokenizer(nlp.vocab)
    else:
        nlp = spacy.blank(language, config={"nlp": {"tokenizer": {"@tokenizers": WORD_TOKENIZER}}})
        _lean_vocabulary(nlp)
    for name in COMPONENTS:
        if model or name != "anon_statistical_ner":
            nlp.add_pipe(name)
    return nlp
