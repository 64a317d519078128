"""``/users`` (permission ``users:manage``): every call is an audited admin action."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy.orm import Session

from backend.api.deps import get_db
from backend.audit.service import commit_audited
from backend.auth.deps import Principal, require
from backend.errors import ApiProblem
from backend.users import service
from backend.users.schemas import PasswordReset, UserCreate, UserCreated, UserOut, UserUpdate
from security.rbac import Permission

router = APIRouter(prefix="/users", tags=["users"])
manage = require(Permission.users_manage)
UsernamePath = Path(max_length=64, description="the user's login name")


def _refuse(db: Session, exc: service.UserError) -> ApiProblem:
    db.rollback()  # bad input changes nothing
    return ApiProblem.for_field(exc.status_code, exc.field, str(exc))


@router.get("", response_model=list[UserOut])
def list_users(
    request: Request, principal: Principal = Depends(manage), db: Session = Depends(get_db)
) -> list[UserOut]:
    users = [UserOut.model_validate(u) for u in service.list_users(db)]
    commit_audited(db, request, principal, action="user.list", details={"count": len(users)})
    return users


@router.post("", response_model=UserCreated, status_code=201, responses={409: {}, 422: {}})
def create_user(
    body: UserCreate,
    request: Request,
    principal: Principal = Depends(manage),
    db: Session = Depends(get_db),
) -> UserCreated:
    try:
        user, one_time = service.create_user(
            db,
            request.app.state.password_hasher,
            username=body.username,
            role=body.role,
            full_name=body.full_name,
            password=body.password,
        )
    except service.UserError as exc:
        raise _refuse(db, exc) from exc
    commit_audited(
        db, request, principal, action="user.create", resource=f"user:{user.username}",
        details={"role": user.role, "one_time_password": one_time is not None},
    )
    return UserCreated(**UserOut.model_validate(user).model_dump(), one_time_password=one_time)


@router.patch("/{username}", response_model=UserOut, responses={404: {}, 409: {}, 422: {}})
def update_user(
    body: UserUpdate,
    request: Request,
    username: str = UsernamePath,
    principal: Principal = Depends(manage),
    db: Session = Depends(get_db),
) -> UserOut:
    """Change role and/or active. Sessions of the user end at once."""
    try:
        user, changes = service.update_user(db, username, role=body.role, active=body.active)
    except service.UserError as exc:
        raise _refuse(db, exc) from exc
    commit_audited(
        db, request, principal, action="user.update", resource=f"user:{username}",
        details={"changes": changes},
    )
    return UserOut.model_validate(user)


@router.post("/{username}/unlock", response_model=UserOut, responses={404: {}})
def unlock_user(
    request: Request,
    username: str = UsernamePath,
    principal: Principal = Depends(manage),
    db: Session = Depends(get_db),
) -> UserOut:
    try:
        user = service.unlock_user(db, username)
    except service.UserError as exc:
        raise _refuse(db, exc) from exc
    commit_audited(db, request, principal, action="user.unlock", resource=f"user:{username}")
    return UserOut.model_validate(user)


@router.post("/{username}/reset-password", response_model=PasswordReset, responses={404: {}})
def reset_password(
    request: Request,
    username: str = UsernamePath,
    principal: Principal = Depends(manage),
    db: Session = Depends(get_db),
) -> PasswordReset:
    """A new one-time password, shown once; the user must change it at next login."""
    try:
        user, one_time = service.reset_password(db, request.app.state.password_hasher, username)
    except service.UserError as exc:
        raise _refuse(db, exc) from exc
    commit_audited(db, request, principal, action="user.reset_password", resource=f"user:{username}")
    return PasswordReset(username=user.username, one_time_password=one_time)
