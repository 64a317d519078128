"""Request and response bodies of ``/users``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator
from pydantic_core import PydanticCustomError

from backend.users.service import FULL_NAME_MAX_LENGTH, USERNAME_RULE, UserError, validate_username
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
    """No password: an admin never sets one another person will use (one-time passwords only)."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(
        max_length=256,
        description=f"{USERNAME_RULE}; read in NFKC form (full-width 'ｒｖｂ' is 'rvb'), control and "
        "format characters refused. A name breaking the rule is refused with reason `username_format`.",
    )
    full_name: str = Field(default="", max_length=FULL_NAME_MAX_LENGTH)
    role: Role

    @field_validator("username")
    @classmethod
    def _username_rule(cls, value: str) -> str:
        # The service's check, so the refusal names the rule (reason username_format) rather than
        # a regular expression (string_pattern_mismatch): a pattern here answered first.
        try:
            return validate_username(value)
        except UserError as exc:
            raise PydanticCustomError("username_format", exc.message) from None


class AccessRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["create", "role", "enable", "reset"]
    username: str
    role: Role
    status: Literal["pending", "approved", "rejected"]
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class UserCreated(UserOut):
    one_time_password: str | None = Field(
        default=None,
        description="Shown once (comex accounts); for advisor, compliance and admin accounts it "
        "goes to the admin who approves the request instead.",
    )
    access_request: AccessRequestOut | None = Field(
        default=None, description="The pending request a second admin must approve, if any."
    )


class AccessRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["role", "enable"]
    role: Role | None = Field(default=None, description="required when kind is role")

    @model_validator(mode="after")
    def _role_for_a_grant(self) -> AccessRequestCreate:
        if self.kind == "role" and self.role is None:
            raise ValueError("role is required when kind is role")
        return self


class AccessDecision(BaseModel):
    request: AccessRequestOut
    one_time_password: str | None = Field(
        default=None, description="Approved: the account's new one-time password, shown once, for "
        "the approver to hand to its holder (who must change it at first login)."
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    # Strict: "no", "off", "f", 0 or 0.0 used to disable the account (pydantic's lax booleans).
    active: StrictBool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UserUpdate:
        if self.role is None and self.active is None:
            raise ValueError("give at least one of role, active")
        return self


class PasswordReset(BaseModel):
    username: str
    one_time_password: str | None = Field(
        default=None, description="Comex accounts: shown once. Others: null, see access_request."
    )
    access_request: AccessRequestOut | None = None
