"""Newsletter pieces without a database: unsubscribe tokens, address lists, rendering."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest

from consent_store.enums import Channel, ContactKind
from intake.core import Core
from intake.links import Links
from intake.services import newsletter
from intake.services.newsletter import Recipient
from intake.services.newsletter_admin import ListedAddress, mask, read_addresses
from intake.services.newsletter_sending import Renderer, TemplateProblem, load_template
from intake.settings import Settings, generate_key
from intake.tokens import UNSUBSCRIBE_TOKEN_LENGTH, TokenInvalid, Tokens


def test_unsubscribe_tokens_fit_an_email_local_part_and_never_expire() -> None:
    tokens = Tokens(b"s" * 32)
    subscription = uuid.uuid4()
    token = tokens.unsubscribe(subscription)
    assert len(token) == UNSUBSCRIBE_TOKEN_LENGTH == 52
    assert len(f"unsubscribe+{token}".encode()) <= 64
    assert token == token.lower() and token.isalnum()
    assert tokens.unsubscribe(subscription) == token  # the same link in every issue
    assert tokens.unsubscribe_ref(token) == subscription
    assert tokens.unsubscribe_ref(f" {token.upper()} ") == subscription  # mail systems may change case


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],  # truncated
        lambda t: t + "a",
        lambda t: ("b" if t[0] != "b" else "c") + t[1:],  # another subscription id
        lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"),  # another MAC
        lambda t: t[:-1] + "1",  # not base32
        lambda t: "",
    ],
)
def test_altered_unsubscribe_tokens_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    tokens = Tokens(b"s" * 32)
    with pytest.raises(TokenInvalid):
        tokens.unsubscribe_ref(mangle(tokens.unsubscribe(uuid.uuid4())))


def test_only_one_spelling_of_a_token_is_accepted() -> None:
    tokens = Tokens(b"s" * 32)
    token = tokens.unsubscribe(uuid.uuid4())
    # The last base32 letter carries one bit of the MAC and four unused bits.
    others = [token[:-1] + letter for letter in "abcdefghijklmnopqrstuvwxyz234567" if letter != token[-1]]
    for other in others:
        with pytest.raises(TokenInvalid):
            tokens.unsubscribe_ref(other)


def test_unsubscribe_tokens_are_bound_to_the_secret_key() -> None:
    token = Tokens(b"s" * 32).unsubscribe(uuid.uuid4())
    with pytest.raises(TokenInvalid):
        Tokens(b"t" * 32).unsubscribe_ref(token)


def test_links_for_the_newsletter() -> None:
    tokens = Tokens(b"s" * 32)
    links = Links("https://intake.example.org/", tokens)
    subscription = uuid.uuid4()
    token = tokens.unsubscribe(subscription)
    assert links.unsubscribe(subscription) == f"https://intake.example.org/u/{token}"
    assert links.unsubscribe_mailto(subscription, "intake.example.org") == (
        f"mailto:unsubscribe+{token}@intake.example.org"
    )
    assert links.newsletter_confirm(subscription.hex).startswith("https://intake.example.org/n/")


def _read(text: str) -> list[tuple[int, str | None]]:
    return [(e.line, e.value.value if e.value else None) for e in read_addresses(io.StringIO(text))]


def test_a_plain_list_of_addresses() -> None:
    assert _read("Anna@Example.org\n\n# a comment\nnot an address\n123456789\n0612345678\n") == [
        (1, "anna@example.org"),
        (4, None),
        (5, "123456789"),  # a Telegram id
        (6, None),  # a phone number is not a newsletter address
    ]


def test_a_csv_with_a_header_names_its_column() -> None:
    text = (
        'name;E-mail;date\n"de Vries, Anna";anna@example.org;2026\nBram;;2026\nCees;"<cees@example.org>";x\n'
    )
    assert _read(text) == [(2, "anna@example.org"), (3, None), (4, "cees@example.org")]
    assert _read("id,email\n1,mailto:dirk@example.org\n") == [(2, "dirk@example.org")]
    assert _read("wie\twaar\nEva\teva@example.org\n") == [(2, "eva@example.org")]  # unknown names


def test_a_csv_without_a_header_uses_the_column_with_addresses() -> None:
    assert _read("Anna,anna@example.org,1\nBram,bram@example.org,2\nCees,,3\n") == [
        (1, "anna@example.org"),
        (2, "bram@example.org"),
        (3, None),
    ]


def test_reading_is_lazy() -> None:
    def endless():  # type: ignore[no-untyped-def]
        yield "email\n"
        n = 0
        while True:
            n += 1
            yield f"p{n}@example.org\n"

    class Lines(io.TextIOBase):
        def __init__(self) -> None:
            self.source = endless()

        def readline(self, size: int = -1) -> str:  # type: ignore[override]
            return next(self.source)

        def __next__(self) -> str:
            return next(self.source)

    reader = read_addresses(Lines())  # type: ignore[arg-type]
    assert [next(reader) for _ in range(3)][-1] == ListedAddress(4, _email("p3@example.org"))


def _email(address: str):  # type: ignore[no-untyped-def]
    from intake.contacts import email

    return email(address)


def test_addresses_are_masked() -> None:
    assert mask("anna.devries@example.org") == "a***@example.org"
    assert mask("123456789") == "*****6789"


# Templates ------------------------------------------------------------------------------------------------


@pytest.fixture
def core(tmp_path: Path) -> Core:
    settings = Settings(
        var_dir=tmp_path / "var",
        secret_key=generate_key(),  # type: ignore[arg-type]
        master_key=generate_key(),  # type: ignore[arg-type]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        public_url="https://intake.example.org",
        mail_domain="intake.example.org",
        controller_name='Praktijk "De Boer" & Zn.',
        _env_file=None,  # type: ignore[call-arg]
    )
    return Core(settings)


def _recipient(channel: Channel = Channel.EMAIL, language: str = "nl") -> Recipient:
    return Recipient(uuid.uuid4(), uuid.uuid4(), channel, language, "anna@example.org", None)


def test_rendering_adds_the_list_headers_and_the_footer(core: Core, tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "nl.txt").write_text("Hallo ({{ language }}): {{ subject }}\n")
    (tmp_path / "t" / "en.txt").write_text("Hello ({{ language }}): {{ subject }}\n")
    (tmp_path / "t" / "nl.html").write_text("<html><body><p>{{ controller_name }}</p></BODY></html>")
    (tmp_path / "t" / "en.html").write_text("<p>{{ controller_name }}</p>")
    template = load_template(tmp_path / "t")
    renderer = Renderer(core, template, {"nl": "Nieuws", "en": "News"})
    recipient = _recipient()
    message = renderer.render(recipient)
    url = f"https://intake.example.org/u/{core.tokens.unsubscribe(recipient.subscription_id)}"
    assert message.kind == "newsletter" and message.subject == "Nieuws"
    assert message.text.startswith("Hallo (nl): Nieuws") and url in message.text
    assert message.html is not None and "Praktijk &#34;De Boer&#34; &amp; Zn." in message.html  # escaped
    assert message.html.index(f'href="{url}"') < message.html.index("</BODY>")
    assert message.headers["List-Unsubscribe"].startswith(f"<{url}>, <mailto:unsubscribe+")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message.headers["List-Id"]
        == r'"Praktijk \"De Boer\" & Zn. newsletter" <newsletter.intake.example.org>'
    )

    english = renderer.render(_recipient(language="en"))
    assert english.subject == "News" and english.html and english.html.endswith("</p>")
    unknown_language = renderer.render(_recipient(language="de"))
    assert unknown_language.language == "nl"
    telegram = renderer.render(_recipient(channel=Channel.TELEGRAM))
    assert telegram.headers == {} and "/afmelden" in telegram.text


def test_templates_must_be_complete(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    for name in ("nl.txt", "en.txt", "nl.html"):
        (tmp_path / "half" / name).write_text("x")
    with pytest.raises(TemplateProblem, match="every language"):
        load_template(tmp_path / "half")
    (tmp_path / "page.html").write_text("<p>x</p>")
    with pytest.raises(TemplateProblem, match="plain text"):
        load_template(tmp_path / "page.html")
    (tmp_path / "bytes.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(TemplateProblem, match="cannot read"):
        load_template(tmp_path / "bytes.txt")


def test_the_template_hash_covers_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Hallo\n")
    first = load_template(tmp_path / "a.txt").sha256
    assert load_template(tmp_path / "a.txt").sha256 == first
    (tmp_path / "a.txt").write_text("Hallo!\n")
    assert load_template(tmp_path / "a.txt").sha256 != first


def test_a_candidates_newsletter_goes_to_their_address_else_to_their_chat() -> None:
    assert newsletter.channel_for(ContactKind.EMAIL) is Channel.EMAIL
    assert newsletter.channel_for(ContactKind.PHONE) is Channel.TELEGRAM  # never by phone
    assert newsletter.channel_for(ContactKind.TELEGRAM) is Channel.TELEGRAM
    assert newsletter.channel_for(None) is Channel.TELEGRAM
