"""STARTTLS when a certificate is configured, and refusing mail without it when required."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from intake.core import Core
from intake.settings import Settings
from tests.support.mail import (
    INTAKE,
    MailService,
    mail_fixture,
    mail_settings,
    message,
)
from tests.support.smtp_client import SmtpClient

USES_FIXTURES = (mail_fixture,)  # pytest finds them by their names (mail, settings)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intake.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("intake.test")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture(name="settings")
def tls_settings(tmp_path: Path, db_url: str) -> Settings:
    cert, key = _self_signed(tmp_path)
    return mail_settings(tmp_path, db_url, smtp_tls_cert=cert, smtp_tls_key=key, smtp_require_tls=True)


def _client_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(settings.smtp_tls_cert))
    return context


async def test_starttls_is_offered_and_required(mail: MailService, core: Core) -> None:
    client = await SmtpClient.connect(mail.smtp.host, mail.smtp.port)
    try:
        ehlo = await client.ehlo()
        assert "STARTTLS" in ehlo.lines
        refused = await client.command("MAIL FROM:<kandidaat@example.org>")
        assert (refused.code, refused.text) == (530, "Must issue a STARTTLS command first")

        assert (await client.starttls(_client_context(core.settings), "intake.test")).code == 220
        ehlo = await client.ehlo()
        assert "STARTTLS" not in ehlo.lines
        reply = await client.send("kandidaat@example.org", [INTAKE], message("Ik zoek een coach."))
        assert reply.code == 250
    finally:
        await client.quit()
    await mail.settle()
    assert len(mail.new_mail()) == 1


def test_tls_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="go together"):
        mail_settings(tmp_path, "sqlite+aiosqlite://", smtp_tls_cert=tmp_path / "cert.pem")
    with pytest.raises(ValueError, match="REQUIRE_TLS"):
        mail_settings(tmp_path, "sqlite+aiosqlite://", smtp_require_tls=True)
