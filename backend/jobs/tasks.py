"""What runs on a Dask worker: read one partition of the population, score it, reduce it.

A partition is a range of pseudonyms (they are uniformly spread hex digests, so equal
ranges hold about equal numbers of clients). Each worker reads its own partition from the
database (no client row passes through the process that started the job), scores it with
the shipped model and returns only additive sums (portfolio, drift) or, for backtesting,
the (probability, outcome, cohort, segment) arrays the driver needs for the AUC and its
confidence interval; those live in memory for the length of the job and are never stored.
Each also returns a digest of each of its rows' content (no pseudonym): the job publishes its
result only if no published one was computed on a population 1 to 9 people apart; portfolio and
backtest tasks return each row's cells too (its segments, its cohort), so the job can pool a
segment that moved by 1 to 9 people.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Text, cast, create_engine, select
from sqlalchemy.pool import NullPool

from backend.clients.models import Client
from backend.clients.service import population_from_json_lines
from backend.monitoring.models import Outcome
from backend.portfolio.service import (
    cell_codes,
    partial_aggregates,
    piece_cells,
    piece_of,
    segment_values,
)
from ml import monitoring
from ml.disclosure import row_digests
from ml.features import build_matrix
from ml.grades import grade
from ml.policy import FairLendingPolicy

_SPACE = 16**4  # partitions split the first four hex digits of the pseudonym
_engines: dict[str, Engine] = {}
_boosters: dict[str, Any] = {}
_lock = threading.Lock()


def partition_bounds(count: int) -> list[tuple[str, str | None]]:
    """``count`` pseudonym ranges [low, high) covering every pseudonym (high None = to the end)."""
    count = max(1, min(count, _SPACE))
    cuts = [f"{i * _SPACE // count:04x}" for i in range(count)]
    return [(low, cuts[i + 1] if i + 1 < count else None) for i, low in enumerate(cuts)]


def _engine(url: str | None) -> Engine:
    if url is None:
        # A real cluster: the worker's own OCTROI_DATABASE_URL (credentials never travel in tasks).
        from backend.settings import Settings

        url = Settings().effective_database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_engine(url, poolclass=NullPool)
        return engine


def _booster(model: dict[str, str]) -> Any:
    with _lock:
        booster = _boosters.get(model["version"])
        if booster is None:
            import lightgbm as lgb

            _boosters.clear()  # one model at a time per worker
            booster = _boosters[model["version"]] = lgb.Booster(model_str=model["text"])
        return booster


def read_partition(url: str | None, low: str, high: str | None, outcomes: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features frame, extra columns) of one pseudonym range; with ``outcomes`` only clients
    that have one, with their ``target`` and import ``cohort`` (YYYY-MM). ``extra["digest"]``:
    each row's content digest (features, and the outcome and cohort when read), by which the
    job compares its population with the published ones (``ml.disclosure``)."""
    features = cast(Client.features, Text)
    if outcomes:
        query = select(features, Client.imported_at, Outcome.target).join(
            Outcome, Outcome.pseudonym == Client.pseudonym
        )
    else:
        query = select(features)
    query = query.where(Client.pseudonym >= low)
    if high is not None:
        query = query.where(Client.pseudonym < high)
    with _engine(url).connect() as connection:
        rows = connection.execute(query).all()
    frame = population_from_json_lines("\n".join(row[0] for row in rows).encode())
    if outcomes:
        cohorts = [str(row[1])[:7] for row in rows]
        targets = np.fromiter((int(row[2]) for row in rows), dtype=np.int64, count=len(rows))
        contents = (f"{row[0]}\x1f{target}\x1f{cohort}" for row, target, cohort in zip(rows, targets, cohorts, strict=True))
        extra = pd.DataFrame({"cohort": cohorts, "target": targets, "digest": row_digests(contents)})
    else:
        extra = pd.DataFrame({"digest": row_digests(row[0] for row in rows)})
    return frame, extra


def shipped_model(bundle: Any) -> dict[str, Any]:
    """What the workers need to score like ``bundle.score``: the model text, the bundle's
    fair-lending policy and its feature list (which columns of the matrix the model reads)."""
    return {"version": bundle.version, "text": bundle.booster.model_to_string(),
            "policy": bundle.policy.to_dict(), "features": list(bundle.feature_names)}


def _model_matrix(model: dict[str, Any], full: np.ndarray) -> np.ndarray:
    """The model's columns of a ``build_matrix`` output: the bundle's feature list, within what
    its fair-lending policy allows."""
    return FairLendingPolicy.from_dict(model["policy"]).model_matrix(full, model.get("features"))


def _score(model: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    if not len(frame):
        return np.zeros(0)
    x = _model_matrix(model, build_matrix(frame))
    return np.asarray(_booster(model).predict(x, num_threads=1), dtype=np.float64)


# Each task returns its partition's result with its rows' digests (uint64) and, for the tables
# published by segment, each row's cells (``cell_codes``; None for drift).
Digested = tuple[dict[str, Any], tuple[np.ndarray, np.ndarray | None]]


def _members(extra: pd.DataFrame, cells: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    return extra["digest"].to_numpy(dtype=np.uint64), cells


def portfolio_task(url: str | None, low: str, high: str | None, model: dict[str, str], threshold: float,
                   deciles: list[float]) -> Digested:
    """The partition's sums, each row's cells: its segments, its side of the threshold and its
    piece of the probability scale (cut at the deciles too, as the drift job cuts it)."""
    frame, extra = read_partition(url, low, high)
    p = _score(model, frame)
    cells = cell_codes(frame, approved=p < threshold, piece=piece_of(p, threshold, deciles))
    return partial_aggregates(frame, p, threshold, cells), _members(extra, cells)


def drift_task(url: str | None, low: str, high: str | None, model: dict[str, str], reference: dict[str, Any],
               threshold: float) -> Digested:
    """The partition's counts against the training reference, each row's piece of the probability
    scale as its cells (cut at the deciles and at the portfolio's edges: ``piece_of``)."""
    frame, extra = read_partition(url, low, high)
    p = _score(model, frame)
    cells = piece_cells(piece_of(p, threshold, monitoring.score_deciles(reference)))
    return monitoring.count_partition(reference, frame, p), _members(extra, cells)


def backtest_task(url: str | None, low: str, high: str | None, model: dict[str, str]) -> Digested:
    frame, extra = read_partition(url, low, high, outcomes=True)
    p = _score(model, frame)
    return {
        "probability": p,
        "target": extra["target"].to_numpy(),
        "cohort": extra["cohort"].to_numpy(dtype=object),
        "segments": segment_values(frame) if len(frame) else {},
    }, _members(extra, cell_codes(frame, extra["cohort"].tolist(), outcomes=extra["target"].to_numpy(),
                                  grades=grade(p)))


def matrix_portfolio_task(matrix: np.ndarray, credit: np.ndarray, model: dict[str, str], threshold: float) -> dict[str, Any]:
    """The portfolio reduction on an already built matrix (bench/bench_jobs.py)."""
    if matrix.shape[1] != _booster(model).num_feature():
        matrix = _model_matrix(model, matrix)
    p = np.asarray(_booster(model).predict(matrix, num_threads=1), dtype=np.float64)
    approved = p < threshold
    return {
        "applicants": int(p.size),
        "approved": int(approved.sum()),
        "probability_sum_approved": float(p[approved].sum()),
        "expected_loss": float(np.nansum(p[approved] * credit[approved])),
        "histogram": np.histogram(p, bins=20, range=(0.0, 1.0))[0].tolist(),
    }
