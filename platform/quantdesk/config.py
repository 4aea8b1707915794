"""Settings read from ``QUANTDESK_*`` environment variables (and a ``.env`` file in the working directory).

Only the composition root (``quantdesk.runtime``) reads settings; everything else takes its configuration
as arguments, so tests and notebooks can build any component without touching the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
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


class ConfigError(QuantdeskError):
    """A ``QUANTDESK_*`` variable holds a value that cannot be used."""


def load_settings() -> Settings:
    """``Settings()`` with a bad environment variable reported as one :class:`ConfigError` line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "QUANTDESK_" + str(first["loc"][0]).upper() if first.get("loc") else "a QUANTDESK_ variable"
        raise ConfigError(f"{name}: {first['msg']}") from None
