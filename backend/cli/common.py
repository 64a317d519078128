"""Shared CLI helpers: settings with a readable failure, and clean error exits."""

from __future__ import annotations

import typer

from backend.settings import ConfigurationError, Settings, get_settings


def load_settings() -> Settings:
    try:
        return get_settings()
    except ConfigurationError as exc:
        fail(f"configuration error: {exc}")
    except ValueError as exc:  # pydantic validation of an OCTROI_ variable
        fail(f"configuration error: {exc}")


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)
