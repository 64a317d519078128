"""`octroi outcomes import`, `octroi monitor drift|backtest`, `octroi jobs run ...`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from backend.cli.common import fail, import_pseudonymized, load_settings
from backend.jobs.trigger import run_after_change
from ml.disclosure import MIN_CELL
from ml.monitoring import NEVER_SERVED

outcomes_app = typer.Typer(no_args_is_help=True)
monitor_app = typer.Typer(no_args_is_help=True)
jobs_app = typer.Typer(no_args_is_help=True)


class JobKind(StrEnum):
    portfolio = "portfolio"
    drift = "drift"
    backtest = "backtest"
    all = "all"


class FailOn(StrEnum):
    watch = "watch"
    act = "act"


@outcomes_app.command("import")
def import_outcomes_file(
    path: Path = typer.Argument(..., help="CSV with SK_ID_CURR, TARGET (0/1) and optionally OBSERVED_AT (YYYY-MM-DD)."),
    jobs: bool = typer.Option(True, "--jobs/--no-jobs", help="Run the backtest job after the import."),
) -> None:
    """Import realised outcomes: ids become pseudonyms, one transaction, idempotent."""
    from backend.monitoring.outcomes import import_outcomes, read_outcomes_file

    settings, report, seconds = import_pseudonymized(path, read_outcomes_file, import_outcomes)
    typer.echo(
        f"imported {report.rows} outcomes from {path.name} in {seconds:.1f}s: "
        f"{report.inserted} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.skipped_erased} skipped (erased), {report.skipped_unknown} skipped (no such client); "
        f"pseudonym key {report.key_version}"
    )
    if jobs and report.changed:
        run_after_change(settings, ["backtest"], typer.echo)
    elif jobs:
        typer.echo("nothing changed: the backtest stands (`octroi jobs run backtest` recomputes)")


def _kinds(kind: JobKind) -> list[str]:
    return ["portfolio", "drift", "backtest"] if kind is JobKind.all else [kind.value]


@jobs_app.command("run")
def run(
    kind: JobKind = typer.Argument(..., help="portfolio, drift, backtest or all"),
    scheduler: str = typer.Option("", help="Dask scheduler address (default: OCTROI_DASK_SCHEDULER, else a local cluster)."),
    workers: int = typer.Option(2, min=1, max=64, help="Workers of the local cluster."),
    version: str = typer.Option("", help="A registered model version (default: the champion)."),
) -> None:
    """Compute aggregates on Dask and store them (model version, population revision, time)."""
    from backend.jobs.cluster import dask_client
    from backend.jobs.service import JobFailed, load_version, run_jobs

    settings = load_settings()
    if scheduler:
        settings = settings.model_copy(update={"dask_scheduler": scheduler})
    failed = False
    try:
        bundle = load_version(settings, version) if version else None
    except JobFailed as exc:
        fail(str(exc))
    with dask_client(settings.dask_scheduler, workers) as client:
        for result in run_jobs(_kinds(kind), settings, client=client, bundle=bundle):
            if isinstance(result, JobFailed):
                failed = True
                typer.secho(f"error: {result}", err=True, fg=typer.colors.RED)
            else:
                typer.echo(
                    f"{result.kind}: {result.rows} rows in {result.partitions} partitions, model "
                    f"{result.model_version}, population {result.population_revision[:12]}, {result.seconds:.1f}s"
                    + ("" if result.published else f"; {_held(result)}")
                )
    if failed:
        raise typer.Exit(2)


def _held(result: Any) -> str:
    return (f"held, not served: {result.changed_people} people from a published result "
            f"(published once {MIN_CELL} have changed)")


def _run_one(kind: str, as_json: bool, version: str = "") -> Any:
    import structlog

    from backend.jobs.service import JobFailed, load_version, run_job

    settings = load_settings()
    previous = structlog.get_config()
    if as_json:
        # stdout carries the report a scheduler parses; diagnostics (audit log lines) go to stderr.
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    try:
        result = run_job(kind, settings, bundle=load_version(settings, version) if version else None)
    except JobFailed as exc:
        fail(str(exc))
    finally:
        structlog.configure(**previous)
    if not result.published:
        typer.secho(_held(result), err=True, fg=typer.colors.YELLOW)
    return result


@monitor_app.command("drift")
def drift(
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    fail_on: FailOn = typer.Option(FailOn.watch, help="Lowest alert level that makes the exit code 1."),
) -> None:
    """Score and input stability against the training reference and the previous run.

    Exit code: 0 = no alert at or above --fail-on, 1 = alert, 2 = the job could not run.
    """
    result = _run_one("drift", as_json)
    report = result.payload
    if as_json:
        typer.echo(json.dumps({k: v for k, v in report.items() if k not in NEVER_SERVED} |
                              {"model_version": result.model_version}, indent=1))
    else:
        score = report["score"]
        typer.echo(f"model {result.model_version}, {report['rows']} clients: score PSI {score['psi']:.3f} "
                   f"({score['status']}); thresholds watch {report['thresholds']['watch']}, act {report['thresholds']['act']}")
        for alert in report["alerts"]:
            typer.echo(f"  {alert['level'].upper():5} {alert['subject']}: {alert['measure']} {alert['value']:.3f} "
                       f"against {alert['against'].replace('_', ' ')}")
        if not report["alerts"]:
            typer.echo("  no alert")
    levels = {"watch": ("watch", "act"), "act": ("act",)}[fail_on.value]
    if report["level"] in levels:
        raise typer.Exit(1)


@monitor_app.command("backtest")
def backtest(
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    version: str = typer.Option("", help="A registered model version (default: the champion)."),
) -> None:
    """Predicted against realised default: AUC/Gini with CIs, grades, calibration, cohorts."""
    result = _run_one("backtest", as_json, version)
    report = result.payload
    if as_json:
        typer.echo(json.dumps(report | {"model_version": result.model_version}, indent=1))
        return
    if report["suppressed"]:
        typer.echo(f"model {result.model_version}: fewer than {report['min_cell']} outcomes; nothing to report")
        return
    auc = report["auc"]
    calibration = report["calibration"]
    typer.echo(f"model {result.model_version}, {report['n']} outcomes, {report['defaults']} defaults")
    if auc:
        typer.echo(f"  AUC {auc['auc']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}], Gini {auc['gini']:.3f}")
    typer.echo(f"  predicted {calibration['predicted_rate']:.2%}, observed {calibration['observed_rate']:.2%} "
               f"(p = {calibration['p_value']:.3f})")
    for grade in report["grades"]:
        if grade["suppressed"]:
            typer.echo(f"  grade {grade['grade']}: under {report['min_cell']} people, suppressed")
        else:
            flag = " UNDERESTIMATED" if grade["underestimated"] else ""
            typer.echo(f"  grade {grade['grade']}: n {grade['n']}, predicted {grade['predicted_rate']:.2%}, "
                       f"observed {grade['observed_rate']:.2%} [{grade['low']:.2%}, {grade['high']:.2%}]{flag}")
