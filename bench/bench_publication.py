"""What deciding a batch job's publication costs as published results pile up.

A job publishes its result only if its population differs from every published one by 0 or at
least 10 people, and pools the segments that moved by 1 to 9 (``backend.monitoring.service
.publication``, ``ml.disclosure``). Every published result keeps its rows' digests and cells;
reruns on the same people (a scheduler, a promotion, another kind's trigger) publish results
with the same population. ``publication`` loads and compares each *population* once.

Set-up: a scratch SQLite database, ``--rows`` synthetic row digests with their cells (six
segmentations and the side of the threshold), then published results over a number of distinct
populations (each 20 rows apart). Timed in the same run: the baseline (one result per population)
and ``--results`` results over the same populations; printed: both and their ratio (1.0x: reruns
cost nothing). Also the cost per distinct population.

    .venv/bin/python bench/bench_publication.py [--rows 300000] [--populations 2] [--results 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

import backend.models  # noqa: F401 - registers every table
from backend.db import Base
from backend.monitoring import service as stored
from backend.monitoring.models import MonitoringAggregate

FIELDS = ("contract_type", "gender", "age_band", "income_type", "education", "family_status", "side", "piece")
PIECES = 28  # the portfolio's pieces of the probability scale (bars, grades, threshold)


def _database(path: Path, rows: int, populations: int, results: int, fields: tuple[str, ...] = FIELDS
              ) -> tuple[sessionmaker, np.ndarray, np.ndarray]:
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**63, rows, dtype=np.uint64)
    cells = np.zeros(rows, dtype=[(name, np.uint16) for name in fields])
    for name in fields:
        cells[name] = rng.integers(0, PIECES if name == "piece" else 2, rows)
    factory = sessionmaker(engine)
    with factory() as db:
        for r in range(results):
            k = r % populations
            members = base.copy()
            members[: k * 20] = np.random.default_rng(k).integers(0, 2**63, k * 20, dtype=np.uint64)
            order = np.argsort(members)
            buffer = io.BytesIO()
            np.save(buffer, cells[order], allow_pickle=False)
            blob, cell_blob = members[order].tobytes(), buffer.getvalue()
            db.add(MonitoringAggregate(
                kind="portfolio", model_version="bench", population_revision=str(r), computed_at=datetime.now(UTC),
                duration_seconds=0.0, payload={}, published=True, changed_people=0, members=blob,
                member_cells=cell_blob, population_digest=stored.population_digest(blob, cell_blob)))
        db.commit()
    new = base.copy()
    new[:50] = rng.integers(0, 2**63, 50, dtype=np.uint64)
    return factory, new, cells


def _time(factory: sessionmaker, new: np.ndarray, cells: np.ndarray) -> float:
    with factory() as db:
        started = time.perf_counter()
        decided = stored.publication(db, "portfolio", new, cells)
        elapsed = time.perf_counter() - started
        db.rollback()
    assert decided.published
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--populations", type=int, default=2)
    parser.add_argument("--results", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--without-piece", action="store_true",
                        help="cells as stored before the twentieth session (no piece of the probability scale)")
    args = parser.parse_args()
    fields = tuple(f for f in FIELDS if f != "piece") if args.without_piece else FIELDS
    with tempfile.TemporaryDirectory() as scratch:
        baseline = _database(Path(scratch) / "baseline.db", args.rows, args.populations, args.populations, fields)
        piled = _database(Path(scratch) / "piled.db", args.rows, args.populations, args.results, fields)
        times: dict[str, list[float]] = {"baseline": [], "piled": []}
        for _ in range(args.repeat):  # alternated: the machine's drift hits both alike
            times["baseline"].append(_time(*baseline))
            times["piled"].append(_time(*piled))
    first, then = statistics.median(times["baseline"]), statistics.median(times["piled"])
    print(f"publication over {args.rows:,} rows, {args.populations} distinct populations (median of {args.repeat}):")
    print(f"  {args.populations} published results (one per population): {first:.3f} s "
          f"({first / args.populations:.3f} s per population)")
    print(f"  {args.results} published results (reruns on the same populations): {then:.3f} s = {then / first:.2f}x")
    print(f"rerun: .venv/bin/python bench/bench_publication.py --rows {args.rows} --populations {args.populations} "
          f"--results {args.results}" + (" --without-piece" if args.without_piece else ""))


if __name__ == "__main__":
    main()
