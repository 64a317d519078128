"""Shared CLI helpers: settings with a readable failure, clean error exits, the import skeleton."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from backend.settings import ConfigurationError, Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from security.pseudonym import PseudonymKeyRing

T = TypeVar("T")
R = TypeVar("R")


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


def import_pseudonymized(
    path: Path, read_file: Callable[[Path], T], apply: Callable[[Session, PseudonymKeyRing, T], R]
) -> tuple[Settings, R, float]:
    """The shape every ``... import CSV`` command shares: the pseudonym key ring, the file read
    and validated before anything is written, then ``apply`` in one audited transaction.

    Returns the settings, what ``apply`` returned and the seconds it all took; a bad key ring
    or a bad file is a clean exit saying that nothing was imported.
    """
    from backend.audit.setup import cli_sessionmaker
    from backend.clients.service import ImportFailed, keyring
    from backend.db import session_scope
    from security.pseudonym import InvalidKeyRing

    settings = load_settings()
    try:
        ring = keyring(settings)
    except InvalidKeyRing as exc:
        fail(f"configuration error: {exc}")
    started = time.perf_counter()
    try:
        data = read_file(path)
    except ImportFailed as exc:
        fail(f"{exc}; nothing was imported")
    # The audit-configured factory: what ``apply`` audits commits with the import.
    factory, engine = cli_sessionmaker(settings)
    try:
        with session_scope(factory) as db:
            report = apply(db, ring, data)
    finally:
        engine.dispose()
    return settings, report, time.perf_counter() - started
