"""`octroi clients ...` commands."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from backend.audit.service import CLI_ROLE, cli_operator, record_event
from backend.audit.setup import cli_sessionmaker
from backend.cli.common import fail, load_settings
from backend.clients.service import ImportFailed, import_clients, keyring, read_import_file
from backend.db import session_scope
from backend.jobs.trigger import run_after_change
from security.pseudonym import InvalidKeyRing

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_file(
    path: Path = typer.Argument(..., help="application_test.csv-style file (application_train.csv works too)."),
    allow_erased: bool = typer.Option(
        False, "--allow-erased",
        help="Also bring back clients erased under RGPD Art. 17 (each one is audited).",
    ),
    jobs: bool = typer.Option(True, "--jobs/--no-jobs", help="Run the portfolio, drift and backtest jobs after."),
) -> None:
    """Import current applicants: ids become pseudonyms, one transaction, idempotent."""
    settings = load_settings()
    try:
        ring = keyring(settings)
    except InvalidKeyRing as exc:
        fail(f"configuration error: {exc}")
    started = time.perf_counter()
    try:
        frame = read_import_file(path)
    except ImportFailed as exc:
        fail(f"{exc}; nothing was imported")
    # The audit-configured factory: re-importing an erased client is audited in the same transaction.
    factory, engine = cli_sessionmaker(settings)
    try:
        with session_scope(factory) as db:
            report = import_clients(db, ring, frame, allow_erased=allow_erased)
            for pseudonym in report.restored_erased:
                record_event(db, None, None, action="client.reimport_erased", resource=pseudonym,
                             actor=cli_operator(), role=CLI_ROLE, details={"file": path.name})
    finally:
        engine.dispose()
    typer.echo(
        f"imported {report.rows} rows from {path.name} in {time.perf_counter() - started:.1f}s: "
        f"{report.inserted} new, {report.updated} updated, {report.skipped_erased} skipped (erased); "
        f"pseudonym key {report.key_version}"
    )
    if report.restored_erased:
        typer.echo(f"{len(report.restored_erased)} erased clients brought back (--allow-erased), audited")
    elif report.skipped_erased:
        typer.echo("erased clients were refused; pass --allow-erased to bring them back on purpose")
    if jobs:
        run_after_change(settings, ["portfolio", "drift", "backtest"], typer.echo)
