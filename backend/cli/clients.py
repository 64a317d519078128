"""`octroi clients ...` commands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from sqlalchemy.orm import Session

from backend.audit.erasures import ERASURES_UNDONE_KEY
from backend.audit.service import CLI_ROLE, cli_operator, record_event
from backend.cli.common import import_pseudonymized
from backend.clients.service import ImportReport, import_clients, read_import_file
from backend.jobs.trigger import run_after_change
from security.pseudonym import PseudonymKeyRing

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
    def apply(db: Session, ring: PseudonymKeyRing, frame: pd.DataFrame) -> ImportReport:
        report = import_clients(db, ring, frame, allow_erased=allow_erased)
        for pseudonym in report.restored_erased:
            # Names every pseudonym whose erasure this undoes: `octroi audit verify` then knows
            # why their tombstones are gone.
            undone = list(report.erasures_undone.get(pseudonym, (pseudonym,)))
            record_event(db, None, None, action="client.reimport_erased", resource=pseudonym,
                         actor=cli_operator(), role=CLI_ROLE,
                         details={"file": path.name, ERASURES_UNDONE_KEY: undone})
        return report

    settings, report, seconds = import_pseudonymized(path, read_import_file, apply)
    typer.echo(
        f"imported {report.rows} rows from {path.name} in {seconds:.1f}s: "
        f"{report.inserted} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.skipped_erased} skipped (erased); pseudonym key {report.key_version}"
    )
    if report.erased_without_tombstone:
        typer.echo(
            f"{report.erased_without_tombstone} of the skipped clients have no tombstone left, but the audit "
            "trail records the erasure: they stay out; run `octroi audit verify` (it names each erasure "
            "undone outside Octroi)", err=True,
        )
    if report.restored_erased:
        typer.echo(f"{len(report.restored_erased)} erased clients brought back (--allow-erased), audited")
    elif report.skipped_erased:
        typer.echo("erased clients were refused; pass --allow-erased to bring them back on purpose")
    if jobs and report.changed:
        run_after_change(settings, ["portfolio", "drift", "backtest"], typer.echo)
    elif jobs:
        typer.echo("nothing changed: the portfolio, drift and backtest figures stand (`octroi jobs run all` recomputes)")
