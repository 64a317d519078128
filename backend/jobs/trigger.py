"""Run the batch jobs after the population or the model changed (import, erasure, promotion).

From a command (``octroi clients import``, ``octroi outcomes import``, a promotion) the jobs
run right there, in the command's process, after its commit. From the API (an erasure
requested by compliance) they are started as a separate ``octroi jobs run all`` process, so
no API process ever holds the population. ``OCTROI_JOBS_AFTER_CHANGE=false`` turns both off
(then a scheduler runs ``octroi jobs run ...``; until it does, the API says the stored
aggregates are stale).
"""

from __future__ import annotations

import os
import subprocess  # noqa: S404 - a fixed argument list, no shell
import sys
from collections.abc import Callable

import structlog

from backend.settings import Settings

log = structlog.get_logger("octroi.jobs")


def run_after_change(settings: Settings, kinds: list[str], echo: Callable[[str], None]) -> None:
    """Run ``kinds`` now; failures are reported, never raised (the change itself is committed)."""
    if not settings.jobs_after_change:
        echo("jobs not run (OCTROI_JOBS_AFTER_CHANGE=false): run `octroi jobs run all`")
        return
    from backend.registry.service import champion_directory

    if not (champion_directory(settings) / "manifest.json").is_file():
        echo(f"jobs not run: no model bundle in {settings.effective_model_dir} yet (`octroi train`)")
        return
    from backend.jobs.service import JobFailed, run_jobs

    try:
        results = run_jobs(kinds, settings)
    except Exception as exc:  # noqa: BLE001 - the import is done; the jobs can be rerun
        echo(f"jobs failed ({type(exc).__name__}); run `octroi jobs run all` again")
        return
    for result in results:
        if isinstance(result, JobFailed):
            echo(f"job skipped: {result}")
        else:
            echo(f"job {result.kind}: {result.rows} rows, model {result.model_version}, {result.seconds:.1f}s")


def spawn_after_change(settings: Settings, reason: str) -> None:
    """Start ``octroi jobs run all`` in its own process (from the API); returns at once."""
    if not settings.jobs_after_change:
        return
    try:
        # The API's own settings, not whatever its environment says: the same database and model.
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("OCTROI_")}
        subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
            [sys.executable, "-m", "backend.cli", "jobs", "run", "all"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env={**inherited, **settings.as_environment()},
        )
        log.info("jobs_started", reason=reason)
    except OSError as exc:
        log.warning("jobs_not_started", reason=reason, error_type=type(exc).__name__)
