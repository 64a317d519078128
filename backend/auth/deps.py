"""``guard(Permission.X, AuditAction.Y)``: the one dependency through which every route declares
what it needs and what it records.

A reader of a route sees both in its signature::

    ctx: RequestContext = Depends(guard(Permission.audit_read, AuditAction.audit_read))

The guard's dependency admits the request on the event loop, with no database: the bearer
access token's signature and claims, and the permission of the role it claims (so 401/403
come before any 422). ``backend.api.routing.GuardedRoute`` then runs the rest of the guard and
the route in one thread-pool trip: it reloads the user and the login session in one query
(a disabled user, a changed role or a revoked session stops working at once, in every
process, not 15 minutes later), checks the permission in ``security.rbac``, spends the
route's rate budget for that principal when it has one (``backend.ratelimit``),
and hands the route a ``RequestContext``: the principal, the request's one session and
``ctx.audit(...)``, which commits the route's work with its audit event. 401 for a missing or
bad token, 403 for a missing permission (audited as ``denied``) or a pending one-time-password
change. ``backend.clients.guard.client_guard`` adds the client and the model for client routes.

The request's session: a route whose action changes nothing but the trail
(``AuditAction.reads_only``) reads without SQLite's write lock until ``ctx.audit`` begins the
write; any other route is one ``BEGIN IMMEDIATE`` transaction (``backend.db``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.api.deps import commit_write, open_session
from backend.audit.actions import AuditAction
from backend.audit.models import AuditEvent
from backend.audit.service import PendingEvent
from backend.auth import service as auth_service
from backend.auth.models import RefreshFamily
from backend.auth.principal import Principal
from backend.db import begin_write
from backend.errors import ApiProblem, ErrorCode
from backend.middleware import route_template
from backend.prepared import Prepared
from backend.ratelimit import PendingCount, RateBudget, rate_limit, spend
from backend.users.models import User
from security.rbac import Permission, Role, has_permission
from security.tokens import TokenError, decode_token

_ROLE_NAMES = frozenset(role.value for role in Role)

__all__ = ["GuardCall", "Principal", "RequestContext", "guard", "oauth2_scheme", "UNAUTHORIZED_HEADERS"]

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a route, not a secret
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def _unauthorized(detail: str = "Not authenticated") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers=UNAUTHORIZED_HEADERS)


def _route_template(request: Request) -> str:
    """The matched route's full template (never the raw path: it may carry client ids)."""
    return route_template(request.scope)


def verified_claims(request: Request, token: str | None) -> dict[str, Any]:
    """The claims of a valid bearer access token, or 401 (CPU only: no database). A genuine
    but expired token is returned inside the ``TokenError`` so its denial can be audited."""
    if not token:
        raise _unauthorized()
    return decode_token(request.app.state.token_config, token, "access")


def record_expired(request: Request, db: Session, exc: TokenError) -> None:
    """Audit the use of a genuine but expired token (it names a known user)."""
    claims = exc.claims or {}
    commit_write(
        db,
        request,
        None,
        action=AuditAction.auth_token.value,
        resource=_route_template(request),
        outcome="denied",
        actor=str(claims.get("sub", ""))[:64],
        role=str(claims.get("role", ""))[:32] or None,
        details={"reason": exc.reason},
    )


def is_expired_known_user(exc: TokenError) -> bool:
    return bool(exc.claims) and isinstance(exc.claims.get("sub"), str)  # type: ignore[union-attr]


def principal_of(request: Request, claims: dict[str, Any], db: Session) -> Principal:
    """The principal of verified ``claims``, or 401. One query reads the user and the token's
    login session, so revocation, a disabled account or a new role apply at once."""
    family_id = claims.get("fam")
    # On the session's connection (same transaction), straight on its cursor (backend.prepared).
    row = _USER_AND_SESSION.first(db.connection(), {"username": claims["sub"], "family_id": family_id})
    if row is None or not row.active or row.role != claims["role"]:
        raise _unauthorized("Invalid or expired token")
    if family_id is not None and (row.family is None or row.revoked_at is not None):
        raise _unauthorized("Session ended; sign in again")
    if family_id is not None:
        max_hours = request.app.state.settings.session_max_hours
        if auth_service.session_ended_by_age(row.family_created_at, timedelta(hours=max_hours)):
            # Past OCTROI_SESSION_MAX_HOURS: its access tokens end with its refresh tokens.
            raise ApiProblem(status.HTTP_401_UNAUTHORIZED, ErrorCode.session_expired,
                             f"This session is more than {max_hours} hours old; sign in again",
                             headers=UNAUTHORIZED_HEADERS)
    principal = Principal(
        user_id=row.id,
        username=row.username,
        role=Role(row.role),
        must_change_password=row.must_change_password,
        family_id=family_id,
    )
    # For the access log only; nothing else reads it (the rate limit is handed the principal).
    request.state.user = principal.username
    request.state.role = str(principal.role)
    return principal


# The user and the token's login session in one query (no session: family_id is NULL and the
# join matches nothing). Built once: building SQL expressions costs more than running them.
_USER_AND_SESSION = Prepared(
    select(User.id, User.username, User.role, User.active, User.must_change_password,
           RefreshFamily.id.label("family"), RefreshFamily.revoked_at,
           RefreshFamily.created_at.label("family_created_at"))
    .outerjoin(RefreshFamily, and_(RefreshFamily.id == bindparam("family_id"), RefreshFamily.user_id == User.id))
    .where(User.username == bindparam("username"))
)


class RequestContext:
    """What a guarded route gets: who calls, the request's session, and the audited commit."""

    def __init__(self, request: Request, db: Session, principal: Principal, action: AuditAction | None,
                 pending_count: PendingCount | None = None) -> None:
        self.request = request
        self.db = db
        self.principal = principal
        self.action = action
        self._pending_count = pending_count

    def audit(
        self,
        *,
        action: AuditAction | None = None,
        outcome: str = "success",
        resource: str | None = None,
        model_version: str | None = None,
        input_hash: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent | PendingEvent:
        """Commit the route's work and one audit event together (the guard's action unless
        another member of the vocabulary is named): fail-closed, ``AuditUnavailable`` -> 503.
        A route with a database-counted rate budget is counted in this same transaction."""
        recorded = action or self.action
        if recorded is None:
            raise RuntimeError("this route's guard declares no audit action")
        if self._pending_count is not None:
            begin_write(self.db)
            pending, self._pending_count = self._pending_count, None
            pending.count(self.request, self.db, self.principal)
        return commit_write(
            self.db, self.request, self.principal, action=AuditAction(recorded).value, resource=resource,
            outcome=outcome, model_version=model_version, input_hash=input_hash, details=details,
        )

    def refuse(self, **event: Any) -> AuditEvent | PendingEvent:
        """Roll back whatever the route did, then record the refusal (``outcome`` given)."""
        self.db.rollback()
        return self.audit(**event)


def _authorize(request: Request, db: Session, claims: dict[str, Any], permission: Permission,
               allow_pending_password_change: bool) -> Principal:
    principal = principal_of(request, claims, db)
    if principal.must_change_password and not allow_pending_password_change:
        # Audited like any refusal (issue 14): a one-time password in the wrong hands
        # probing the API shows up in the trail.
        commit_write(
            db, request, principal, action=AuditAction.access_denied.value, resource=_route_template(request),
            outcome="denied", details={"reason": "password change required"},
        )
        raise ApiProblem(
            status.HTTP_403_FORBIDDEN,
            ErrorCode.password_change_required,
            "Password change required: POST /api/v1/auth/password first",
        )
    if not has_permission(principal.role, permission):
        commit_write(
            db, request, principal, action=AuditAction.access_denied.value, resource=_route_template(request),
            outcome="denied", details={"permission": str(permission)},
        )
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"Role '{principal.role}' lacks the permission '{permission}'",
        )
    return principal


class GuardSpec:
    """What a guard declares: permission, audit action, rate budget. ``enter`` runs it."""

    def __init__(self, permission: Permission, action: AuditAction | None, rate: str | RateBudget | None,
                 allow_pending_password_change: bool, long_running: bool = False) -> None:
        if action is not None and not isinstance(action, AuditAction):
            raise TypeError("the audit action is an AuditAction member, not a free string")
        self.permission = permission
        self.action = action
        self.budget = rate_limit(rate) if isinstance(rate, str) else rate
        self.allow_pending_password_change = allow_pending_password_change
        # Seconds of work growing with the data (the whole trail's verification): run on
        # FastAPI's shared pool, never holding one of the process's few request threads.
        self.long_running = long_running
        self.read_first = action is None or action.reads_only

    async def admit(self, request: Request, token: str | None) -> dict[str, Any]:
        """The part of the guard that needs no database, run before the route's parameters are
        validated (so a caller without a valid token or role gets 401/403, never 422): the
        token's signature and claims, and the permission of the role it claims. What needs the
        database (the audited refusals) goes through the thread pool, off this event loop."""
        try:
            claims = verified_claims(request, token)
        except TokenError as exc:
            if is_expired_known_user(exc):
                await run_in_threadpool(self._with_session, request, lambda db, exc=exc: record_expired(request, db, exc))
            raise _unauthorized("Invalid or expired token") from exc
        role = claims["role"]
        if role not in _ROLE_NAMES or not has_permission(Role(role), self.permission):
            # Refused as before: the user and session are checked first (401 when the claim is
            # stale), then the refusal is audited (403); ``_authorize`` raises either.
            await run_in_threadpool(self._with_session, request, lambda db: self._authorize(request, db, claims))
            raise _unauthorized("Invalid or expired token")  # not reached: the role lacks the permission
        return claims

    def _authorize(self, request: Request, db: Session, claims: dict[str, Any]) -> Principal:
        return _authorize(request, db, claims, self.permission, self.allow_pending_password_change)

    def _with_session(self, request: Request, work: Callable[[Session], object]) -> None:
        db = open_session(request, read_first=True)
        try:
            work(db)
        finally:
            db.close()

    @contextmanager
    def enter(self, request: Request, claims: dict[str, Any]) -> Iterator[RequestContext]:
        """The request's session, the authorized principal and the spent budget, as a context."""
        db = open_session(request, read_first=self.read_first)
        try:
            principal = self._authorize(request, db, claims)
            pending = spend(request, db, principal, self.budget) if self.budget is not None else None
            yield RequestContext(request, db, principal, self.action, pending)
        finally:
            # close() rolls back what was not committed; a failing rollback must not mask the answer.
            db.close()

    def mark(self, dependency: Callable[..., Any], name: str) -> None:
        """Label ``dependency`` as this guard: the route walk reads these attributes to prove
        every route declares a permission, an action (and which routes spend which budget)."""
        dependency.permission = self.permission  # type: ignore[attr-defined]
        dependency.audit_action = self.action  # type: ignore[attr-defined]
        dependency.is_guard = True  # type: ignore[attr-defined]
        if self.budget is not None:
            dependency.rate_limit_scope = self.budget.scope  # type: ignore[attr-defined]
        action = self.action.name if self.action else "unaudited"
        dependency.__name__ = f"{name}_{self.permission.name}_{action}"


def guard(
    permission: Permission,
    action: AuditAction | None,
    *,
    rate: str | RateBudget | None = None,
    allow_pending_password_change: bool = False,
    long_running: bool = False,
) -> Callable[..., Awaitable[GuardCall]]:
    """The dependency of a route needing ``permission`` and recording ``action`` (``None``
    only for a route that records nothing: reading one's own account), spending ``rate``
    (a ``backend.ratelimit.SCOPES`` name) per user; ``long_running`` for a route whose work grows
    with the data (``backend.api.routing``: not on the request threads); see the module docstring."""
    spec = GuardSpec(permission, action, rate, allow_pending_password_change, long_running)

    async def dependency(request: Request, token: str | None = Depends(oauth2_scheme)) -> GuardCall:
        return GuardCall(spec, request, await spec.admit(request, token))

    spec.mark(dependency, "guard")
    return dependency


class GuardCall:
    """What a guard's dependency hands over once the token is admitted; the rest of the guard
    (user and session, rate budget, the request's session) and the route itself then run
    together in one trip through the thread pool (``backend.api.routing.GuardedRoute``)."""

    def __init__(self, spec: GuardSpec, request: Request, claims: dict[str, Any]) -> None:
        self.spec, self.request, self.claims = spec, request, claims

    @contextmanager
    def context(self) -> Iterator[RequestContext]:
        with self.spec.enter(self.request, self.claims) as ctx:
            yield ctx

    def run(self, endpoint: Callable[..., Any], values: dict[str, Any], name: str) -> Any:
        """Call ``endpoint`` with its guard parameter ``name`` bound to the entered context."""
        with self.context() as ctx:
            return endpoint(**{**values, name: ctx})

    def __getattr__(self, name: str) -> Any:
        # Only reached for a missing attribute: a route used this as its context.
        raise AttributeError(
            f"{name!r}: a guarded route was registered without GuardedRoute, so it got the guard's admission, "
            f"not its context; create its router with route_class=GuardedRoute"
        )


def route_permission(dependant_calls: list[Callable[..., object]]) -> Permission | None:
    """The permission declared among a route's dependency callables, if any."""
    for call in dependant_calls:
        permission = getattr(call, "permission", None)
        if isinstance(permission, Permission):
            return permission
    return None
