"""Who is calling: what a route's guard (``backend.auth.deps.guard``) hands to it."""

from __future__ import annotations

from dataclasses import dataclass

from security.rbac import Role


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    must_change_password: bool = False
    # The refresh family (login session) the access token belongs to; logout revokes it.
    family_id: str | None = None
