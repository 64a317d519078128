"""Login, lockout, refresh-token rotation and revocation. No HTTP here: routes map the
exceptions to status codes, and the CLI or tests can call the same functions."""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.auth.config import AuthSettings
from backend.auth.models import LoginThrottle, RefreshFamily, RefreshToken
from backend.users.models import User
from security.passwords import PasswordHasher
from security.tokens import (
    TokenConfig,
    TokenError,
    decode_token,
    issue_access_token,
    issue_refresh_token,
    token_digest,
)


class LoginFailed(Exception):
    """Wrong username or password, or a disabled account: one answer for all three."""

    def __init__(self, reason: str, user: User | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user


class AccountLocked(Exception):
    """Too many failures; ``user`` is None when the name is not an account (same answer)."""

    def __init__(self, user: User | None, retry_after_seconds: int) -> None:
        super().__init__("account locked")
        self.user = user
        self.retry_after_seconds = retry_after_seconds


class RefreshRefused(Exception):
    def __init__(self, reason: str, user: User | None = None, family_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.family_id = family_id


class SessionExpired(RefreshRefused):
    """The login session (refresh family) is older than its absolute lifetime: sign in again."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    role: str
    family_id: str


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything Octroi writes is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def authenticate_password(
    db: Session,
    hasher: PasswordHasher,
    auth: AuthSettings,
    username: str,
    password: str,
    *,
    now: datetime | None = None,
) -> User:
    """The user when ``password`` is right; ``LoginFailed``/``AccountLocked`` otherwise.

    The caller commits in every case: a failure counts toward the lockout. Argon2 runs
    outside any database transaction (issue 14): on SQLite every transaction holds the
    database's write lock, so hashing inside one stalled every request behind a burst of
    bogus logins. The row is read, the hash checked, then the row locked and the outcome
    applied to its state at that moment.
    """
    now = now or utcnow()
    seen = db.execute(
        select(User.id, User.password_hash, User.locked_until).where(User.username == username)
    ).first()
    db.rollback()  # release the read (and SQLite's write lock) before the slow part
    if seen is None:
        # Same time and the same lockout as a real account, so neither reveals a name.
        hasher.burn(password)
        throttle = _throttle_for_unknown_name(db, username, now, auth)
        _check_not_locked(throttle, now, None)
        _count_failure(throttle, auth, now)
        raise LoginFailed("unknown user")
    if seen.locked_until is not None and as_utc(seen.locked_until) > now:
        hasher.burn(password)
        matches, new_hash = False, None
    else:
        matches, new_hash = hasher.verify(password, seen.password_hash)
    # FOR UPDATE: two replicas counting failures for one user must not lose an increment.
    user = db.execute(select(User).where(User.id == seen.id).with_for_update()).scalar_one_or_none()
    if user is None:
        raise LoginFailed("unknown user")
    _check_not_locked(user, now, user)
    if user.password_hash != seen.password_hash:
        # Changed while we hashed (a reset or a change): the old hash decides nothing.
        matches, new_hash = False, None
    if not matches:
        _count_failure(user, auth, now)
        raise LoginFailed("wrong password", user)
    if not user.active:
        raise LoginFailed("account disabled", user)
    if new_hash is not None:
        user.password_hash = new_hash  # parameters changed since this hash was made
    user.failed_attempts = 0
    user.locked_until = None
    user.updated_at = now
    return user


def check_current_password(
    db: Session, hasher: PasswordHasher, auth: AuthSettings, user_id: int, password: str,
    *, now: datetime | None = None,
) -> bool:
    """The password-change route's check of the current password, counted like a login:
    wrong guesses lock the account (``AccountLocked``), argon2 runs outside the lock.
    Returns True when right; the caller commits either way."""
    now = now or utcnow()
    seen = db.execute(select(User.password_hash, User.locked_until).where(User.id == user_id)).first()
    db.rollback()
    if seen is None:
        return False
    if seen.locked_until is not None and as_utc(seen.locked_until) > now:
        hasher.burn(password)
        matches = False
    else:
        matches, _ = hasher.verify(password, seen.password_hash)
    user = db.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one_or_none()
    if user is None:
        return False
    _check_not_locked(user, now, user)
    if matches and user.password_hash == seen.password_hash:
        user.failed_attempts = 0
        return True
    _count_failure(user, auth, now)
    return False


def _check_not_locked(holder: User | LoginThrottle, now: datetime, user: User | None) -> None:
    if holder.locked_until is not None and as_utc(holder.locked_until) > now:
        remaining = (as_utc(holder.locked_until) - now).total_seconds()
        raise AccountLocked(user, max(1, math.ceil(remaining)))


def _count_failure(holder: User | LoginThrottle, auth: AuthSettings, now: datetime) -> None:
    holder.failed_attempts += 1
    if holder.failed_attempts >= auth.lockout_threshold:
        holder.locked_until = now + timedelta(minutes=auth.lockout_minutes)
        holder.failed_attempts = 0
    holder.updated_at = now


def _throttle_for_unknown_name(
    db: Session, username: str, now: datetime, auth: AuthSettings
) -> LoginThrottle:
    """The locked failure counter of a name that is not an account (created on first use).

    The table is bounded: a new name is only added after the oldest counters that hold no
    lock were dropped, once it holds ``auth.login_throttle_max_rows`` rows.
    """
    name_hash = hashlib.sha256(b"octroi-login:" + username.encode("utf-8")).hexdigest()
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Insert-if-absent, then lock: two replicas counting the same name lose no increment.
    created = db.execute(
        insert(LoginThrottle)
        .values(name_hash=name_hash, failed_attempts=0, locked_until=None, updated_at=now)
        .on_conflict_do_nothing(index_elements=["name_hash"])
    ).rowcount
    if created:
        _bound_throttles(db, now, auth.login_throttle_max_rows, keep=name_hash)
    return db.execute(
        select(LoginThrottle).where(LoginThrottle.name_hash == name_hash).with_for_update()
    ).scalar_one()


def _bound_throttles(db: Session, now: datetime, max_rows: int, keep: str) -> None:
    rows = int(db.scalar(select(func.count()).select_from(LoginThrottle)) or 0)
    excess = rows - max_rows
    if excess <= 0:
        return
    oldest = (
        select(LoginThrottle.name_hash)
        .where(
            LoginThrottle.name_hash != keep,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
        .order_by(LoginThrottle.updated_at)
        .limit(excess)
    )
    db.execute(delete(LoginThrottle).where(LoginThrottle.name_hash.in_(oldest.scalar_subquery())))


def issue_pair(
    db: Session, config: TokenConfig, user: User, *, family_id: str | None = None
) -> TokenPair:
    """A new access + refresh token; a new family unless continuing ``family_id``."""
    now = utcnow()
    if family_id is None:
        family_id = uuid.uuid4().hex
        db.add(RefreshFamily(id=family_id, user_id=user.id, created_at=now))
        db.flush()
    # The access token names its family too, so logout and revocation reach it at once.
    access = issue_access_token(config, user.username, user.role, family=family_id, now=now)
    refresh = issue_refresh_token(config, user.username, user.role, family_id, now=now)
    db.add(
        RefreshToken(
            family_id=family_id,
            token_hash=token_digest(refresh.token),
            issued_at=now,
            expires_at=refresh.expires_at,
        )
    )
    db.flush()
    return TokenPair(
        access_token=access.token,
        refresh_token=refresh.token,
        expires_in=int(config.access_ttl.total_seconds()),
        role=user.role,
        family_id=family_id,
    )


def session_ended_by_age(created_at: datetime, max_age: timedelta | None, now: datetime | None = None) -> bool:
    """True when a login session begun at ``created_at`` is past its absolute lifetime."""
    return max_age is not None and as_utc(created_at) + max_age <= (now or utcnow())


def rotate(
    db: Session, config: TokenConfig, refresh_token: str, *, max_age: timedelta | None = None
) -> tuple[User, TokenPair]:
    """Exchange a refresh token for a new pair. Replaying a rotated one revokes its family.

    ``max_age`` (``OCTROI_SESSION_MAX_HOURS``): a family older than that is revoked and the
    refresh refused (``SessionExpired``), however recently its tokens were rotated; each
    rotation renews the refresh token's own expiry, never the session's."""
    try:
        claims = decode_token(config, refresh_token, "refresh")
    except TokenError as exc:
        raise RefreshRefused(exc.reason) from exc
    row = db.execute(
        select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token)).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.family_id != claims["fam"]:
        raise RefreshRefused("unknown refresh token")
    family = db.get(RefreshFamily, row.family_id)
    user = db.get(User, family.user_id) if family else None
    if family is None or user is None:
        raise RefreshRefused("unknown refresh token")
    if family.revoked_at is not None:
        raise RefreshRefused("session revoked", user, family.id)
    if row.rotated_at is not None:
        # Someone holds a token that was already exchanged: assume theft, end the session.
        revoke_family(db, family, "refresh token replayed")
        raise RefreshRefused("refresh token replayed; session revoked", user, family.id)
    if not user.active or user.username != claims["sub"]:
        revoke_family(db, family, "user disabled")
        raise RefreshRefused("account disabled", user, family.id)
    if session_ended_by_age(family.created_at, max_age):
        revoke_family(db, family, "session lifetime exceeded")
        raise SessionExpired("session lifetime exceeded", user, family.id)
    row.rotated_at = utcnow()
    return user, issue_pair(db, config, user, family_id=family.id)


def revoke_family(db: Session, family: RefreshFamily, reason: str) -> None:
    if family.revoked_at is None:
        family.revoked_at = utcnow()
        family.revoked_reason = reason[:64]
    db.flush()


def revoke_user_families(db: Session, user_id: int, reason: str) -> int:
    """Revoke every live session of a user (disabled, role changed, password reset)."""
    result = db.execute(
        update(RefreshFamily)
        .where(RefreshFamily.user_id == user_id, RefreshFamily.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason[:64])
    )
    return int(result.rowcount or 0)
