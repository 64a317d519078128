"""Request and response bodies of ``/users``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backend.users.service import USERNAME_PATTERN
from security.rbac import Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    full_name: str
    role: Role
    active: bool
    must_change_password: bool
    locked_until: datetime | None
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN, description="lowercase, 3-64 characters")
    full_name: str = Field(default="", max_length=200)
    role: Role
    password: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="Omit to get a one-time password the user must change at first login.",
    )


class UserCreated(UserOut):
    one_time_password: str | None = Field(
        default=None, description="Shown once; never stored in clear, never shown again."
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UserUpdate:
        if self.role is None and self.active is None:
            raise ValueError("give at least one of role, active")
        return self


class PasswordReset(BaseModel):
    username: str
    one_time_password: str
