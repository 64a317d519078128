"""Application settings, read from the environment (prefix ``OCTROI_``).

In development, secrets that are not set are generated once into ``<var_dir>/secrets/``
(git-ignored, mode 0600) so a fresh clone runs without any setup. In production a missing
secret, or one that was generated for development, stops the start with a message naming
the variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from datetime import datetime
from enum import Enum, StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
_VERSIONED = re.compile(r"^[A-Za-z0-9_-]{1,16}:")


class Environment(StrEnum):
    development = "development"
    production = "production"


class ConfigurationError(RuntimeError):
    """The configuration cannot be used; the message names the variable."""


class Settings(BaseSettings):
    # An empty variable (``OCTROI_JWT_PREVIOUS_KEY=`` in a copied .env.example) means unset.
    model_config = SettingsConfigDict(env_prefix="OCTROI_", extra="ignore", env_ignore_empty=True)

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
    # How long an applicant's data stay once nothing happens in their file (no import change,
    # decision or contest): `octroi privacy purge` then deletes them as an erasure would, without
    # a tombstone (RGPD Art. 5(1)(e)). Five years by default, the bank's own choice to set: the
    # backtest needs the outcomes of loans granted a year or two earlier.
    client_retention_days: int = Field(default=1825, ge=30, le=36500)
    # How events join the hash chain (docs/decisions/0012-audit-sequencer.md): "sequencer"
    # (requests commit to a pending table, one sequencer chains behind them) or "inline"
    # (each request chains under the global head lock; the benchmark's baseline).
    audit_chain: Literal["sequencer", "inline"] = "sequencer"
    score_cache_ttl_seconds: int = Field(default=600, ge=1, le=86400)
    # How many guarded requests one API process works on at once (backend/api/routing.py): its
    # own thread pool, so a burst of logins cannot take it, and small, because the work is CPU
    # bound and more threads only contend (docs/decisions/0026-request-threads.md). 0: no
    # thread, the event loop runs them itself, one at a time (faster; the loop then waits on
    # the database: docs/decisions/0028-requests-on-the-event-loop.md).
    request_threads: int = Field(default=2, ge=0, le=256)
    # Abuse limits (backend/ratelimit.py), per user, shared by every API process.
    rate_limit_scoring_per_minute: int = Field(default=60, ge=1, le=100_000)
    rate_limit_export_per_hour: int = Field(default=10, ge=1, le=10_000)
    # A compliance officer's day (Art. 17 requests come a few a week; "was it erased?" a few a
    # day): a stolen session erases at most this many files, or maps this many bank ids, per
    # rolling 24 h, instead of the whole portfolio within the session's 12 h.
    rate_limit_erasure_per_day: int = Field(default=20, ge=1, le=100_000)
    rate_limit_erasure_status_per_day: int = Field(default=50, ge=1, le=100_000)
    # Failed logins per source address and minute, before any password hashing (issue 14).
    rate_limit_login_failures_per_minute: int = Field(default=30, ge=1, le=100_000)
    # Absolute lifetime of a login session (a refresh-token family), whatever its rotations:
    # past it, refresh and the session's access tokens are refused (401 ``session_expired``)
    # and the user signs in again. A working day by default; at most 30 days.
    session_max_hours: int = Field(default=12, ge=1, le=720)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: IPs or CIDR networks,
    # comma-separated. None by default: a client cannot choose the address the audit records.
    trusted_proxies: str = ""
    log_level: str = "INFO"

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"OCTROI_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network"
                ) from None
        return value
    # Loss given default of the COMEX expected loss (sum over approved applicants of PD x LGD x
    # credit amount). 45 %: the regulatory value for senior unsecured exposures without eligible
    # collateral (CRR Art. 161(1)(a), foundation IRB); a bank with its own LGD estimate sets it.
    lgd: float = Field(default=0.45, ge=0.0, le=1.0, description="Loss given default, 0-1 (OCTROI_LGD)")
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

    def as_environment(self) -> dict[str, str]:
        """These settings as the ``OCTROI_*`` variables that give them back: what a child
        process (``octroi jobs run all`` after an erasure) is started with, so it works on the
        parent's database, model and keys whatever the parent's own environment holds (an app
        built from explicit settings, as the tests build theirs, sent its jobs to ``var/``)."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None or value == "":
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, Enum):
                value = value.value
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, datetime):
                value = value.isoformat()
            out[f"OCTROI_{name.upper()}"] = str(value)
        return out

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
                # A versioned value ("v2:key,v1:old") is checked entry by entry: an old
                # version is as able to re-identify clients as the current one.
                materials = _key_materials(raw) if name == "pseudonym_key" else [raw]
                for position, material in enumerate(materials, 1):
                    where = variable if position == 1 else f"{variable} entry {position}"
                    if material.startswith(DEV_SECRET_PREFIX) or material.strip().lower() in _WEAK_SECRETS:
                        raise ConfigurationError(
                            f"{where} holds a development or default value; set a real secret"
                        )
                    if len(material) < MIN_SECRET_LENGTH:
                        raise ConfigurationError(
                            f"{where} is too short (at least {MIN_SECRET_LENGTH} characters)"
                        )
            return self
        folder = self.var_dir / "secrets"
        for name in SECRET_FIELDS:
            if getattr(self, name) is None:
                setattr(self, name, SecretStr(_load_or_create_dev_secret(folder, name)))
        return self


def _key_materials(raw: str) -> list[str]:
    """Every key of a possibly versioned value (``v2:key,v1:old`` -> ``[key, old]``).

    Only the pseudonym key is versioned; elsewhere a comma or colon is part of the secret."""
    parts = [part.strip() for part in raw.split(",")]
    return [part.split(":", 1)[1] if _VERSIONED.match(part) else part for part in parts]


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
