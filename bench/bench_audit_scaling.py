"""Audited commits per second with 1, 2 and 4 API processes: the global-lock append against the
audit sequencer (docs/decisions/0012-audit-sequencer.md), measured in the same run.

Each process is built like an API process (``create_app``, its startup hooks, so the
sequencer thread runs in ``sequencer`` mode) and runs ``--threads`` threads that each commit
audited events (``commit_audited`` in its own transaction, what every audited request ends
with) for ``--seconds``. ``inline`` is the old path: every commit takes the chain-head lock,
reads the head, inserts and commits under it. After each run every committed event is
chained, and the script checks the accounting is exact (one chained event per commit that
returned) and that the chain is gapless and verifies.

    PYTHONPATH=. .venv/bin/python bench/bench_audit_scaling.py            # PostgreSQL
    PYTHONPATH=. .venv/bin/python bench/bench_audit_scaling.py --sqlite

Aim (issue 17): with the sequencer, 2 and 4 processes give at least 1.7x and 3x one process.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import scratch_database  # noqa: E402


def _worker(url: str, var_dir: str, mode: str, threads: int, seconds: float, ready, go, counts) -> None:  # noqa: ANN001
    os.environ.update({"OCTROI_DATABASE_URL": url, "OCTROI_VAR_DIR": var_dir, "OCTROI_AUDIT_CHAIN": mode,
                       "OCTROI_LOG_LEVEL": "WARNING", "OCTROI_AUDIT_CHECKPOINT_SECONDS": "0"})
    from backend.app import create_app
    from backend.audit.service import commit_audited
    from backend.settings import Settings

    app = create_app(Settings().ensure_secrets())
    for hook in app.state.startup_hooks:
        hook(app)
    done = [0] * threads

    def run(index: int) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with app.state.sessionmaker() as db:
                commit_audited(db, None, None, action="bench.event", actor="bench", role="advisor",
                               resource="f" * 64, details={"thread": index})
            done[index] += 1

    ready.wait()
    go.wait()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counts.put(sum(done))
    for hook in reversed(app.state.shutdown_hooks):
        hook(app)


def backlog(url: str) -> tuple[int, float]:
    """Events committed but not chained yet, and the oldest one's age in ms (the sequencer's lag)."""
    from sqlalchemy import create_engine

    from backend.audit.models import AuditPending

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            count, oldest = conn.execute(select(func.count(), func.min(AuditPending.__table__.c.ts))).one()
            now = conn.execute(select(func.now())).scalar_one() if engine.dialect.name == "postgresql" else None
    finally:
        engine.dispose()
    if not count or oldest is None or now is None:
        return int(count or 0), 0.0
    return int(count), (now - oldest).total_seconds() * 1000


def measure(url: str, var_dir: str, mode: str, processes: int, threads: int,
            seconds: float) -> tuple[float, int, tuple[int, float]]:
    ctx = mp.get_context("spawn")
    ready, go, counts = ctx.Barrier(processes + 1), ctx.Barrier(processes + 1), ctx.Queue()
    children = [ctx.Process(target=_worker, args=(url, var_dir, mode, threads, seconds, ready, go, counts))
                for _ in range(processes)]
    for child in children:
        child.start()
    ready.wait()
    go.wait()
    time.sleep(seconds * 0.75)
    lag = backlog(url)  # while the writers run
    total = sum(counts.get(timeout=seconds + 120) for _ in children)
    for child in children:
        child.join(timeout=60)
    return total / seconds, total, lag


def check_trail(url: str, var_dir: str, expected: int) -> str:
    from backend.audit.models import AuditEvent
    from backend.audit.service import chain_committed, verify_trail
    from backend.audit.setup import cli_sessionmaker
    from backend.settings import Settings

    settings = Settings(database_url=url, var_dir=Path(var_dir)).ensure_secrets()
    factory, engine = cli_sessionmaker(settings)
    try:
        chain_committed(factory)
        with factory() as db:
            count, low, high = db.execute(
                select(func.count(), func.min(AuditEvent.seq), func.max(AuditEvent.seq))
            ).one()
            result = verify_trail(db, factory.kw["info"]["octroi_audit_signer"])
    finally:
        engine.dispose()
    exact = count == expected and (count == 0 or (low == 1 and high == count))
    return f"{'exact' if exact else 'MISMATCH'} ({count} chained / {expected} committed), " \
           f"verify {'valid' if result.valid else 'INVALID: ' + str(result.reason)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--threads", type=int, default=4, help="concurrent requests per process")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--modes", default="inline,sequencer")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.processes.split(",")]
    engine_name = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"audited commits/s on {engine_name}, {args.threads} threads per process, {args.seconds:.0f}s per run, "
          f"{os.cpu_count()} cores")
    figures: dict[tuple[str, int], float] = {}
    ok = True
    modes = args.modes.split(",")
    for mode in modes:
        for processes in counts:
            with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), args.sqlite) as url:
                var_dir = str(Path(tmp) / "var")
                rate, total, (pending, lag_ms) = measure(url, var_dir, mode, processes, args.threads, args.seconds)
                trail = check_trail(url, var_dir, total)
            ok = ok and "exact" in trail and "verify valid" in trail
            figures[(mode, processes)] = rate
            print(f"{mode:>9} {processes} process(es): {rate:8.0f}/s  "
                  f"x{rate / figures[(mode, counts[0])]:.2f} vs {counts[0]}  "
                  + (f"backlog mid-run {pending} (oldest {lag_ms:.0f} ms)  " if mode == "sequencer" else "")
                  + f"audit {trail}")
    print()
    for processes in counts if len(modes) == 2 else ():
        print(f"{processes} process(es): sequencer / inline = "
              f"{figures[('sequencer', processes)] / figures[('inline', processes)]:.2f}")
    print("aim: sequencer at 2 and 4 processes >= 1.7x and 3x one process")
    print("rerun: PYTHONPATH=. .venv/bin/python bench/bench_audit_scaling.py" + (" --sqlite" if args.sqlite else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
