"""The optional statistical NER path, with a tiny model trained here (no model packages can
be installed or downloaded). The names are lower case: no rule redacts a lower-case word
without context, so what is found comes from the model."""

import random

import pytest
import spacy
from spacy.training import Example

from anonymiser import Anonymiser
from anonymiser.errors import ModelNotAvailable

TRAINING = [
    ("Gisteren belde xylofa over de planning.", "xylofa"),
    ("Volgens brumtak is het rooster te vol.", "brumtak"),
    ("Ik sprak xylofa na de vergadering.", "xylofa"),
    ("Het voorstel kwam van brumtak vorige week.", "brumtak"),
    ("Daarna mailde xylofa het verslag.", "xylofa"),
    ("Soms helpt brumtak met de administratie.", "brumtak"),
]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    random.seed(1)
    nlp = spacy.blank("nl")
    nlp.add_pipe("ner").add_label("PER")
    examples = []
    for text, name in TRAINING:
        start = text.index(name)
        entities = [(start, start + len(name), "PER")]
        examples.append(Example.from_dict(nlp.make_doc(text), {"entities": entities}))
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(25):
        random.shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("models") / "tiny_nl"
    nlp.to_disk(path)
    return str(path)


@pytest.fixture(scope="module")
def with_model(tiny_model):
    return Anonymiser.load(model_nl=tiny_model)


def test_model_entities_become_candidates(anonymiser, with_model):
    text = "Gisteren belde xylofa over de planning."
    assert anonymiser.analyse(text, "nl").spans == ()  # the rules alone do not see this name
    analysis = with_model.analyse(text, "nl")
    assert [(text[s.start : s.end], s.label) for s in analysis.spans] == [("xylofa", "PERSON")]
    assert analysis.redacted == "Gisteren belde [NAAM-1] over de planning."


def test_rules_still_run_with_a_model(with_model):
    analysis = with_model.analyse("Bel me op 06-12345678, groet xylofa", "nl")
    assert {s.label for s in analysis.spans} >= {"PHONE", "PERSON"}


def test_missing_model_is_a_configuration_error():
    with pytest.raises(ModelNotAvailable) as raised:
        Anonymiser.load(model_en="en_core_web_missing")
    assert "en_core_web_missing" in str(raised.value)
