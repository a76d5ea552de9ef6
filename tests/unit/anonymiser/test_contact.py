import pytest


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Mail me op pieter.de.boer@ziggo.nl, graag.", "pieter.de.boer@ziggo.nl"),
        ("Email: a_nowak+coaching@uni.wroc.pl", "a_nowak+coaching@uni.wroc.pl"),
        ("Reply to j.smith@nhs.net.", "j.smith@nhs.net"),
    ],
)
def test_email(check, text, surface):
    assert check.found(text)[surface] == "EMAIL"


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        (
            "Mijn profiel: https://www.linkedin.com/in/els-van-damme-12ab/ kijk maar",
            "https://www.linkedin.com/in/els-van-damme-12ab/",
        ),
        ("portfolio op www.studiomira.nl.", "www.studiomira.nl"),
        ("see github.com/okoro-dev for my code", "github.com/okoro-dev"),
        ("mijn site is bakkerijdegroot.nl", "bakkerijdegroot.nl"),
        ("book here: calendly.com/anne-k/intro", "calendly.com/anne-k/intro"),
    ],
)
def test_url(check, text, surface):
    assert check.redacted(text, surface, label="URL")


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("stuur me een dm op telegram @noor_1999", "@noor_1999"),
        ("insta: maaike.maakt.", "maaike.maakt"),
        ("my discord is jay_k#4410", "jay_k#4410"),
        ("X: @HendrikVos", "@HendrikVos"),
    ],
)
def test_username(check, text, surface):
    assert check.redacted(text, surface, label="USERNAME")


def test_handle_is_not_the_domain_of_an_email(check):
    found = check.found("mail naar info@example.com")
    assert found == {"info@example.com": "EMAIL"}


@pytest.mark.parametrize(
    "text", ["zie bijv. de site", "t.n.v. de afdeling", "i.e. the cv.pdf file", "Ik werk via Teams en Zoom"]
)
def test_abbreviations_are_not_urls(check, text):
    assert not any(s.label == "URL" for s in check.analyse(text).spans)
