"""User management: create, list, change role/active, unlock, reset password, change own
password. No HTTP: the routes and ``octroi users`` both call these."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.models import RefreshFamily
from backend.auth.service import revoke_user_families, utcnow
from backend.users.models import User
from security.passwords import PasswordHasher, check_password_policy, generate_password
from security.rbac import Role

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
_USERNAME = re.compile(USERNAME_PATTERN)


class UserError(ValueError):
    """A request about users that cannot be carried out; ``field`` names the culprit."""

    def __init__(self, field: str, message: str, status_code: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status_code = status_code


class UserNotFound(UserError):
    def __init__(self, username: str) -> None:
        super().__init__("username", f"no user named {username!r}", 404)


def validate_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise UserError(
            "username",
            "3 to 64 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    return username


def get_user(db: Session, username: str, *, for_update: bool = False) -> User:
    query = select(User).where(User.username == username)
    if for_update:
        query = query.with_for_update()
    user = db.execute(query).scalar_one_or_none()
    if user is None:
        raise UserNotFound(username)
    return user


def list_users(db: Session) -> Sequence[User]:
    return db.execute(select(User).order_by(User.username)).scalars().all()


def create_user(
    db: Session,
    hasher: PasswordHasher,
    *,
    username: str,
    role: Role | str,
    full_name: str = "",
    password: str | None = None,
    must_change_password: bool | None = None,
) -> tuple[User, str | None]:
    """Add a user (the caller commits). Without ``password`` a one-time password is generated,
    returned once, and must be changed at first login."""
    validate_username(username)
    try:
        role = Role(role)
    except ValueError as exc:
        raise UserError("role", f"must be one of {', '.join(r.value for r in Role)}") from exc
    if db.execute(select(User.id).where(User.username == username)).first():
        raise UserError("username", f"{username!r} already exists", 409)
    one_time = None
    if password is None:
        password = one_time = generate_password()
    else:
        _check_policy(password, username, "password")
    now = utcnow()
    user = User(
        username=username,
        full_name=full_name,
        role=role.value,
        password_hash=hasher.hash(password),
        active=True,
        must_change_password=(one_time is not None)
        if must_change_password is None
        else must_change_password,
        failed_attempts=0,
        locked_until=None,
        created_at=now,
        updated_at=now,
    )
    db.add(user)
    db.flush()
    return user, one_time


def _check_policy(password: str, username: str, field: str) -> None:
    try:
        check_password_policy(password, username)
    except ValueError as exc:
        raise UserError(field, str(exc)) from exc


def _active_admins(db: Session) -> int:
    return int(
        db.execute(
            select(func.count()).select_from(User).where(User.role == Role.admin.value, User.active)
        ).scalar_one()
    )


def update_user(
    db: Session, username: str, *, role: Role | str | None = None, active: bool | None = None
) -> tuple[User, dict[str, list[object]]]:
    """Change role and/or active; returns the user and ``{field: [old, new]}``.

    Any change revokes the user's sessions at once. The last active admin stays one.
    """
    user = get_user(db, username, for_update=True)
    new_role = None
    if role is not None:
        try:
            new_role = Role(role).value
        except ValueError as exc:
            raise UserError("role", f"must be one of {', '.join(r.value for r in Role)}") from exc
    demoted = new_role is not None and user.role == Role.admin.value and new_role != Role.admin.value
    disabled = active is False and user.role == Role.admin.value and user.active
    if (demoted or disabled) and _active_admins(db) <= 1:
        raise UserError(
            "role" if demoted else "active",
            "the last active admin cannot be demoted or disabled",
            409,
        )
    changes: dict[str, list[object]] = {}
    if new_role is not None and new_role != user.role:
        changes["role"] = [user.role, new_role]
        user.role = new_role
    if active is not None and active != user.active:
        changes["active"] = [user.active, active]
        user.active = active
    if changes:
        user.updated_at = utcnow()
        revoke_user_families(db, user.id, "role or status changed")
    db.flush()
    return user, changes


def unlock_user(db: Session, username: str) -> User:
    user = get_user(db, username, for_update=True)
    user.failed_attempts = 0
    user.locked_until = None
    user.updated_at = utcnow()
    db.flush()
    return user


def reset_password(db: Session, hasher: PasswordHasher, username: str) -> tuple[User, str]:
    """A new one-time password (returned once); sessions revoked, change forced at next login."""
    user = get_user(db, username, for_update=True)
    one_time = generate_password()
    user.password_hash = hasher.hash(one_time)
    user.must_change_password = True
    user.failed_attempts = 0
    user.locked_until = None
    user.updated_at = utcnow()
    revoke_user_families(db, user.id, "password reset")
    db.flush()
    return user, one_time


def change_own_password(
    db: Session,
    hasher: PasswordHasher,
    user_id: int,
    current_password: str,
    new_password: str,
    keep_family: str | None,
) -> User:
    user = db.get(User, user_id, with_for_update=True)
    if user is None:
        raise UserError("username", "user no longer exists", 404)
    matches, _ = hasher.verify(current_password, user.password_hash)
    if not matches:
        raise UserError("current_password", "is not your current password", 400)
    if current_password == new_password:
        raise UserError("new_password", "must differ from the current password")
    _check_policy(new_password, user.username, "new_password")
    user.password_hash = hasher.hash(new_password)
    user.must_change_password = False
    user.updated_at = utcnow()
    # Other sessions (maybe someone who knew the old password) end; this one goes on.
    db.execute(
        RefreshFamily.__table__.update()
        .where(
            RefreshFamily.user_id == user.id,
            RefreshFamily.revoked_at.is_(None),
            RefreshFamily.id != (keep_family or ""),
        )
        .values(revoked_at=utcnow(), revoked_reason="password changed")
    )
    db.flush()
    return user
