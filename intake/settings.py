"""Settings, read from ``INTAKE_*`` environment variables and ``.env``.

In development (the default) missing keys are generated once into ``var_dir`` and reused,
so ``make run`` works on a fresh clone. In production the service refuses to start
without both keys.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from intake.errors import ConfigurationError

MASTER_KEY_BYTES = 32
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms]?)")
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INTAKE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production"] = "development"
    var_dir: Path = Path("./var")
    database_url: str = ""  # empty: SQLite file under var_dir
    secret_key: SecretStr | None = None
    master_key: SecretStr | None = None  # urlsafe base64 of 32 random bytes

    public_url: str = "http://127.0.0.1:8080"
    mail_domain: str = "intake.localhost"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_enabled: bool = True
    web_enabled: bool = True

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    # Webhook mode (for several instances) when a public HTTPS URL is set; long polling otherwise.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None  # default: derived from the secret key
    telegram_webhook_path: str | None = None  # default: the path of telegram_webhook_url
    telegram_webhook_host: str = "127.0.0.1"  # where our webhook listener binds (behind a proxy)
    telegram_webhook_port: int = 8081
    telegram_polling_timeout: int = Field(default=30, ge=0, le=50)
    # Per-user throttling: sustained updates per second and the burst allowed on top.
    telegram_throttle_rate: float = Field(default=1.0, gt=0)
    telegram_concurrency: int = Field(default=8, ge=1)  # updates handled at the same time
    telegram_throttle_burst: int = Field(default=10, ge=1)
    # A conversation left unfinished this long is forgotten (draft included).
    telegram_state_ttl_hours: int = Field(default=72, ge=1)

    outbound: str = ""  # empty: maildir:<var_dir>/outbox
    redis_url: str | None = None

    controller_name: str = "Intake demo practice"
    controller_address: str = "Voorbeeldstraat 1, 1234 AB Utrecht"
    controller_email: str | None = None  # privacy contact; default privacy@<mail_domain>
    controller_kvk: str | None = None

    match_confirmation: Literal["candidate", "none"] = "candidate"
    default_locale: Literal["nl", "en"] = "nl"
    max_request_chars: int = Field(default=4000, ge=100)
    offer_fanout: int = Field(default=10, ge=1)

    spacy_model_nl: str | None = None
    spacy_model_en: str | None = None
    anonymiser_max_chars: int = Field(default=200_000, ge=1000)

    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_poll_seconds: float = Field(default=2.0, gt=0)

    # E-mail channel (SMTP intake, confirmation pages).
    smtp_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)  # advertised as SIZE; more: 552
    smtp_tls_cert: Path | None = None  # PEM; with the key, STARTTLS is offered
    smtp_tls_key: Path | None = None
    smtp_require_tls: bool = False  # refuse mail until the client has used STARTTLS
    smtp_timeout_seconds: float = Field(default=60.0, gt=0)  # idle time per command; also bounds DATA
    smtp_max_recipients: int = Field(default=20, ge=1)
    # Per client IP address, kept in memory only. 0 switches a limit off.
    smtp_max_connections_per_client: int = Field(default=10, ge=0)  # at the same time; more: 421
    smtp_connections_per_minute: int = Field(default=60, ge=0)  # more: 421
    smtp_messages_per_minute: int = Field(default=30, ge=0)  # more: 450
    auto_replies_per_day: int = Field(default=5, ge=0)  # automatic answers per sender address
    mail_max_attempts: int = Field(default=5, ge=1)  # processing attempts before an inbound mail fails
    mail_keep_days: int = Field(default=7, ge=1)  # duplicate detection window; failed mail kept as long
    # A worker's claim on queued mail; after a crash its mail is processed again once this ran out.
    mail_lease_seconds: float = Field(default=60.0, gt=0)
    # Processes that process accepted mail, next to the one that accepts it (so both use a
    # core each). 0: process it in the SMTP server's own event loop.
    mail_worker_processes: int = Field(default=1, ge=0)
    # Web pages. The public newsletter sign-up form takes this many submissions per client a
    # minute (in memory only; 0: no limit). Behind a reverse proxy the client is the last
    # address in X-Forwarded-For: set web_behind_proxy only when a proxy in front adds it.
    newsletter_signups_per_minute: int = Field(default=5, ge=0)
    web_behind_proxy: bool = False
    # How long an e-mailed request waits for the candidate's confirmation before it is erased;
    # also the lifetime of the confirmation link. ``7`` (days), ``36h``, ``P7D``, ``7 days``.
    confirmation_ttl: timedelta = timedelta(days=7)
    # A coach accepted but the candidate has not answered (confirm or decline) for this long:
    # the match lapses, the request expires, both are told. Same formats as above.
    match_answer_ttl: timedelta = timedelta(days=14)
    # A submitted request that no coach accepted for this long expires (the candidate is told
    # and may ask again); unmatched requests are not kept indefinitely.
    open_request_ttl: timedelta = timedelta(days=90)

    # Retention (days). Defaults follow what practices publish: unmatched requests are not
    # kept for long; matched ones for the coaching relationship plus a margin. (Unconfirmed
    # requests: ``confirmation_ttl`` above.)
    retention_closed_request_days: int = 365
    retention_inactive_subject_days: int = 730
    retention_outbox_days: int = 30  # delivered, failed and cancelled messages
    # Kept apart from the database (and its backups) so erasures can be re-applied after a restore.
    erasure_journal: Path | None = None

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("confirmation_ttl", "match_answer_ttl", "open_request_ttl", mode="before")
    @classmethod
    def _days_by_default(cls, value: object) -> object:
        if isinstance(value, int | float):
            return timedelta(days=value)
        if isinstance(value, str) and (match := _DURATION.fullmatch(value.strip().lower())):
            number, unit = float(match[1]), match[2] or "d"
            return timedelta(**{_DURATION_UNITS[unit]: number})
        return value

    @model_validator(mode="after")
    def _check_mail(self) -> Settings:
        for name in ("confirmation_ttl", "match_answer_ttl", "open_request_ttl"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"INTAKE_{name.upper()} must be positive")
        if (self.smtp_tls_cert is None) != (self.smtp_tls_key is None):
            raise ValueError("INTAKE_SMTP_TLS_CERT and INTAKE_SMTP_TLS_KEY go together")
        if self.smtp_require_tls and self.smtp_tls_cert is None:
            raise ValueError("INTAKE_SMTP_REQUIRE_TLS needs INTAKE_SMTP_TLS_CERT and INTAKE_SMTP_TLS_KEY")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def privacy_email(self) -> str:
        return self.controller_email or f"privacy@{self.mail_domain}"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'intake.db').as_posix()}"

    @property
    def resolved_outbound(self) -> str:
        return self.outbound or f"maildir:{(self.var_dir / 'outbox').as_posix()}"

    @property
    def retention_unconfirmed_days(self) -> int:
        """``confirmation_ttl`` in whole days, rounded up (as the privacy notice states it)."""
        return math.ceil(self.confirmation_ttl / timedelta(days=1))

    @property
    def retention_match_answer_days(self) -> int:
        return math.ceil(self.match_answer_ttl / timedelta(days=1))

    @property
    def retention_open_request_days(self) -> int:
        return math.ceil(self.open_request_ttl / timedelta(days=1))

    @cached_property
    def master_key_bytes(self) -> bytes:
        return _decode_key(self._key("master_key", "master.key"), "INTAKE_MASTER_KEY")

    @cached_property
    def secret_key_bytes(self) -> bytes:
        return _decode_key(self._key("secret_key", "secret.key"), "INTAKE_SECRET_KEY")

    def check(self) -> None:
        """Fail early, with a clear message, on a configuration that cannot run."""
        if self.is_production:
            missing = [
                name
                for name, value in (
                    ("INTAKE_SECRET_KEY", self.secret_key),
                    ("INTAKE_MASTER_KEY", self.master_key),
                )
                if value is None
            ]
            if missing:
                raise ConfigurationError(
                    f"INTAKE_ENV=production needs {' and '.join(missing)}; "
                    "generate one with: intake keys generate"
                )
        self.master_key_bytes  # noqa: B018 - validates the key
        self.secret_key_bytes  # noqa: B018

    def _key(self, field: str, filename: str) -> str:
        value: SecretStr | None = getattr(self, field)
        if value is not None:
            return value.get_secret_value()
        if self.is_production:
            raise ConfigurationError(f"INTAKE_{field.upper()} is required in production")
        return _development_key(self.var_dir / filename)


def to_json(settings: Settings) -> str:
    """The settings, secrets included, for a child process (``from_json``): never log it."""
    values = settings.model_dump(mode="json")
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values[name] = value.get_secret_value()
    return json.dumps(values)


def from_json(text: str) -> Settings:
    """Settings exactly as ``to_json`` wrote them (no environment, no ``.env``)."""
    return Settings(**json.loads(text), _env_file=None)  # type: ignore[call-arg]


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(MASTER_KEY_BYTES)).decode("ascii")


def _decode_key(text: str, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii") + b"==")
    except (ValueError, UnicodeEncodeError) as exc:
        raise ConfigurationError(f"{name} is not valid base64") from exc
    if len(raw) != MASTER_KEY_BYTES:
        raise ConfigurationError(f"{name} must decode to {MASTER_KEY_BYTES} bytes (got {len(raw)})")
    return raw


def _development_key(path: Path) -> str:
    """Read the key file, creating it (mode 0600) the first time."""
    if path.exists():
        return path.read_text("ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text("ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
