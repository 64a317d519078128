"""User management: create, list, change role/active, unlock, reset password, change own
password. No HTTP: the routes and ``octroi users`` both call these."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from backend.audit.actions import AuditAction
from backend.audit.service import events_where, recorded_actor
from backend.auth.password_policy import check_password_policy, seen
from backend.auth.service import as_utc, revoke_user_families, utcnow
from backend.users.models import AccessRequest, PasswordHistory, User
from security.passwords import (
    PasswordHasher,
    PasswordPolicyError,
    generate_password,
    password_problems,
)
from security.rbac import ROLES_NEEDING_APPROVAL, Role

# Serializes changes to who is an active admin across processes (PostgreSQL; SQLite's
# BEGIN IMMEDIATE already does): "octroi-users" in ASCII.
USERS_LOCK_KEY = 0x6F6374726F692D75

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
_USERNAME = re.compile(USERNAME_PATTERN)
USERNAME_RULE = (
    "3 to 64 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
)
FULL_NAME_MAX_LENGTH = 200  # the users.full_name column


class UserError(ValueError):
    """A request about users that cannot be carried out; ``field`` names the culprit and
    ``reasons`` the rules it breaks, machine-readable (the API's ``FieldError.reason``)."""

    def __init__(self, field: str, message: str, status_code: int = 422, reason: str | tuple[str, ...] = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status_code = status_code
        self.reasons = (reason,) if isinstance(reason, str) else reason


class ApprovalRequired(UserError):
    """The change grants access to personal data: it must be requested, then approved."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, 409, "approval_required")


class FourEyes(UserError):
    """The admin who requested (or the person concerned) cannot decide the request."""

    def __init__(self, message: str) -> None:
        super().__init__("request", message, 403, "four_eyes")


class TooManyFailures(UserError):
    """An admin's unlock refused: the account had too many wrong passwords lately."""

    def __init__(self, message: str, wrong_passwords: int) -> None:
        super().__init__("username", message, 409, "too_many_failures")
        self.wrong_passwords = wrong_passwords


class UserNotFound(UserError):
    def __init__(self, username: str) -> None:
        super().__init__("username", f"no user named {username!r}", 404, "unknown_user")


def validate_username(username: str) -> str:
    """The name as stored, or ``UserError`` (reason ``username_format``, the rule in words).

    NFKC first: the full-width "ｒｖｂ＿ｃｘ１" a Japanese keyboard types is the name "rvb_cx1", not
    a second look-alike account. A control or format character (zero-width space, bidi
    override, NUL, a trailing newline) is refused by name: it shows nothing, so two accounts
    would look the same to the admins and in the audit trail."""
    normalised = unicodedata.normalize("NFKC", username)
    hidden = next((ch for ch in normalised if unicodedata.category(ch) in ("Cc", "Cf")), None)
    if hidden is not None:
        raise UserError("username", f"{USERNAME_RULE} (U+{ord(hidden):04X} is an invisible character)",
                        reason="username_format")
    if not _USERNAME.fullmatch(normalised):
        raise UserError("username", USERNAME_RULE, reason="username_format")
    return normalised


def validate_full_name(full_name: str) -> str:
    """The API's limit (``UserCreate.full_name``) for every caller, the CLI included: the column
    is ``VARCHAR(200)``, and PostgreSQL would refuse a longer name with an error, SQLite keep it."""
    if len(full_name) > FULL_NAME_MAX_LENGTH:
        raise UserError("full_name", f"at most {FULL_NAME_MAX_LENGTH} characters ({len(full_name)} given)",
                        reason="string_too_long")
    return full_name


# One-time passwords carry a check suffix: a password change recognises any of them, the one an
# admin handed out years ago included, without keeping a history of hashes. The suffix is no
# secret (a password of this shape is only ever refused, never let in): it only makes a one-time
# password recognisable. A password a manager generates has one chance in 2**36 to be taken for one.
_ONE_TIME_TAG_LENGTH = 6


def _one_time_tag(body: str) -> str:
    digest = hashlib.sha256(b"octroi one-time password\x00" + body.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:_ONE_TIME_TAG_LENGTH]


def new_one_time_password() -> str:
    """A random one-time password (24 random URL-safe characters and a 6-character check suffix)."""
    while True:
        body = generate_password()
        candidate = body + _one_time_tag(body)
        if not password_problems(candidate):
            return candidate


def is_one_time_password(password: str) -> bool:
    """Whether ``password`` (as typed, or as seen once normalised) is a one-time password this
    service generated, for any account."""
    for form in {password, seen(password)}:
        body, tag = form[:-_ONE_TIME_TAG_LENGTH], form[-_ONE_TIME_TAG_LENGTH:]
        if len(body) >= 16 and hmac.compare_digest(_one_time_tag(body).encode(), tag.encode("utf-8", "surrogatepass")):
            return True
    return False


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
    returned once, and must be changed at first login. The username is stored as
    ``validate_username`` reads it (NFKC); the full name is at most 200 characters."""
    username = validate_username(username)
    full_name = validate_full_name(full_name)
    try:
        role = Role(role)
    except ValueError as exc:
        raise UserError("role", f"must be one of {', '.join(r.value for r in Role)}") from exc
    if db.execute(select(User.id).where(User.username == username)).first():
        raise UserError("username", f"{username!r} already exists", 409, "username_taken")
    one_time = None
    if password is None:
        password = one_time = new_one_time_password()
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
    except PasswordPolicyError as exc:
        raise UserError(field, str(exc), reason=exc.reasons) from exc


def _active_admins(db: Session) -> int:
    # Two admins disabling each other at once must not both see two admins left: the lock
    # makes the second wait for the first's commit, then count again.
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": USERS_LOCK_KEY})
    return int(
        db.execute(
            select(func.count()).select_from(User).where(User.role == Role.admin.value, User.active)
        ).scalar_one()
    )


def update_user(
    db: Session, username: str, *, role: Role | str | None = None, active: bool | None = None,
    actor: str | None = None,
) -> tuple[User, dict[str, list[object]]]:
    """Change role and/or active; returns the user and ``{field: [old, new]}``.

    Any change revokes the user's sessions at once. The last active admin stays one, and an
    admin (``actor``) changes neither their own role nor their own status (409 ``own_account``):
    one of two admins who demoted themselves left four-eyes with nobody to approve anything
    (the twenty-eighth session's compliance walk); another admin, or the operator, does it.

    Granting (a role reaching personal data, or admin) and enabling such an account take a
    second admin (``ApprovalRequired``). Taking access away (demoting to comex, disabling) is
    immediate, for an admin too: a leaver or a compromised account must be stopped now, and a
    four-eyes request would let no one stop one of two admins (nobody decides about their own
    account). The takeover that followed a demotion (reset the colleague's password, receive
    it, sign in as them) is closed in ``reset_password_four_eyes`` instead: resetting an account
    that held such a role in the last 90 days is a request another admin approves.
    """
    # The pending request first, then the user: the order an approval takes them (request, then
    # the user it resets), so a disable and an approval at once never deadlock on PostgreSQL.
    pending = _pending_for(db, username, for_update=True)
    user = get_user(db, username, for_update=True)
    new_role = None
    if role is not None:
        try:
            new_role = Role(role).value
        except ValueError as exc:
            raise UserError("role", f"must be one of {', '.join(r.value for r in Role)}") from exc
    # Taking access away only (demoting to a role that needs no approval, disabling) goes through
    # a pending request, and withdraws it: an approval would otherwise undo it. It used to be
    # refused until a second admin decided, so a pending request kept a leaver's access.
    role_changes = new_role is not None and new_role != user.role
    grants = (role_changes and new_role in ROLES_NEEDING_APPROVAL) or (active is True and not user.active)
    takes_away_only = not grants and (role_changes or active is False)
    if pending is not None and not takes_away_only:
        _refuse_while_pending(db, username)
    # A disabled admin is no active admin: demoting one leaves the count as it is.
    demoted = (new_role is not None and user.role == Role.admin.value and new_role != Role.admin.value
               and user.active)
    disabled = active is False and user.role == Role.admin.value and user.active
    if (demoted or disabled) and _active_admins(db) <= 1:
        raise UserError(
            "role" if demoted else "active",
            "the last active admin cannot be demoted or disabled",
            409,
            "last_admin",
        )
    if actor == user.username and ((new_role is not None and new_role != user.role)
                                   or (active is not None and active != user.active)):
        raise UserError(
            "role" if new_role is not None and new_role != user.role else "active",
            "an admin changes neither their own role nor their own status: another admin does it",
            409,
            "own_account",
        )
    if new_role is not None and new_role != user.role and new_role in ROLES_NEEDING_APPROVAL:
        raise ApprovalRequired(
            "role", f"granting {new_role} needs a second admin: POST /users/{username}/access-requests "
            '{"kind": "role", "role": ...}'
        )
    if active is True and not user.active and user.role in ROLES_NEEDING_APPROVAL:
        raise ApprovalRequired(
            "active", f"enabling a {user.role} account needs a second admin: POST "
            f'/users/{username}/access-requests {{"kind": "enable"}}'
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
        if pending is not None:
            pending.status, pending.decided_by, pending.decided_at = "rejected", actor, utcnow()
            changes["access_request"] = [pending.id, "rejected"]
    db.flush()
    return user, changes


# An admin's unlock looks back this far: the wrong passwords it cannot erase.
UNLOCK_WINDOW = timedelta(hours=24)
# The audit reasons of a real guess (a wrong password tried), at login and at a password
# change; attempts refused while locked test nothing and are not counted.
_GUESS_EVENTS = {
    AuditAction.auth_login.value: "wrong password",
    AuditAction.auth_password_change.value: "wrong current password",
}


def unlock_ceiling(lockout_threshold: int) -> int:
    """Wrong passwords in ``UNLOCK_WINDOW`` past which an admin can no longer unlock: two
    lockouts' worth (10 by default), so a user who locked themselves out once is helped, and an
    admin lifting locks to keep guessing gets at most this many guesses a day on top of the
    lockout's own pace."""
    return 2 * lockout_threshold


def recent_wrong_passwords(db: Session, username: str, since: datetime) -> int:
    """Wrong passwords tried on ``username``'s account since ``since``, counted from the audit
    trail (chained or still pending): each failure is committed with its event, and no unlock
    or counter reset erases an event."""
    rows = events_where(db, lambda m: [
        m.actor == username, m.outcome == "denied", m.action.in_(tuple(_GUESS_EVENTS)), m.ts >= since,
    ])
    return sum(1 for row in rows if (row.details or {}).get("reason") == _GUESS_EVENTS[row.action])


@dataclass(frozen=True)
class Unlocked:
    """What an unlock cleared, for its audit event."""

    user: User
    was_locked_until: datetime | None
    failed_attempts_cleared: int
    wrong_passwords_24h: int
    ceiling: int

    def details(self) -> dict[str, object]:
        return {
            "was_locked_until": self.was_locked_until.isoformat() if self.was_locked_until else None,
            "failed_attempts_cleared": self.failed_attempts_cleared,
            "wrong_passwords_24h": self.wrong_passwords_24h,
            "ceiling": self.ceiling,
        }


def unlock_user(db: Session, username: str, *, ceiling: int, now: datetime | None = None) -> Unlocked:
    """Lift a lock and its failure count (the caller audits ``Unlocked.details()``).

    Refused (``TooManyFailures``, nothing changed) once the account saw ``ceiling`` wrong
    passwords in the last 24 hours: an admin must not lift locks at will to keep guessing a
    colleague's password. The lock then ends by itself (``OCTROI_LOCKOUT_MINUTES``) or with a
    password reset, which for an account reaching personal data is a four-eyes request."""
    now = now or utcnow()
    user = get_user(db, username, for_update=True)
    wrong = recent_wrong_passwords(db, username, now - UNLOCK_WINDOW)
    if wrong >= ceiling:
        raise TooManyFailures(
            f"{username!r} had {wrong} wrong passwords in the last 24 hours ({ceiling} or more: no admin "
            "unlock): the lock ends by itself, or reset the password (a four-eyes request for advisor, "
            "compliance and admin accounts)",
            wrong,
        )
    locked = as_utc(user.locked_until) if user.locked_until is not None and as_utc(user.locked_until) > now else None
    unlocked = Unlocked(user, locked, user.failed_attempts, wrong, ceiling)
    user.failed_attempts = 0
    user.locked_until = None
    user.updated_at = now
    db.flush()
    return unlocked


# A change may not go back to one of the user's last passwords (the current one excluded,
# which ``password_unchanged`` refuses): a forced change is otherwise undone by two changes.
PASSWORD_HISTORY = 5


def _in_history(db: Session, hasher: PasswordHasher, user: User, password: str) -> bool:
    """Is ``password`` one of the user's last ``PASSWORD_HISTORY`` retired passwords? One
    argon2id verification each (the change is rare; a login never pays it)."""
    hashes = db.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.retired_at.desc(), PasswordHistory.id.desc()).limit(PASSWORD_HISTORY)
    ).all()
    forms = {password, seen(password)}  # as typed, and as seen (a zero-width space added is the same)
    return any(hasher.verify(form, stored)[0] for stored in hashes for form in forms)


def _retire_password(db: Session, user: User) -> None:
    """Keep the current password's hash in the user's history; only the last ones stay."""
    db.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, retired_at=utcnow()))
    db.flush()
    stale = db.scalars(
        select(PasswordHistory.id).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.retired_at.desc(), PasswordHistory.id.desc()).offset(PASSWORD_HISTORY)
    ).all()
    if stale:
        db.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(stale)))


def reset_password(db: Session, hasher: PasswordHasher, username: str) -> tuple[User, str]:
    """A new one-time password (returned once); sessions revoked, change forced at next login."""
    user = get_user(db, username, for_update=True)
    one_time = new_one_time_password()
    _retire_password(db, user)  # a reset often follows a leak: the old password cannot come back
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
    *,
    current_checked: bool = False,
) -> tuple[User, int]:
    """The user and how many sessions ended. The new password must follow the policy as seen
    (``backend.auth.password_policy``), differ from the current one (also once normalised: a
    zero-width space added is the same password to the eye) and be no one-time password: not
    the one an admin handed out, nor any earlier one (``is_one_time_password``), so two
    changes in a row no longer lead back to a password an admin knew.

    Every session of the user ends, the current one too (its refresh token may have been
    copied: the thief must not outlive the change); the caller gives the user a fresh session
    (``backend.auth.service.issue_pair``).

    ``current_checked``: the route already verified ``current_password`` the way a login
    does (``backend.auth.service.check_current_password``), counting failures."""
    user = db.get(User, user_id, with_for_update=True)
    if user is None:
        raise UserError("username", "user no longer exists", 404, "unknown_user")
    if not current_checked:
        matches, _ = hasher.verify(current_password, user.password_hash)
        if not matches:
            raise UserError("current_password", "is not your current password", 400, "wrong_current_password")
    if current_password == new_password or seen(current_password) == seen(new_password):
        raise UserError("new_password", "must differ from the current password", reason="password_unchanged")
    _check_policy(new_password, user.username, "new_password")
    if is_one_time_password(new_password):
        # An admin, or the approver of a request, saw it: whoever handed it out would still
        # hold the account after the change the first login forces.
        raise UserError("new_password", "must not be a one-time password: an admin has seen it",
                        reason="password_reused")
    if _in_history(db, hasher, user, new_password):
        raise UserError("new_password", f"must not be one of your last {PASSWORD_HISTORY} passwords",
                        reason="password_in_history")
    _retire_password(db, user)
    user.password_hash = hasher.hash(new_password)
    user.must_change_password = False
    user.updated_at = utcnow()
    ended = revoke_user_families(db, user.id, "password changed")
    db.flush()
    return user, ended


# ----------------------------------------------------------------------------- four-eyes


REQUEST_KINDS = ("create", "role", "enable", "reset")


def _pending_for(db: Session, username: str, for_update: bool = False) -> AccessRequest | None:
    query = select(AccessRequest).where(AccessRequest.username == username, AccessRequest.status == "pending")
    return db.execute(query.with_for_update() if for_update else query).scalars().first()


def _refuse_while_pending(db: Session, username: str) -> None:
    """No change beside a pending request: it would be approved on another account than the
    one the approver saw (e.g. demoted, enabled and reset to learn its password)."""
    pending = _pending_for(db, username)
    if pending is not None:
        raise UserError(
            "username", f"{username!r} has a pending access request ({pending.id}): decide it first", 409,
            "request_pending",
        )


def _new_request(db: Session, kind: str, user: User, role: str, requested_by: str) -> AccessRequest:
    if _pending_for(db, user.username) is not None:
        raise UserError("username", f"{user.username!r} already has a pending access request", 409, "request_pending")
    request = AccessRequest(
        kind=kind, username=user.username, role=role, status="pending",
        requested_by=requested_by, requested_at=utcnow(),
    )
    db.add(request)
    db.flush()
    return request


def create_user_four_eyes(
    db: Session, hasher: PasswordHasher, requested_by: str, *, username: str, role: Role | str,
    full_name: str = "",
) -> tuple[User, str | None, AccessRequest | None]:
    """What ``POST /users`` does: a comex account at once (one-time password for the creator
    to hand over); an advisor, compliance or admin account disabled, with no usable password,
    until another admin approves; the one-time password then goes to the approver, so no
    admin alone both asks for an account and holds its login."""
    try:
        wanted = Role(role)
    except ValueError as exc:
        raise UserError("role", f"must be one of {', '.join(r.value for r in Role)}") from exc
    if wanted not in ROLES_NEEDING_APPROVAL:
        user, one_time = create_user(db, hasher, username=username, role=wanted, full_name=full_name)
        return user, one_time, None
    # A password nobody ever sees: the account cannot log in before the approval.
    user, _ = create_user(db, hasher, username=username, role=wanted, full_name=full_name,
                          must_change_password=True)
    user.active = False
    return user, None, _new_request(db, "create", user, wanted.value, requested_by)


def request_access(
    db: Session, requested_by: str, username: str, kind: str, role: Role | str | None = None
) -> AccessRequest:
    """A role grant (``role``) or the re-enabling of a disabled account (``enable``)."""
    user = get_user(db, username, for_update=True)
    if kind == "role":
        if role is None:
            raise UserError("role", "required when kind is role")
        wanted = Role(role)
        if wanted.value == user.role:
            raise UserError("role", f"{username!r} already has the role {wanted.value}", 409, "role_unchanged")
        if wanted not in ROLES_NEEDING_APPROVAL:
            raise UserError("role", f"{wanted.value} needs no approval: use PATCH /users/{username}")
        return _new_request(db, "role", user, wanted.value, requested_by)
    if kind == "enable":
        if user.active:
            raise UserError("kind", f"{username!r} is already active", 409, "already_active")
        return _new_request(db, "enable", user, user.role, requested_by)
    raise UserError("kind", "must be one of role, enable (create and reset come from their own routes)")


# How long an account taken out of a personal-data or admin role keeps the four-eyes reset.
PRIVILEGE_MEMORY = timedelta(days=90)
_PRIVILEGED = frozenset(role.value for role in ROLES_NEEDING_APPROVAL)


def former_privileged_role(db: Session, username: str, since: datetime) -> str | None:
    """The advisor, compliance or admin role ``username`` was taken out of since ``since``
    (the latest), or None; read from the audit trail's ``user.update`` events (chained or
    pending), which every role change through ``update_user`` writes and no admin can erase."""
    rows = events_where(db, lambda m: [
        m.action == AuditAction.user_update.value, m.resource == f"user:{username}", m.outcome == "success",
        m.ts >= since,
    ])
    former = None
    for row in rows:
        role = ((row.details or {}).get("changes") or {}).get("role")
        if isinstance(role, list) and role and role[0] in _PRIVILEGED:
            former = str(role[0])
    return former


def reset_password_four_eyes(
    db: Session, hasher: PasswordHasher, requested_by: str, username: str, *, now: datetime | None = None
) -> tuple[User, str | None, AccessRequest | None]:
    """A comex account gets its one-time password at once; an account that reaches personal
    data gets a request, and the approver receives the one-time password.

    So does an account taken out of an advisor, compliance or admin role in the last
    ``PRIVILEGE_MEMORY`` (90 days). Demoting and disabling stay immediate for one admin
    (``update_user``): they take access away, and a bank must be able to stop a rogue or
    compromised admin at once, which a four-eyes request would make impossible with two admins
    (the other admin could not decide about their own account). What one admin must not do
    alone is take over the account afterwards: demote a colleague to comex, reset the password
    and receive it, then sign in as them. The reset of a former holder is therefore decided by
    a second admin, who receives the password; if no second admin is left, the operator's path
    (``octroi users create NAME --role admin``) brings one. Ninety days later the account is
    an ordinary comex account; its holder has long noticed the demotion."""
    now = now or utcnow()
    user = get_user(db, username, for_update=True)
    _refuse_while_pending(db, username)
    if Role(user.role) not in ROLES_NEEDING_APPROVAL and former_privileged_role(
        db, username, now - PRIVILEGE_MEMORY
    ) is None:
        user, one_time = reset_password(db, hasher, username)
        return user, one_time, None
    return user, None, _new_request(db, "reset", user, user.role, requested_by)


def list_requests(db: Session, status: str | None = None) -> Sequence[AccessRequest]:
    query = select(AccessRequest).order_by(AccessRequest.id.desc())
    if status is not None:
        query = query.where(AccessRequest.status == status)
    return db.execute(query.limit(500)).scalars().all()


# The events that record an access request, by the details key naming it.
REQUEST_EVENTS = {AuditAction.user_access_request.value: "request", AuditAction.user_create.value: "access_request",
                  AuditAction.user_reset_password.value: "access_request"}


def decide_request(
    db: Session, hasher: PasswordHasher, decided_by: str, request_id: int, *, approve: bool
) -> tuple[AccessRequest, str | None]:
    """Approve or reject (the caller audits and commits). Returns the one-time password that
    an approved create or reset produces, for the approver to hand over."""
    request = db.execute(
        select(AccessRequest).where(AccessRequest.id == request_id).with_for_update()
    ).scalar_one_or_none()
    if request is None:
        raise UserError("request_id", f"no access request {request_id}", 404, "unknown_request")
    if request.status != "pending":
        raise UserError("request_id", f"access request {request_id} is already {request.status}", 409,
                        "request_decided")
    # Who asked, as the trail recorded it: ``requested_by`` is a column the database owner may
    # rewrite to approve their own request.
    # A rejection grants nothing: anyone may reject (its requester withdraws it), even a request
    # the trail does not record as it reads (rewritten, or its event purged by the retention).
    if approve:
        requester = recorded_actor(db, REQUEST_EVENTS, f"user:{request.username}", request.id)
        if requester is None or requester != request.requested_by:
            raise UserError("request_id", f"access request {request_id} is not as the audit trail recorded it "
                            "(its requester rewritten, or its event gone): it can only be rejected", 409,
                            "request_unrecorded")
        if decided_by == requester:
            # Its requester may withdraw it (reject), never approve it.
            raise FourEyes("the admin who made the request cannot approve it: another admin must")
    if decided_by == request.username:
        raise FourEyes("nobody decides a request about their own account")
    request.status = "approved" if approve else "rejected"
    request.decided_by = decided_by
    request.decided_at = utcnow()
    one_time = None
    if approve:
        # Every approval comes with fresh credentials for the approver to hand over: whoever
        # asked may know the account's current password (they may have created it as comex
        # or reset it), and must not walk in with the access just granted.
        user, one_time = reset_password(db, hasher, request.username)
        user.role = request.role
        if request.kind in ("create", "enable"):
            user.active = True
        revoke_user_families(db, user.id, "access granted")
    db.flush()
    return request, one_time
