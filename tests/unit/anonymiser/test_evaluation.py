from anonymiser.evaluation import GoldMessage, Prediction, score
from anonymiser.model import Span


def message(text, entities, special=False):
    return GoldMessage(id="m", lang="nl", text=text, special_category=special, entities=tuple(entities))


def test_entity_counts_only_when_every_non_space_character_is_covered():
    text = "Jan de Vries woont in Assen"
    gold = message(text, [Span(0, 12, "PERSON"), Span(22, 27, "LOCATION")])
    partly = score([gold], [Prediction([(0, 3)], False)])
    assert partly.caught["PERSON"] == 0 and partly.misses[0][2] == "Jan de Vries"
    pieces = score([gold], [Prediction([(0, 3), (4, 12), (22, 27)], False)])
    assert pieces.direct_recall == 1.0 and pieces.quasi_recall == 1.0


def test_label_of_the_prediction_does_not_matter_and_precision_counts_non_space_characters():
    text = "Jan de Vries woont in Assen"
    gold = message(text, [Span(0, 12, "PERSON")])
    scores = score([gold], [Prediction([(0, 18)], False)])  # "Jan de Vries woont"
    assert scores.direct_recall == 1.0
    assert scores.char_precision == 10 / 15


def test_special_category_precision_and_recall():
    messages = [message("a", [], True), message("b", [], True), message("c", [], False)]
    predictions = [Prediction([], True), Prediction([], False), Prediction([], True)]
    scores = score(messages, predictions)
    assert scores.special_precision == 0.5 and scores.special_recall == 0.5


def test_empty_scores_are_none():
    scores = score([message("x", [])], [Prediction([], False)])
    assert scores.direct_recall is None and scores.char_precision is None and scores.special_precision is None
