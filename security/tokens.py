"""Signed JWTs (HS256) for access and refresh tokens, with every claim required.

python-jose >= 3.4 (older ones have CVE-2024-33663/33664). Decoding always passes an explicit
algorithm allow-list, so ``alg: none`` and algorithm-confusion tokens are refused.

Verification is cached per process (``_signed_claims``): a token's signature and its static
claims (issuer, audience, required claims) are checked once under a given key; expiry, the
key's grace period and the token type are checked again on every use. Only tokens that passed
are kept, so a forged or tampered token is verified (and refused) every time.

Key rotation: tokens are always signed with ``TokenConfig.key``; ``previous_keys`` lists
retired keys that still verify tokens until their own ``valid_until`` (the grace period), so
a rotation does not log everybody out, and a stolen old key stops working at a known time.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from calendar import timegm
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

from jose import jwt
from jose.exceptions import JOSEError, JWTClaimsError

ALGORITHM = "HS256"
ALLOWED_ALGORITHMS = [ALGORITHM]
REQUIRED_CLAIMS = ("sub", "role", "iat", "exp", "jti", "iss", "aud")
TokenType = Literal["access", "refresh"]


class TokenError(Exception):
    """The token is not acceptable; ``reason`` is safe to log (never the token itself)."""

    def __init__(self, reason: str, claims: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        # Set only when the signature was valid (e.g. an expired token): who it was for.
        self.claims = claims


@dataclass(frozen=True)
class PreviousKey:
    """A retired signing key, still accepted for verification until ``valid_until``."""

    key: str
    valid_until: datetime


@dataclass(frozen=True)
class TokenConfig:
    key: str
    issuer: str = "octroi"
    audience: str = "octroi-api"
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=7)
    previous_keys: tuple[PreviousKey, ...] = ()

    def verification_keys(self, now: datetime | None = None) -> list[str]:
        """The current key, then every previous key whose grace period has not ended."""
        now = now or datetime.now(UTC)
        return [self.key] + [p.key for p in self.previous_keys if now < p.valid_until]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


def _issue(
    config: TokenConfig,
    *,
    subject: str,
    role: str,
    token_type: TokenType,
    ttl: timedelta,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = issued + ttl
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role,
        "typ": token_type,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": jti,
        "iss": config.issuer,
        "aud": config.audience,
    }
    claims.update(extra or {})
    return IssuedToken(jwt.encode(claims, config.key, algorithm=ALGORITHM), jti, expires)


def issue_access_token(
    config: TokenConfig,
    subject: str,
    role: str,
    *,
    family: str | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """``family`` (the login session) lets a server revoke the access token with its session."""
    return _issue(
        config,
        subject=subject,
        role=role,
        token_type="access",  # noqa: S106 - a token kind, not a secret
        ttl=config.access_ttl,
        extra={"fam": family} if family else None,
        now=now,
    )


def issue_refresh_token(
    config: TokenConfig, subject: str, role: str, family: str, *, now: datetime | None = None
) -> IssuedToken:
    return _issue(
        config,
        subject=subject,
        role=role,
        token_type="refresh",  # noqa: S106 - a token kind, not a secret
        ttl=config.refresh_ttl,
        extra={"fam": family},
        now=now,
    )


def decode_token(config: TokenConfig, token: str, expected_type: TokenType) -> dict[str, Any]:
    """The verified claims of ``token``, or ``TokenError``."""
    claims = _verified_claims(config, token)
    for claim in REQUIRED_CLAIMS:
        if claims.get(claim) in (None, ""):
            raise TokenError(f"missing claim: {claim}")
    if not isinstance(claims["sub"], str) or not isinstance(claims["role"], str):
        raise TokenError("invalid claims: sub and role must be strings")
    if claims.get("typ") != expected_type:
        raise TokenError(f"not an {expected_type} token")
    if expected_type == "refresh" and not claims.get("fam"):
        raise TokenError("missing claim: fam")
    return claims


def _verified_claims(config: TokenConfig, token: str) -> dict[str, Any]:
    """The claims of ``token`` under the acceptable key that signed it, each signature checked
    once: the current key first (almost every token), then the keys in their grace period.

    python-jose checks the signature before any claim, so a wrong claim means the key was
    right. A token signed with a previous key past its grace period matches none and is
    refused exactly like a forged one (its cached verification is never consulted again).
    """
    for key in config.verification_keys():
        try:
            claims = _signed_claims(token, key, config.issuer, config.audience)
        except JWTClaimsError as exc:
            raise TokenError(f"invalid claims: {exc}") from exc
        except JOSEError:
            continue  # not this key's signature (or not a token at all)
        return _unexpired(claims)
    raise TokenError("invalid token")


# Checked once per (token, key): everything but the expiry, which changes with the clock.
# ``require_exp`` would make python-jose check the expiry too; ``_unexpired`` requires it.
_STATIC_CHECKS = {f"require_{claim}": True for claim in ("iat", "jti", "iss", "aud", "sub")}
VERIFIED_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=VERIFIED_CACHE_SIZE)
def _signed_claims(token: str, key: str, issuer: str, audience: str) -> Mapping[str, Any]:
    """The claims of ``token`` if ``key`` signed it (allowed algorithm only) and its static
    claims hold; raises otherwise (and nothing is cached). Read-only: callers get copies."""
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise TokenError("invalid token") from exc
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise TokenError("algorithm not allowed")
    options: dict[str, Any] = {**_STATIC_CHECKS, "verify_exp": False, "leeway": 0}
    claims = jwt.decode(token, key, algorithms=ALLOWED_ALGORITHMS, audience=audience, issuer=issuer, options=options)
    return MappingProxyType(claims)


def _unexpired(claims: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of verified ``claims`` unless expired (python-jose's rule: refused once the clock,
    in whole seconds, is past ``exp``); an expired token's claims ride on the ``TokenError``."""
    if "exp" not in claims:
        raise TokenError("invalid token")  # as python-jose refuses a token missing a required claim
    try:
        expires = int(claims["exp"])
    except (TypeError, ValueError) as exc:
        raise TokenError("invalid claims: Expiration Time claim (exp) must be an integer.") from exc
    if expires < timegm(datetime.now(UTC).utctimetuple()):
        raise TokenError("token expired", dict(claims))
    return dict(claims)


def token_digest(token: str) -> str:
    """What the database stores instead of a refresh token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
