"""Request and response bodies of ``/auth``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token stays valid.")
    role: str


class PasswordChanged(TokenResponse):
    """Every session of the user ended, this one too: continue with this new pair."""

    detail: str


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=4096)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    full_name: str
    role: str
    permissions: list[str]
    must_change_password: bool


class Message(BaseModel):
    detail: str
