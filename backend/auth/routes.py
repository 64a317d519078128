"""``/auth``: login (OAuth2 password form), refresh, logout, me, change own password."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from backend.api.deps import get_db
from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.audit.service import commit_audited
from backend.auth.deps import UNAUTHORIZED_HEADERS, RequestContext, guard
from backend.auth.models import RefreshFamily
from backend.auth.schemas import (
    Me,
    Message,
    PasswordChange,
    PasswordChanged,
    RefreshRequest,
    TokenResponse,
)
from backend.auth.service import (
    AccountLocked,
    LoginFailed,
    RefreshRefused,
    SessionExpired,
    authenticate_password,
    check_current_password,
    issue_pair,
    revoke_family,
    rotate,
)
from backend.errors import ApiProblem, ErrorCode
from backend.ratelimit import LimiterUnavailable, get_limiter
from backend.users.models import User
from backend.users.service import UserError, change_own_password
from security.rbac import Permission, permissions_for

router = APIRouter(prefix="/auth", tags=["auth"], route_class=GuardedRoute)

LOGIN_FAILED = "Incorrect username or password"
LOGIN_SCOPE = "login"
log = structlog.get_logger("octroi.auth")


@router.post("/token", response_model=TokenResponse, responses={401: {}, 422: {}, 429: {}})
def login(
    request: Request,
    form: OAuth2PasswordRequestForm = Depends(),
    db: Session = Depends(get_db),
) -> TokenResponse:
    """OAuth2 password flow. 5 failures in a row lock the account for 15 minutes (429)."""
    state = request.app.state
    # No account can hold longer values (see PasswordChange, USERNAME_PATTERN); refusing them
    # here keeps oversized input away from the hasher, which raises on it (a 500 otherwise).
    for field, value, limit in (("username", form.username, 64), ("password", form.password, 256)):
        if len(value) > limit:
            raise RequestValidationError(
                [{"loc": ("body", field), "msg": f"String should have at most {limit} characters",
                  "type": "string_too_long", "ctx": {"max_length": limit}}]
            )
    username = form.username.strip().lower()
    source = _spend_login_budget(request)
    try:
        user = authenticate_password(db, state.password_hasher, state.auth_settings, username, form.password)
    except LoginFailed as exc:
        known = exc.user
        commit_audited(
            db,
            request,
            None,
            action=AuditAction.auth_login.value,
            outcome="denied",
            # An unknown name may be a mistyped password: it is not recorded.
            actor=known.username if known else None,
            role=known.role if known else None,
            details={"reason": exc.reason},
        )
        raise ApiProblem(
            status.HTTP_401_UNAUTHORIZED, ErrorCode.invalid_credentials, LOGIN_FAILED, headers=UNAUTHORIZED_HEADERS
        ) from exc
    except AccountLocked as exc:
        commit_audited(
            db,
            request,
            None,
            action=AuditAction.auth_login.value,
            outcome="denied",
            # A locked name that is not an account is not recorded (it may be a typo).
            actor=exc.user.username if exc.user else None,
            role=exc.user.role if exc.user else None,
            details={"reason": "account locked"},
        )
        raise ApiProblem(
            status.HTTP_429_TOO_MANY_REQUESTS,
            ErrorCode.account_locked,
            "Too many failed attempts; account locked, try again later",
            headers={"Retry-After": str(exc.retry_after_seconds)},
        ) from exc
    pair = issue_pair(db, state.token_config, user)
    commit_audited(
        db, request, None, action=AuditAction.auth_login.value, actor=user.username, role=user.role,
        details={"session": pair.family_id},
    )
    source.refund()  # the budget counts failures only
    request.state.user, request.state.role = user.username, user.role
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        role=pair.role,
    )


class _LoginBudget:
    def __init__(self, limiter: Any, subject: str, window_start: int) -> None:
        self.limiter, self.subject, self.window_start = limiter, subject, window_start

    def refund(self) -> None:
        try:
            self.limiter.store.undo(LOGIN_SCOPE, self.subject, self.window_start)
        except LimiterUnavailable:
            log.warning("login_budget_refund_failed")


def _spend_login_budget(request: Request) -> _LoginBudget:
    """Failed logins per source address and minute, spent before any hashing or database row
    (issue 14): a burst of bogus names costs one counter, not an argon2 run, a throttle row
    and an audit event each. A success gives its unit back."""
    limit = request.app.state.settings.rate_limit_login_failures_per_minute
    host = request.client.host if request.client else "unknown"
    limiter = get_limiter(request.app)
    window_start = int(limiter.clock() // 60) * 60
    try:
        decision = limiter.hit(LOGIN_SCOPE, f"ip:{host}", limit, 60)
    except LimiterUnavailable as exc:
        log.error("rate_limiter_unavailable", scope=LOGIN_SCOPE, error_type=type(exc).__name__)
        raise ApiProblem(503, ErrorCode.service_unavailable,
                         "The rate limiter is unavailable; the request was not carried out.",
                         headers={"Retry-After": "5"}) from None
    if not decision.allowed:
        # Logged, not audited: auditing each refusal would hand the flood to the audit trail.
        log.warning("login_budget_exhausted", limit=limit)
        raise ApiProblem(
            status.HTTP_429_TOO_MANY_REQUESTS, ErrorCode.rate_limited,
            f"too many failed logins from this address: at most {limit} per minute; "
            f"retry in {decision.retry_after} s",
            headers={"Retry-After": str(decision.retry_after)},
        )
    return _LoginBudget(limiter, f"ip:{host}", window_start)


@router.post("/refresh", response_model=TokenResponse, responses={401: {}})
def refresh(body: RefreshRequest, request: Request, db: Session = Depends(get_db)) -> TokenResponse:
    """Exchange a refresh token for a new pair; the one presented stops working. A login
    session lasts at most ``OCTROI_SESSION_MAX_HOURS`` whatever its rotations: past it,
    401 ``session_expired`` and the user signs in again."""
    max_hours = request.app.state.settings.session_max_hours
    try:
        user, pair = rotate(db, request.app.state.token_config, body.refresh_token,
                            max_age=timedelta(hours=max_hours))
    except RefreshRefused as exc:
        if exc.user is not None:
            commit_audited(
                db, request, None, action=AuditAction.auth_refresh.value, outcome="denied",
                actor=exc.user.username, role=exc.user.role,
                details={"reason": exc.reason, "session": exc.family_id},
            )
        if isinstance(exc, SessionExpired):
            raise ApiProblem(
                status.HTTP_401_UNAUTHORIZED, ErrorCode.session_expired,
                f"This session is more than {max_hours} hours old; sign in again", headers=UNAUTHORIZED_HEADERS,
            ) from exc
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail="Invalid refresh token", headers=UNAUTHORIZED_HEADERS
        ) from exc
    commit_audited(
        db, request, None, action=AuditAction.auth_refresh.value, actor=user.username, role=user.role,
        details={"session": pair.family_id},
    )
    request.state.user, request.state.role = user.username, user.role
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        role=pair.role,
    )


SELF = Permission.self_manage


@router.post("/logout", response_model=Message)
def logout(
    ctx: RequestContext = Depends(guard(SELF, AuditAction.auth_logout, allow_pending_password_change=True)),
) -> Message:
    """End this session: its refresh tokens and access tokens stop working."""
    family_id = ctx.principal.family_id
    if family_id is not None:
        family = ctx.db.get(RefreshFamily, family_id)
        if family is not None:
            revoke_family(ctx.db, family, "logout")
    ctx.audit(details={"session": family_id})
    return Message(detail="Signed out")


@router.get("/me", response_model=Me)
def me(
    # Reading one's own account records nothing: it touches no one's personal data but the caller's.
    ctx: RequestContext = Depends(guard(SELF, None, allow_pending_password_change=True)),
) -> Me:
    principal = ctx.principal
    user = ctx.db.get(User, principal.user_id)
    return Me(
        username=principal.username,
        full_name=user.full_name if user else "",
        role=str(principal.role),
        permissions=sorted(str(p) for p in permissions_for(principal.role)),
        must_change_password=principal.must_change_password,
    )


@router.post("/password", response_model=PasswordChanged, responses={400: {}, 422: {}, 429: {}})
def change_password(
    body: PasswordChange,
    ctx: RequestContext = Depends(guard(SELF, AuditAction.auth_password_change, allow_pending_password_change=True)),
) -> PasswordChanged:
    """Change your own password (needs the current one). Every session of yours ends, this
    one too (its tokens may have been copied): continue with the new token pair of the answer.
    Wrong current passwords count toward the lockout like failed logins (429 once locked)."""
    state, db, principal = ctx.request.app.state, ctx.db, ctx.principal
    try:
        right = check_current_password(
            db, state.password_hasher, state.auth_settings, principal.user_id, body.current_password
        )
    except AccountLocked as exc:
        ctx.refuse(outcome="denied", details={"reason": "account locked"})
        raise ApiProblem(
            status.HTTP_429_TOO_MANY_REQUESTS, ErrorCode.account_locked,
            "Too many failed attempts; account locked, try again later",
            headers={"Retry-After": str(exc.retry_after_seconds)},
        ) from exc
    if not right:
        ctx.audit(outcome="denied", details={"reason": "wrong current password"})
        raise ApiProblem.for_field(400, "current_password", "current_password: is not your current password",
                                   ("wrong_current_password",))
    try:
        user, ended = change_own_password(
            db,
            state.password_hasher,
            principal.user_id,
            body.current_password,
            body.new_password,
            current_checked=True,
        )
    except UserError as exc:
        db.rollback()
        if exc.field == "current_password":
            ctx.audit(outcome="denied", details={"reason": "wrong current password"})
        raise ApiProblem.for_field(exc.status_code, exc.field, str(exc), exc.reasons) from exc
    # A fresh session the holder of an old token does not have.
    pair = issue_pair(db, state.token_config, user)
    ctx.audit(details={"sessions_ended": ended, "session": pair.family_id})
    return PasswordChanged(
        detail="Password changed; every session ended: continue with these tokens",
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        role=pair.role,
    )
