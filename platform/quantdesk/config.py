"""Settings read from ``QUANTDESK_*`` environment variables (and a ``.env`` file in the working directory).

Only the composition root (``quantdesk.runtime``) reads settings; everything else takes its configuration
as arguments, so tests and notebooks can build any component without touching the environment.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from quantdesk.model.errors import QuantdeskError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def project_root() -> Path:
    """The repository checkout that holds this package (``platform/quantdesk`` lives two levels below it)."""
    return Path(__file__).resolve().parents[2]


def default_data_dir() -> Path:
    """``data/`` of the checkout when running from one (it holds the bundled sample data), else ``./data``."""
    bundled = project_root() / "data"
    return bundled if (bundled / "bundled").is_dir() else Path.cwd() / "data"


class Settings(BaseSettings):
    """Process-wide settings; build one with ``Settings()`` in an entry point and pass values down."""

    model_config = SettingsConfigDict(env_prefix="QUANTDESK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="catalog, quarantine and state root")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite under data_dir if unset")
    redis_url: str | None = Field(default=None, description="Redis for the bus and caches; in-process if unset")
    log_level: LogLevel = Field(default="WARNING", description="INFO shows each import, run and order")
    log_json: bool = Field(default=False, description="one JSON object per log line instead of console text")
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs API tokens and encrypts broker secrets; generated once into data_dir/secret_key if unset",
    )
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60, description="lifetime of an API access token")
    refresh_token_days: int = Field(default=14, ge=1, le=365, description="lifetime of an API refresh token")
    api_host: str = Field(default="127.0.0.1", description="address the API listens on")
    api_port: int = Field(default=8000, ge=1, le=65535, description="port the API listens on")
    smtp_host: str | None = Field(default=None, description="SMTP server for email notifications; no email if unset")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="port of the SMTP server")
    smtp_from: str = Field(default="quantdesk@localhost", description="sender address of notification emails")
    smtp_username: str | None = Field(default=None, description="SMTP login, if the server needs one")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password, with smtp_username")
    smtp_starttls: bool = Field(default=True, description="upgrade the SMTP connection with STARTTLS")

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (try: openssl rand -base64 48)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def catalog_dir(self) -> Path:
        return self.data_dir / "catalog"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def bundle_dir(self) -> Path:
        """Where the bundled sample files live: in the checkout, whatever ``data_dir`` points at."""
        return project_root() / "data" / "bundled"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'quantdesk.db'}"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret_key"

    def resolved_secret_key(self) -> str:
        """``secret_key``, or the one in ``data_dir/secret_key``, created (mode 0600) on first use so that a
        restart keeps issued tokens and stored broker secrets readable."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _stored_secret(self.secret_key_file)


class ConfigError(QuantdeskError):
    """A ``QUANTDESK_*`` variable holds a value that cannot be used."""


def _stored_secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)  # never replaces a key another process created meanwhile
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigError(f"{path} holds a secret key under 32 characters: delete it or set QUANTDESK_SECRET_KEY")
    return key


def load_settings() -> Settings:
    """``Settings()`` with a bad environment variable reported as one :class:`ConfigError` line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "QUANTDESK_" + str(first["loc"][0]).upper() if first.get("loc") else "a QUANTDESK_ variable"
        raise ConfigError(f"{name}: {first['msg'].removeprefix('Value error, ')}") from None
