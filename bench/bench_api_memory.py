"""API process memory with 10,000 and with 300,000 clients imported (one run, ratio).

For each population size: a scratch database, N synthetic clients imported (the `octroi
clients import` code path), the portfolio and drift jobs run on a local two-worker Dask
cluster, then a real API process (`octroi serve api`, one worker) is started and used like
a working day: COMEX reads the portfolio summary and every segmentation and the drift report,
an advisor scores, explains and compares 20 clients. The API's resident memory (RSS) is read
after that traffic. Baseline: 10,000 clients; figure: 300,000; aim: within 10 %.

    .venv/bin/python bench/bench_api_memory.py [--small 10000] [--large 300000] [--sqlite]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from _common import import_csv, scratch_database, settings_for, train_bundle

from backend.db import make_engine, make_sessionmaker
from backend.jobs.service import run_jobs
from backend.users.service import create_user
from ml import synth
from ml.schema import ID_COLUMN

PORT = 8116
PASSWORD = "Bench-memory-pass-42!"  # noqa: S105 - a throwaway account in a scratch database
SEGMENTS = ("contract_type", "gender", "age_band", "income_type", "education", "family_status")


def _users(settings) -> None:
    engine = make_engine(settings.effective_database_url)
    try:
        from backend.app import create_app

        app = create_app(settings)
        with make_sessionmaker(engine)() as db:
            for role in ("comex", "advisor"):
                create_user(db, app.state.password_hasher, username=f"bench-{role}", role=role,
                            password=PASSWORD, must_change_password=False)
            db.commit()
    finally:
        engine.dispose()


def _rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 1e6


def _measure(tmp: Path, rows: int, bundle_dir: Path, use_sqlite: bool) -> dict[str, float]:
    train, _, _ = synth.generate(rows, seed=5)
    csv = tmp / f"clients-{rows}.csv"
    train.drop(columns=["TARGET"]).to_csv(csv, index=False)
    ids = [str(i) for i in train[ID_COLUMN].head(20)]
    del train
    with scratch_database(tmp, use_sqlite) as url:
        settings = settings_for(tmp, url, bundle_dir, log_level="WARNING")
        timing = import_csv(settings, csv)
        started = time.perf_counter()
        run_jobs(["portfolio", "drift"], settings)
        jobs_s = time.perf_counter() - started
        _users(settings)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
        env.update(OCTROI_ENV="development", OCTROI_VAR_DIR=str(settings.var_dir), OCTROI_DATABASE_URL=url,
                   OCTROI_MODEL_DIR=str(bundle_dir), OCTROI_LOG_LEVEL="WARNING", OCTROI_JOBS_AFTER_CHANGE="false",
                   OCTROI_RATE_LIMIT_SCORING_PER_MINUTE="10000")
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "backend.cli", "serve", "api", "--host", "127.0.0.1", "--port", str(PORT)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{PORT}"
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            tokens = {}
            for role in ("comex", "advisor"):
                answer = httpx.post(f"{base}/api/v1/auth/token", data={"username": f"bench-{role}", "password": PASSWORD})
                tokens[role] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            with httpx.Client(base_url=f"{base}/api/v1", timeout=60) as http:
                for _ in range(3):
                    assert http.get("/portfolio/summary", headers=tokens["comex"]).status_code == 200
                    for by in SEGMENTS:
                        assert http.get("/portfolio/segments", params={"by": by}, headers=tokens["comex"]).status_code == 200
                    assert http.get("/monitoring/drift", headers=tokens["comex"]).status_code == 200
                for raw in ids:
                    for path in ("score", "explanation", "comparison"):
                        response = http.get(f"/clients/{raw}/{path}", headers=tokens["advisor"])
                        assert response.status_code == 200, response.text
            time.sleep(1)
            rss = _rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"rows": rows, "rss_mb": rss, "import_s": timing["total_s"], "jobs_s": jobs_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=300_000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    command = "bench/bench_api_memory.py" + (" --sqlite" if args.sqlite else "")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        synth.write(tmp / "data", rows=20_000, seed=3)
        bundle_dir = train_bundle(tmp / "data", tmp / "model", rounds=100)
        results = []
        for rows in (args.small, args.large):
            (tmp / str(rows)).mkdir()
            results.append(_measure(tmp / str(rows), rows, bundle_dir, args.sqlite))
    small, large = results
    engine = "sqlite" if args.sqlite else "postgresql"
    print()
    print(f"API process memory after a working session ({engine}, portfolio and drift from the jobs):")
    for result in results:
        print(f"  {int(result['rows']):>9,} clients: RSS {result['rss_mb']:7.1f} MB   "
              f"(import {result['import_s']:.1f}s, portfolio + drift jobs {result['jobs_s']:.1f}s)")
    print(f"  ratio {large['rss_mb'] / small['rss_mb']:.3f}x for {large['rows'] / small['rows']:.0f}x the clients"
          "   (aim: within 10 %, i.e. <= 1.10x)")
    print(f"\nrerun: .venv/bin/python {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
