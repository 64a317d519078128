"""Portfolio and similar-clients benchmark on 300,000 applicants (one run, ratios).

Generates 300,000 synthetic applications, trains a quick bundle on them (so the neighbour
reference holds 300,000 rows), imports them as clients (the `octroi clients import` code
path, timed), then measures in the same process:

- the portfolio batch job end to end (two Dask worker processes each read their pseudonym
  ranges from the database, build the matrix, score and reduce; the aggregates are stored)
  against the bare ``booster.predict`` on the same matrix;
- the portfolio summary as the API serves it (the stored aggregates), through HTTP
  (in-process ASGI client, with the permission check and the audit write);
- similar clients among the 300,000 reference rows, p50 over distinct clients.

    .venv/bin/python bench/bench_portfolio.py [--rows 300000] [--sqlite]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import import_csv, p50, pct, scratch_database, settings_for, timed, train_bundle

from backend.clients.service import load_population
from backend.db import make_engine, make_sessionmaker
from backend.jobs.cluster import dask_client
from backend.jobs.service import run_job
from backend.scoring.service import one_row
from ml import synth
from ml.bundle import ModelBundle
from ml.features import build_matrix


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--import-only", action="store_true", help="only time the client import")
    args = parser.parse_args()
    if args.import_only:
        return import_only(args.rows, args.sqlite)
    command = "bench/bench_portfolio.py" + (f" --rows {args.rows}" if args.rows != 300_000 else "") + (
        " --sqlite" if args.sqlite else "")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        paths = synth.write(tmp / "data", rows=args.rows, seed=3)
        print(f"synthetic data: {args.rows:,} rows in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        bundle_dir = train_bundle(tmp / "data", tmp / "model", rounds=40)
        bundle = ModelBundle.load(bundle_dir)
        print(f"bundle trained on {args.rows:,} rows in {time.perf_counter() - started:.1f}s")

        with scratch_database(tmp, args.sqlite) as url:
            engine_name = "sqlite" if args.sqlite else "postgresql"
            settings = settings_for(tmp, url, bundle_dir, log_level="WARNING")
            timing = import_csv(settings, paths["train"])
            print(f"import {int(timing['rows']):,} clients ({engine_name}): {timing['total_s']:.1f}s "
                  f"(read+validate {timing['read_validate_s']:.1f}s, insert+commit {timing['insert_commit_s']:.1f}s)")

            engine = make_engine(url)
            sessions = make_sessionmaker(engine)

            # Baseline: the bare booster on the same matrix (what any portfolio view must pay).
            with sessions() as db:
                population = load_population(db)
            x = bundle.policy.model_matrix(build_matrix(population))

            with dask_client(None, workers=2) as client:
                run_job("portfolio", settings, client=client, bundle=bundle)  # warm-up: workers parse the model
                # Interleaved, so a load change on this shared machine hits both sides alike.
                predict_ms, job_ms = [], []
                for _ in range(3):
                    predict_ms += timed(lambda: bundle.booster.predict(x, num_threads=2), 1)
                    job_ms += timed(lambda: run_job("portfolio", settings, client=client, bundle=bundle), 1)
            with sessions() as db:
                started = time.perf_counter()
                load_population(db)
                load_ms = (time.perf_counter() - started) * 1000
            http_warm_ms = _http_warm(settings, bundle_dir)

            rows = population.sample(200, random_state=1).reset_index(drop=True)
            bundle.similar(one_row(rows.iloc[0].to_dict()), k=10)  # builds the KD-tree once
            similar_ms = [timed(lambda r=r: bundle.similar(one_row(rows.iloc[r].to_dict()), k=10), 1)[0]
                          for r in range(len(rows))]
            engine.dispose()

    base, job_p50 = p50(predict_ms), p50(job_ms)
    print()
    print(f"portfolio on {len(population):,} applicants ({engine_name}):")
    print(f"  baseline booster.predict on the same matrix       p50 {base:8.1f} ms")
    print(f"  portfolio job: DB read + score + reduce + store   p50 {job_p50:8.1f} ms   ratio {job_p50 / base:.2f}x"
          f"   (reading every client in one process takes {load_ms:.0f} ms)")
    print(f"  summary served by the API, HTTP + auth + audit    p50 {p50(http_warm_ms):8.2f} ms"
          f"   p95 {pct(http_warm_ms, 95):.2f} ms")
    print(f"similar clients among {len(bundle._nn_target):,} reference rows (k=10, 200 clients): "
          f"p50 {p50(similar_ms):.2f} ms   p95 {pct(similar_ms, 95):.2f} ms")
    print(f"\nrerun: .venv/bin/python {command}")
    return 0


def import_only(rows: int, use_sqlite: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        train, _, _ = synth.generate(rows, seed=3)
        path = tmp / "application_train.csv"
        train.to_csv(path, index=False)
        with scratch_database(tmp, use_sqlite) as url:
            timing = import_csv(settings_for(tmp, url, tmp / "model"), path)
            again = import_csv(settings_for(tmp, url, tmp / "model"), path)
    engine = "sqlite" if use_sqlite else "postgresql"
    print(f"import {rows:,} clients ({engine}): {timing['total_s']:.1f}s (read+validate "
          f"{timing['read_validate_s']:.1f}s, pseudonymize+insert+commit {timing['insert_commit_s']:.1f}s); "
          f"idempotent re-import {again['total_s']:.1f}s")
    print(f"rerun: .venv/bin/python bench/bench_portfolio.py --import-only{' --sqlite' if use_sqlite else ''}")
    return 0


def _http_warm(settings, bundle_dir: Path) -> list[float]:
    import os

    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.users.service import create_user

    os.environ.setdefault("OCTROI_ARGON2_MEMORY_KIB", "8192")
    app = create_app(settings)
    with TestClient(app) as client:
        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username="bench-comex", role="comex",
                        password="Bench-portfolio-pass-42!", must_change_password=False)
            db.commit()
        token = client.post("/api/v1/auth/token",
                            data={"username": "bench-comex", "password": "Bench-portfolio-pass-42!"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        first = client.get("/api/v1/portfolio/summary", headers=headers)  # the job stored it
        assert first.status_code == 200, first.text
        return timed(lambda: client.get("/api/v1/portfolio/summary", headers=headers), 50)


if __name__ == "__main__":
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    np.seterr(all="ignore")
    sys.exit(main())
