"""Batch jobs: portfolio aggregates, drift and backtesting over the whole population, on Dask.

``run_job(kind, settings)`` reads the population's revision, ships the champion model to the
workers, maps one task per pseudonym range (``backend.jobs.tasks``), reduces the results and
stores the aggregates with the model version, the population revision and the time
(``backend.monitoring.service``), with one audit event. Nothing per client is stored. A result
1 to 9 people from a published one is stored held, not served (``ml.disclosure``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend.audit.service import record_event
from backend.audit.setup import cli_sessionmaker
from backend.clients.models import Client
from backend.db import session_scope
from backend.jobs import tasks
from backend.jobs.cluster import dask_client
from backend.monitoring import service as stored
from backend.monitoring.models import Outcome
from backend.portfolio.service import (
    Moves,
    add_partials,
    finish_aggregates,
    piece_edges,
    piece_moves,
)
from backend.settings import Settings
from ml import monitoring

if TYPE_CHECKING:
    from distributed import Client as DaskClient

    from ml.bundle import ModelBundle

KINDS = stored.KINDS
T = TypeVar("T")
ROWS_PER_PARTITION = 20_000
MAX_PARTITIONS = 512
LOST_INPUTS_ATTEMPTS = 2  # a graph cancelled for lost inputs is submitted once more (_on_cluster)

logger = logging.getLogger(__name__)


class JobFailed(RuntimeError):
    """The job cannot run (no model, no drift reference, empty population...); nothing stored."""


@dataclass(frozen=True)
class JobResult:
    kind: str
    model_version: str
    population_revision: str
    rows: int
    partitions: int
    seconds: float
    payload: dict[str, Any]
    aggregate_id: int
    published: bool = True  # False: held, 1 to 9 people from a published result (ml.disclosure)
    changed_people: int | None = None


def _worker_url(settings: Settings) -> str | None:
    """The database URL as a local worker process sees it (SQLite paths made absolute); None
    on a real cluster, whose workers use their own ``OCTROI_DATABASE_URL`` (no credentials
    in the task graph)."""
    if settings.dask_scheduler:
        return None
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=False)


def load_champion(settings: Settings) -> ModelBundle:
    # The promoted registry version, else OCTROI_MODEL_DIR: the model the API answers with.
    from backend.registry.service import champion_directory
    from ml.bundle import BundleIntegrityError, ModelBundle

    try:
        return ModelBundle.load(champion_directory(settings))
    except BundleIntegrityError as exc:
        raise JobFailed(f"no usable model bundle: {exc}") from None


def load_version(settings: Settings, version: str) -> ModelBundle:
    """A registered model version (``octroi model list``), e.g. to backtest a retired one."""
    from backend.registry.store import ModelRegistry
    from ml.bundle import BundleIntegrityError, ModelBundle

    registry = ModelRegistry(settings.effective_registry_dir)
    if not registry.has(version):
        raise JobFailed(f"no registered model version {version!r} (see `octroi model list`)")
    try:
        return ModelBundle.load(registry.path(version))
    except BundleIntegrityError as exc:
        raise JobFailed(f"model version {version} cannot be loaded: {exc}") from None


def run_job(
    kind: str,
    settings: Settings,
    *,
    client: DaskClient | None = None,
    bundle: ModelBundle | None = None,
    partitions: int | None = None,
) -> JobResult:
    """Run one job on ``client`` (or a cluster from the settings) and store its result."""
    if kind not in KINDS:
        raise JobFailed(f"unknown job {kind!r}; one of {', '.join(KINDS)}")
    if client is None:
        with dask_client(settings.dask_scheduler) as own:
            return run_job(kind, settings, client=own, bundle=bundle, partitions=partitions)
    bundle = bundle or load_champion(settings)
    if kind == "drift" and bundle.monitoring_reference is None:
        raise JobFailed(f"model {bundle.version} has no drift reference (trained before monitoring); retrain it")
    started = time.perf_counter()
    factory, engine = cli_sessionmaker(settings)
    try:
        with factory() as db:
            revision = stored.population_revision(db, kind)
            counted = Outcome if kind == "backtest" else Client
            rows = int(db.scalar(select(func.count()).select_from(counted)) or 0)
            previous, previous_withheld = None, False
            if kind == "drift":
                # The previous period: the newest run on another population (a rerun on the same
                # one, from a scheduler, compared nothing and showed "—").
                last = stored.latest(db, "drift", bundle.version, population_other_than=revision)
                if last is not None and last.payload.get("distribution"):
                    # What that report served withheld: the PSI against it would solve for it.
                    served = monitoring.protected_score(
                        last.payload["score"], int(last.payload["rows"]), beside=stored.published_edges(db, last),
                        moved=last.payload.get("piece_moves"))
                    previous = last.payload["distribution"]
                    previous_withheld = any(served.get("current_withheld") or [])
            db.rollback()
        count = partitions or max(1, min(MAX_PARTITIONS, -(-rows // ROWS_PER_PARTITION)))
        bounds = tasks.partition_bounds(count)
        url = _worker_url(settings)
        build, members, cells = _on_cluster(
            lambda: _compute(kind, client, bundle, bounds, url, previous, previous_withheld))
        # Where the portfolio and drift jobs cut the probability scale (stored with the result):
        # at the model's training deciles too, so a range between a decile edge and a bar edge is
        # counted across results as well.
        cut = None if kind == "backtest" else piece_edges(float(bundle.threshold),
                                                          monitoring.score_deciles(bundle.monitoring_reference))
        with session_scope(factory) as db:
            publication = stored.publication(db, kind, members, cells, cut)
            # Built once publication is decided, under its lock: a segment that moved by 1 to 9
            # people is pooled, a drift share that did is withheld.
            payload = build(publication, db) | ({"piece_edges": cut} if cut is not None else {})
            rows = stored.population_size(payload)
            seconds = time.perf_counter() - started
            row = stored.store(db, kind, bundle.version, revision, payload, seconds, publication)
            record_event(db, None, None, action="monitoring.job", actor="octroi jobs run",
                         model_version=bundle.version,
                         details={"job": kind, "rows": rows, "partitions": len(bounds),
                                  "published": publication.published})
            aggregate_id = row.id
    finally:
        engine.dispose()
    if not publication.published:
        logger.info("%s result held: %s people from a published one", kind, publication.changed_people)
    return JobResult(kind, bundle.version, revision, rows, len(bounds), seconds, payload, aggregate_id,
                     publication.published, publication.changed_people)


# The job's payload from what moved since the published results (``stored.Publication``), in the
# transaction that decided its publication (the drift report reads the published reports there).
Build = Callable[[stored.Publication, Session], dict[str, Any]]


def _compute(kind: str, client: DaskClient, bundle: ModelBundle, bounds: list[tuple[str, str | None]],
             url: str | None, previous: dict[str, Any] | None, previous_withheld: bool = False,
             ) -> tuple[Build, np.ndarray, np.ndarray | None]:
    """Ship the model (and the drift reference) to the workers, map one task per partition and
    reduce the results; return what builds the job's payload from the segments that moved since
    the published results (``stored.publication``), with the digests and cells of the rows it
    was computed on."""
    model = client.scatter(tasks.shipped_model(bundle), broadcast=True, hash=False)
    lows, highs = [b[0] for b in bounds], [b[1] for b in bounds]
    urls = [url] * len(bounds)
    threshold, deciles = float(bundle.threshold), monitoring.score_deciles(bundle.monitoring_reference)
    if kind == "portfolio":
        futures = client.map(tasks.portfolio_task, urls, lows, highs, model=model, threshold=threshold,
                             deciles=deciles, pure=False)
        parts, members, cells = _split(client.gather(futures))
        total = add_partials(parts, threshold)
        return (lambda published, _: finish_aggregates(total, threshold, bundle.version, published.moves, deciles,
                                                       published.blind)), members, cells
    if kind == "drift":
        reference = client.scatter(bundle.monitoring_reference, broadcast=True, hash=False)
        futures = client.map(tasks.drift_task, urls, lows, highs, model=model, reference=reference,
                             threshold=threshold, pure=False)
        parts, members, cells = _split(client.gather(futures))
        counts = monitoring.add_counts(parts)
        if counts["rows"] == 0:
            raise JobFailed("no client imported: nothing to compare with the training reference")
        return (lambda published, db: monitoring.drift_report(
            bundle.monitoring_reference, counts, previous, piece_moves(published.moves, threshold, deciles,
                                                                       published.blind),
            stored.published_inputs(db), previous_withheld)), members, cells
    futures = client.map(tasks.backtest_task, urls, lows, highs, model=model, pure=False)
    parts, members, cells = _split(client.gather(futures))
    return (lambda published, _: _backtest(parts, published.moves)), members, cells


def _split(results: list[tasks.Digested]) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray | None]:
    """The partitions' results, all their rows' digests in one array, and their cells (None
    when a task gives none)."""
    parts = [part for part, _ in results]
    digests = [members[0] for _, members in results]
    cells = [members[1] for _, members in results]
    all_digests = np.concatenate(digests) if digests else np.zeros(0, dtype=np.uint64)
    if not cells or any(c is None for c in cells):
        return parts, all_digests, None
    return parts, all_digests, np.concatenate(cells)


def _on_cluster(compute: Callable[[], T]) -> T:
    """``compute()``, once more if the cluster lost what was scattered for it.

    The scheduler cancels a graph whose inputs it no longer holds ("lost dependencies": a worker
    holding the scattered model gone, or the key released before the tasks were submitted); the
    tasks never ran, nothing was stored, and scattering again is all it takes. Seen once in CI
    on the tests' long-lived local cluster. Any other failure, or a second loss, is raised."""
    from distributed.client import FutureCancelledError

    attempt = 1
    while True:
        try:
            return compute()
        except FutureCancelledError as exc:
            if getattr(exc, "reason", None) != "lost dependencies" or attempt >= LOST_INPUTS_ATTEMPTS:
                raise
            attempt += 1
            logger.warning("job inputs lost on the cluster (%s); scattering them again", exc)


def _backtest(parts: list[dict[str, Any]], moves: Moves | None = None) -> dict[str, Any]:
    parts = [part for part in parts if len(part["probability"])]
    if not parts:
        return monitoring.backtest(np.zeros(0), np.zeros(0), [])
    p = np.concatenate([part["probability"] for part in parts])
    y = np.concatenate([part["target"] for part in parts])
    cohorts = np.concatenate([part["cohort"] for part in parts])
    segments = {name: np.concatenate([part["segments"][name] for part in parts]) for name in parts[0]["segments"]}
    return monitoring.backtest(y, p, cohorts, segments, moves=moves)


def run_jobs(kinds: list[str], settings: Settings, **options: Any) -> list[JobResult | JobFailed]:
    """Several jobs on one cluster; a job that cannot run is reported, the others still run."""
    results: list[JobResult | JobFailed] = []
    client = options.pop("client", None)
    if client is None:
        with dask_client(settings.dask_scheduler) as own:
            return run_jobs(kinds, settings, client=own, **options)
    for kind in kinds:
        try:
            results.append(run_job(kind, settings, client=client, **options))
        except JobFailed as exc:
            results.append(exc)
    return results
