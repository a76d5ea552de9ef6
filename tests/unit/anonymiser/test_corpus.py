import pytest

from bench._corpus import parse_markup

SOURCE = """# comment
### x1 nl chat special=yes
hoi ik ben [[Jan|PERSON]] uit [[Assen|LOCATION]]
tweede regel

### x2 en email special=no
nothing here
"""


def test_markup_becomes_offsets():
    first, second = parse_markup(SOURCE)
    assert first.text == "hoi ik ben Jan uit Assen\ntweede regel"
    found = [(first.text[e.start : e.end], e.label) for e in first.entities]
    assert found == [("Jan", "PERSON"), ("Assen", "LOCATION")]
    assert first.special_category and not second.special_category and second.entities == ()


def test_unknown_label_is_an_error():
    with pytest.raises(ValueError, match="unknown label"):
        parse_markup("### x nl chat special=no\n[[Jan|NAME]]")
