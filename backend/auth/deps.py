"""``require(Permission.X)``: the one dependency through which every route declares its permission.

It authenticates the bearer access token, reloads the user (a disabled user, a changed role
or a revoked session stops working at once, not 15 minutes later), checks the permission in
``security.rbac`` and returns the ``Principal``. 401 for a missing or bad token, 403 for a
missing permission (audited as ``denied``) or a pending one-time-password change.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import get_db
from backend.audit.service import commit_audited
from backend.auth.models import RefreshFamily
from backend.auth.principal import Principal
from backend.errors import ApiProblem, ErrorCode
from backend.middleware import route_template
from backend.users.models import User
from security.rbac import Permission, Role, has_permission
from security.tokens import TokenError, decode_token

__all__ = ["Principal", "require", "oauth2_scheme", "UNAUTHORIZED_HEADERS"]

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a route, not a secret
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def _unauthorized(detail: str = "Not authenticated") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers=UNAUTHORIZED_HEADERS)


def _route_template(request: Request) -> str:
    """The matched route's full template (never the raw path: it may carry client ids)."""
    return route_template(request.scope)


def authenticate(request: Request, token: str | None, db: Session) -> Principal:
    """The principal behind a bearer access token, or 401."""
    if not token:
        raise _unauthorized()
    try:
        claims = decode_token(request.app.state.token_config, token, "access")
    except TokenError as exc:
        if exc.claims and isinstance(exc.claims.get("sub"), str):
            # A genuine but expired token names a known user: that denial is audited.
            commit_audited(
                db,
                request,
                None,
                action="auth.token",
                resource=_route_template(request),
                outcome="denied",
                actor=exc.claims["sub"][:64],
                role=str(exc.claims.get("role", ""))[:32] or None,
                details={"reason": exc.reason},
            )
        raise _unauthorized("Invalid or expired token") from exc
    user = db.execute(select(User).where(User.username == claims["sub"])).scalar_one_or_none()
    if user is None or not user.active or user.role != claims["role"]:
        raise _unauthorized("Invalid or expired token")
    family_id = claims.get("fam")
    if family_id is not None:
        family = db.get(RefreshFamily, family_id)
        if family is None or family.revoked_at is not None or family.user_id != user.id:
            raise _unauthorized("Session ended; sign in again")
    principal = Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        must_change_password=user.must_change_password,
        family_id=family_id,
    )
    request.state.user = principal.username
    request.state.role = str(principal.role)
    return principal


def require(
    permission: Permission, *, allow_pending_password_change: bool = False
) -> Callable[..., Principal]:
    """A dependency granting access to holders of ``permission``; see the module docstring."""

    def dependency(
        request: Request,
        token: str | None = Depends(oauth2_scheme),
        db: Session = Depends(get_db),
    ) -> Principal:
        principal = authenticate(request, token, db)
        if principal.must_change_password and not allow_pending_password_change:
            # Audited like any refusal (issue 14): a one-time password in the wrong hands
            # probing the API shows up in the trail.
            commit_audited(
                db,
                request,
                principal,
                action="access.denied",
                resource=_route_template(request),
                outcome="denied",
                details={"reason": "password change required"},
            )
            raise ApiProblem(
                status.HTTP_403_FORBIDDEN,
                ErrorCode.password_change_required,
                "Password change required: POST /api/v1/auth/password first",
            )
        if not has_permission(principal.role, permission):
            commit_audited(
                db,
                request,
                principal,
                action="access.denied",
                resource=_route_template(request),
                outcome="denied",
                details={"permission": str(permission)},
            )
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"Role '{principal.role}' lacks the permission '{permission}'",
            )
        db.rollback()  # end the read transaction: the route starts its own, short one
        return principal

    # The route walk reads this to prove every route declares a permission.
    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.name}"
    return dependency


def route_permission(dependant_calls: list[Callable[..., object]]) -> Permission | None:
    """The permission declared among a route's dependency callables, if any."""
    for call in dependant_calls:
        permission = getattr(call, "permission", None)
        if isinstance(permission, Permission):
            return permission
    return None
