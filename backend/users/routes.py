"""``/users`` (permission ``users:manage``): every call is an audited admin action."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.auth.deps import RequestContext, guard
from backend.errors import ApiProblem, ErrorCode
from backend.users import service
from backend.users.schemas import (
    AccessDecision,
    AccessRequestCreate,
    AccessRequestOut,
    PasswordReset,
    UserCreate,
    UserCreated,
    UserOut,
    UserUpdate,
)
from security.rbac import Permission

router = APIRouter(prefix="/users", tags=["users"], route_class=GuardedRoute)
UsernamePath = Path(max_length=64, description="the user's login name")


def _refuse(db: Session, exc: service.UserError) -> ApiProblem:
    db.rollback()  # bad input changes nothing
    if isinstance(exc, service.ApprovalRequired):
        return ApiProblem(409, ErrorCode.approval_required, str(exc), field=exc.field, reasons=exc.reasons)
    if isinstance(exc, service.FourEyes):
        return ApiProblem(403, ErrorCode.four_eyes, str(exc), field=exc.field, reasons=exc.reasons)
    if isinstance(exc, service.TooManyFailures):
        return ApiProblem(409, ErrorCode.too_many_failures, str(exc), field=exc.field, reasons=exc.reasons)
    return ApiProblem.for_field(exc.status_code, exc.field, str(exc), exc.reasons)


def _request_out(request: service.AccessRequest | None) -> AccessRequestOut | None:
    return AccessRequestOut.model_validate(request) if request is not None else None


@router.get("", response_model=list[UserOut])
def list_users(
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_list)),
) -> list[UserOut]:
    users = [UserOut.model_validate(u) for u in service.list_users(ctx.db)]
    ctx.audit(details={"count": len(users)})
    return users


@router.post("", response_model=UserCreated, status_code=201, responses={409: {}, 422: {}})
def create_user(
    body: UserCreate,
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_create)),
) -> UserCreated:
    """A comex account is created at once with a one-time password. An advisor, compliance or
    admin account is created disabled with a pending access request: another admin approves
    it and receives the one-time password (four-eyes)."""
    try:
        user, one_time, pending = service.create_user_four_eyes(
            ctx.db, ctx.request.app.state.password_hasher, ctx.principal.username,
            username=body.username, role=body.role, full_name=body.full_name,
        )
    except service.UserError as exc:
        raise _refuse(ctx.db, exc) from exc
    ctx.audit(
        resource=f"user:{user.username}",
        details={"role": user.role, "one_time_password": one_time is not None,
                 "access_request": pending.id if pending else None},
    )
    return UserCreated(
        **UserOut.model_validate(user).model_dump(), one_time_password=one_time,
        access_request=_request_out(pending),
    )


@router.get("/access-requests", response_model=list[AccessRequestOut])
def list_access_requests(
    status: Literal["pending", "approved", "rejected"] | None = Query(None),
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_access_request_list)),
) -> list[AccessRequestOut]:
    """Access requests, newest first (at most 500); ``status=pending`` for those to decide."""
    rows = [AccessRequestOut.model_validate(r) for r in service.list_requests(ctx.db, status)]
    ctx.audit(details={"status": status, "count": len(rows)})
    return rows


@router.post("/{username}/access-requests", response_model=AccessRequestOut, status_code=201,
             responses={404: {}, 409: {}, 422: {}})
def request_access(
    body: AccessRequestCreate,
    username: str = UsernamePath,
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_access_request)),
) -> AccessRequestOut:
    """Ask for a role that reaches personal data (advisor, compliance) or admin, or for a
    disabled such account to be enabled again; another admin decides."""
    try:
        pending = service.request_access(ctx.db, ctx.principal.username, username, body.kind, body.role)
    except service.UserError as exc:
        raise _refuse(ctx.db, exc) from exc
    ctx.audit(
        resource=f"user:{username}",
        details={"request": pending.id, "kind": pending.kind, "role": pending.role},
    )
    return AccessRequestOut.model_validate(pending)


def _decide(ctx: RequestContext, request_id: int, approve: bool) -> AccessDecision:
    try:
        decided, one_time = service.decide_request(
            ctx.db, ctx.request.app.state.password_hasher, ctx.principal.username, request_id, approve=approve
        )
    except service.UserError as exc:
        if isinstance(exc, service.FourEyes):
            # A refused attempt to decide one's own request is itself worth a trace.
            ctx.refuse(action=AuditAction.user_access_decide, outcome="denied",
                       resource=f"access_request:{request_id}", details={"reason": exc.message})
        raise _refuse(ctx.db, exc) from exc
    ctx.audit(
        resource=f"user:{decided.username}",
        details={"request": decided.id, "kind": decided.kind, "role": decided.role,
                 "requested_by": decided.requested_by},
    )
    return AccessDecision(request=AccessRequestOut.model_validate(decided), one_time_password=one_time)


@router.post("/access-requests/{request_id}/approve", response_model=AccessDecision,
             responses={403: {}, 404: {}, 409: {}})
def approve_access_request(
    request_id: int = Path(ge=1, le=2**63 - 1),
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_access_approve)),
) -> AccessDecision:
    """A second admin approves: the access is granted and a fresh one-time password for the
    account is returned, shown once, for the approver to hand over."""
    return _decide(ctx, request_id, approve=True)


@router.post("/access-requests/{request_id}/reject", response_model=AccessDecision,
             responses={403: {}, 404: {}, 409: {}})
def reject_access_request(
    request_id: int = Path(ge=1, le=2**63 - 1),
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_access_reject)),
) -> AccessDecision:
    """A second admin rejects: nothing is granted."""
    return _decide(ctx, request_id, approve=False)


@router.patch("/{username}", response_model=UserOut, responses={404: {}, 409: {}, 422: {}})
def update_user(
    body: UserUpdate,
    username: str = UsernamePath,
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_update)),
) -> UserOut:
    """Change role and/or active. Sessions of the user end at once."""
    try:
        user, changes = service.update_user(ctx.db, username, role=body.role, active=body.active,
                                            actor=ctx.principal.username)
    except service.UserError as exc:
        raise _refuse(ctx.db, exc) from exc
    ctx.audit(
        resource=f"user:{username}",
        details={"changes": changes},
    )
    return UserOut.model_validate(user)


@router.post("/{username}/unlock", response_model=UserOut, responses={404: {}, 409: {}})
def unlock_user(
    username: str = UsernamePath,
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_unlock)),
) -> UserOut:
    """Lift a lock (and the count of failures in a row). Refused, 409 ``too_many_failures``,
    once the account saw twice the lockout threshold of wrong passwords in the last 24 hours:
    the lock then ends by itself, or with a password reset (four-eyes for accounts reaching
    personal data). The event records what the unlock cleared."""
    ceiling = service.unlock_ceiling(ctx.request.app.state.auth_settings.lockout_threshold)
    try:
        unlocked = service.unlock_user(ctx.db, username, ceiling=ceiling)
    except service.UserError as exc:
        if isinstance(exc, service.TooManyFailures):
            # A refused unlock is worth a trace: an admin may be lifting locks to keep guessing.
            ctx.refuse(outcome="denied", resource=f"user:{username}",
                       details={"reason": "too many failures", "wrong_passwords_24h": exc.wrong_passwords,
                                "ceiling": ceiling})
        raise _refuse(ctx.db, exc) from exc
    ctx.audit(resource=f"user:{username}", details=unlocked.details())
    return UserOut.model_validate(unlocked.user)


@router.post("/{username}/reset-password", response_model=PasswordReset, responses={404: {}, 409: {}})
def reset_password(
    username: str = UsernamePath,
    ctx: RequestContext = Depends(guard(Permission.users_manage, AuditAction.user_reset_password)),
) -> PasswordReset:
    """A comex account gets a new one-time password at once, shown once. An account that
    reaches personal data gets a pending request: the approving admin receives the password."""
    try:
        user, one_time, pending = service.reset_password_four_eyes(
            ctx.db, ctx.request.app.state.password_hasher, ctx.principal.username, username
        )
    except service.UserError as exc:
        raise _refuse(ctx.db, exc) from exc
    ctx.audit(
        resource=f"user:{username}",
        details={"access_request": pending.id if pending else None},
    )
    return PasswordReset(username=user.username, one_time_password=one_time, access_request=_request_out(pending))
