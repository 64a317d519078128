"""Wire identity into the app: password hasher, token settings."""

from __future__ import annotations

from fastapi import FastAPI

from backend.auth.config import AuthSettings, password_hasher, token_config
from backend.settings import Settings


def install_auth(app: FastAPI, settings: Settings, auth: AuthSettings) -> None:
    app.state.auth_settings = auth
    app.state.password_hasher = password_hasher(settings, auth)
    app.state.token_config = token_config(settings, auth)
