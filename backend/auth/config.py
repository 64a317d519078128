"""Identity settings that live beside ``backend.settings`` (same ``OCTROI_`` prefix).

Kept here so the identity work does not widen the shared ``Settings`` class; the secrets
themselves (JWT key, audit signing key) still come from ``Settings``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.settings import DEV_SECRET_PREFIX, MIN_SECRET_LENGTH, ConfigurationError, Settings
from security.passwords import PRODUCTION_FLOOR, Argon2Params, PasswordHasher
from security.tokens import PreviousKey, TokenConfig


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OCTROI_", extra="ignore")

    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=16)
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=7, ge=1, le=90)
    jwt_issuer: str = "octroi"
    jwt_audience: str = "octroi-api"
    lockout_threshold: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    audit_checkpoint_every: int = Field(default=100, ge=1, le=1_000_000)
    # Failure counters of names that are not accounts: at most this many rows (issue 14).
    login_throttle_max_rows: int = Field(default=100_000, ge=10, le=10_000_000)
    # A checkpoint at least this often while the head moves (0 turns the timer off).
    audit_checkpoint_seconds: int = Field(default=300, ge=0, le=86_400)
    # Where the witness writes (default <var dir>/audit-witness); point it at write-once storage.
    audit_witness_dir: Path | None = None

    @property
    def argon2(self) -> Argon2Params:
        return Argon2Params(self.argon2_time_cost, self.argon2_memory_kib, self.argon2_parallelism)


def password_hasher(settings: Settings, auth: AuthSettings) -> PasswordHasher:
    params = auth.argon2
    if settings.is_production and not params.at_least(PRODUCTION_FLOOR):
        raise ConfigurationError(
            "OCTROI_ARGON2_* parameters are below the production floor "
            f"(time_cost>={PRODUCTION_FLOOR.time_cost}, memory_kib>={PRODUCTION_FLOOR.memory_kib})"
        )
    return PasswordHasher(params)


def token_config(settings: Settings, auth: AuthSettings) -> TokenConfig:
    return TokenConfig(
        key=settings.secret("jwt_key"),
        issuer=auth.jwt_issuer,
        audience=auth.jwt_audience,
        access_ttl=timedelta(minutes=auth.access_token_minutes),
        refresh_ttl=timedelta(days=auth.refresh_token_days),
        previous_keys=previous_jwt_keys(settings, max_grace=timedelta(days=auth.refresh_token_days)),
    )


def previous_jwt_keys(
    settings: Settings, max_grace: timedelta = timedelta(days=7)
) -> tuple[PreviousKey, ...]:
    """The retired JWT key and the end of its grace period (key rotation, SECURITY.md).

    The grace period ends at most ``max_grace`` (the refresh-token lifetime) from now: no
    token signed with the old key can need longer, and a leaked key must not live on."""
    if settings.jwt_previous_key is None:
        return ()
    raw = settings.jwt_previous_key.get_secret_value()
    until = settings.jwt_previous_key_until
    if until is None:
        # An open-ended grace period would keep a retired (maybe leaked) key alive for ever.
        raise ConfigurationError(
            "OCTROI_JWT_PREVIOUS_KEY_UNTIL is required when OCTROI_JWT_PREVIOUS_KEY is set "
            "(ISO 8601 time at which the previous key stops verifying tokens)"
        )
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    if until > datetime.now(UTC) + max_grace:
        raise ConfigurationError(
            f"OCTROI_JWT_PREVIOUS_KEY_UNTIL is more than {max_grace.days} days ahead (the refresh-token "
            "lifetime, OCTROI_REFRESH_TOKEN_DAYS): the previous key must not outlive the tokens it signed"
        )
    if settings.is_production and (len(raw) < MIN_SECRET_LENGTH or raw.startswith(DEV_SECRET_PREFIX)):
        raise ConfigurationError("OCTROI_JWT_PREVIOUS_KEY is too short or a development value")
    if raw == settings.secret("jwt_key"):
        raise ConfigurationError("OCTROI_JWT_PREVIOUS_KEY equals OCTROI_JWT_KEY; set the new key")
    return (PreviousKey(raw, until),)
