import spacy

from anonymiser.tokenizer import WordTokenizer


def test_tokens_reproduce_the_text_exactly():
    nlp = spacy.blank("nl")
    tokenizer = WordTokenizer(nlp.vocab)
    texts = ["", "  hoi\n\n  daar ", "O'Connor-Reyes, 's-Hertogenbosch!!", "😀😀 a\tb\r\n", "J.P.M. (Hans)"]
    for text in texts:
        doc = tokenizer(text)
        assert doc.text == text


def test_long_runs_without_spaces_are_linear():
    nlp = spacy.blank("en")
    doc = WordTokenizer(nlp.vocab)("😀" * 50_000)
    assert len(doc) == 50_000
