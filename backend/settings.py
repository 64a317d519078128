"""Application settings, read from the environment (prefix ``OCTROI_``).

In development, secrets that are not set are generated once into ``<var_dir>/secrets/``
(git-ignored, mode 0600) so a fresh clone runs without any setup. In production a missing
secret, or one that was generated for development, stops the start with a message naming
the variable.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Generated development secrets carry this prefix so production can recognise and refuse them.
DEV_SECRET_PREFIX = "dev-"  # noqa: S105 - a marker, not a secret
SECRET_FIELDS: dict[str, str] = {
    "jwt_key": "OCTROI_JWT_KEY",
    "pseudonym_key": "OCTROI_PSEUDONYM_KEY",
    "audit_signing_key": "OCTROI_AUDIT_SIGNING_KEY",
}
# Values nobody should ever run a bank on.
_WEAK_SECRETS = {"", "changeme", "change-me", "secret", "default", "password", "dev"}
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    development = "development"
    production = "production"


class ConfigurationError(RuntimeError):
    """The configuration cannot be used; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OCTROI_", extra="ignore")

    env: Environment = Environment.development
    var_dir: Path = Field(default=Path("var"), description="Local state folder (development).")
    database_url: str = ""
    model_dir: Path | None = None
    # Model registry (backend/registry): where versions live, and how often each API process
    # checks the database for a promotion.
    registry_dir: Path | None = None
    model_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    redis_url: str | None = None
    api_url: str = "http://127.0.0.1:8000"

    jwt_key: SecretStr | None = None
    pseudonym_key: SecretStr | None = None
    audit_signing_key: SecretStr | None = None
    # JWT key rotation: the retired key still verifies tokens until the end of its grace period.
    jwt_previous_key: SecretStr | None = None
    jwt_previous_key_until: datetime | None = None
    # Audit signing key rotation: hex Ed25519 public keys of retired signing keys (not secrets),
    # comma-separated, so checkpoints they signed still verify.
    audit_previous_public_keys: str = ""

    audit_retention_days: int = Field(default=365, ge=1, le=3650)
    score_cache_ttl_seconds: int = Field(default=600, ge=1, le=86400)
    # Abuse limits (backend/ratelimit.py), per user, shared by every API process.
    rate_limit_scoring_per_minute: int = Field(default=60, ge=1, le=100_000)
    rate_limit_export_per_hour: int = Field(default=10, ge=1, le=10_000)
    log_level: str = "INFO"
    # Batch jobs (backend/jobs): a Dask scheduler (tcp://host:8786); empty = a local cluster.
    dask_scheduler: str | None = None
    # Run the jobs after an import, erasure or promotion (off in tests that do not need it).
    jobs_after_change: bool = True

    @field_validator("database_url")
    @classmethod
    def _normalise_db_url(cls, value: str) -> str:
        # Accept the common postgres:// spellings and route them to psycopg 3.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'octroi.db').as_posix()}"

    @property
    def effective_model_dir(self) -> Path:
        return self.model_dir if self.model_dir is not None else self.var_dir / "model"

    @property
    def effective_registry_dir(self) -> Path:
        return self.registry_dir if self.registry_dir is not None else self.var_dir / "registry"

    def secret(self, name: str) -> str:
        """The value of one secret (``jwt_key``, ``pseudonym_key``, ``audit_signing_key``)."""
        value = getattr(self, name)
        if value is None:
            raise ConfigurationError(f"{SECRET_FIELDS[name]} is not set")
        return value.get_secret_value()

    def ensure_secrets(self) -> Settings:
        """Fill or check the secrets for this environment; returns ``self``."""
        if self.is_production:
            for name, variable in SECRET_FIELDS.items():
                value = getattr(self, name)
                raw = value.get_secret_value() if value is not None else ""
                if not raw:
                    raise ConfigurationError(f"{variable} is required in production and is not set")
                if raw.startswith(DEV_SECRET_PREFIX) or raw.strip().lower() in _WEAK_SECRETS:
                    raise ConfigurationError(
                        f"{variable} holds a development or default value; set a real secret"
                    )
                if len(_key_material(raw)) < MIN_SECRET_LENGTH:
                    raise ConfigurationError(
                        f"{variable} is too short (at least {MIN_SECRET_LENGTH} characters)"
                    )
            return self
        folder = self.var_dir / "secrets"
        for name in SECRET_FIELDS:
            if getattr(self, name) is None:
                setattr(self, name, SecretStr(_load_or_create_dev_secret(folder, name)))
        return self


def _key_material(raw: str) -> str:
    """The key part of a possibly versioned value (``v2:key,v1:old`` -> ``key``)."""
    first = raw.split(",")[0].strip()
    if ":" in first:
        return first.split(":", 1)[1]
    return first


def _load_or_create_dev_secret(folder: Path, name: str) -> str:
    path = folder / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    value = DEV_SECRET_PREFIX + secrets.token_hex(32)
    # O_EXCL: two processes starting together keep the first one's value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, secrets ensured. Tests build their own ``Settings``."""
    return Settings().ensure_secrets()
