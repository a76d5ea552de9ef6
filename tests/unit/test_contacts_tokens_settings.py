import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from consent_store.enums import ContactKind
from intake import contacts
from intake.clock import ManualClock
from intake.errors import ConfigurationError, InvalidInput
from intake.settings import Settings, from_json, generate_key, to_json
from intake.tokens import MATCH, OFFER, TokenExpired, TokenInvalid, Tokens


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("06-12345678", "+31612345678"),
        ("06 12 34 56 78", "+31612345678"),
        ("(06) 12345678", "+31612345678"),
        ("+31 6 1234 5678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("+32 475 38 19 62", "+32475381962"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+49 30 901820", "+4930901820"),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, normalised: str) -> None:
    assert contacts.phone(raw).value == normalised


@pytest.mark.parametrize("raw", ["12345", "call me", "06-1234", ""])
def test_invalid_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(contacts.InvalidPhone):
        contacts.phone(raw)


def test_email_is_validated_and_lower_cased() -> None:
    assert contacts.email("  Anna.de.Vries@Example.ORG ").value == "anna.de.vries@example.org"
    for bad in ("anna@", "@example.org", "anna example.org", "anna@@example.org"):
        with pytest.raises(contacts.InvalidEmail):
            contacts.email(bad)


def test_operator_lookup_keys_are_recognised() -> None:
    assert contacts.guess("anna@example.org").kind is ContactKind.EMAIL
    assert contacts.guess("123456789").kind is ContactKind.TELEGRAM
    assert contacts.guess("0612345678").kind is ContactKind.PHONE
    with pytest.raises(InvalidInput):
        contacts.telegram("-5")


def test_contact_values_never_print_themselves() -> None:
    assert "anna" not in repr(contacts.email("anna@example.org"))


def test_tokens_are_bound_to_purpose_and_expire() -> None:
    clock = ManualClock()
    tokens = Tokens(b"k" * 32, clock)
    token = tokens.sign(OFFER, "abc")
    assert tokens.verify(OFFER, token) == "abc"
    with pytest.raises(TokenInvalid):
        tokens.verify(MATCH, token)  # a link for one purpose cannot be used for another
    with pytest.raises(TokenInvalid):
        tokens.verify(OFFER, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with pytest.raises(TokenInvalid):
        Tokens(b"j" * 32, clock).verify(OFFER, token)
    clock.advance(OFFER.max_age + timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        tokens.verify(OFFER, token)


@pytest.mark.parametrize("ref", [uuid.UUID(int=n).hex for n in range(40)])
def test_a_signed_token_has_one_spelling(ref: str) -> None:
    """The signature's last base64 letter has unused bits: every other letter there must be
    refused too, or a link altered in its last letter would sometimes still work."""
    tokens = Tokens(b"k" * 32, ManualClock())
    token = tokens.sign(OFFER, ref)
    assert tokens.verify(OFFER, token) == ref
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for letter in alphabet.replace(token[-1], ""):
        with pytest.raises(TokenInvalid):
            tokens.verify(OFFER, token[:-1] + letter)


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="INTAKE_SECRET_KEY and INTAKE_MASTER_KEY"):
        Settings(env="production", var_dir=tmp_path, _env_file=None).check()
    with pytest.raises(ConfigurationError, match="INTAKE_MASTER_KEY"):
        Settings(env="production", var_dir=tmp_path, secret_key=generate_key(), _env_file=None).check()
    Settings(
        env="production",
        var_dir=tmp_path,
        secret_key=generate_key(),
        master_key=generate_key(),
        _env_file=None,
    ).check()
    assert not (tmp_path / "master.key").exists()  # production never writes keys


def test_development_generates_keys_once_and_reuses_them(tmp_path: Path) -> None:
    first = Settings(var_dir=tmp_path, _env_file=None)
    first.check()
    key_file = tmp_path / "master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    second = Settings(var_dir=tmp_path, _env_file=None)
    assert second.master_key_bytes == first.master_key_bytes
    assert second.secret_key_bytes == first.secret_key_bytes != first.master_key_bytes


def test_malformed_keys_are_a_clear_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        Settings(var_dir=tmp_path, master_key="c2hvcnQ", _env_file=None).check()


def test_default_database_is_sqlite_under_var(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", _env_file=None)
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'intake.db'}"


def test_settings_reach_a_worker_process_whole_secrets_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        var_dir=tmp_path,
        secret_key=generate_key(),
        master_key=generate_key(),
        telegram_token="123:abc",
        confirmation_ttl="36h",
        _env_file=None,
    )
    monkeypatch.setenv("INTAKE_MAIL_DOMAIN", "elsewhere.example")  # the child's environment does not count
    copy = from_json(to_json(settings))
    assert copy == settings
    assert copy.master_key_bytes == settings.master_key_bytes
    assert copy.telegram_token is not None and copy.telegram_token.get_secret_value() == "123:abc"
    assert copy.confirmation_ttl == timedelta(hours=36)
