"""Score + explanation through HTTP against the in-process bundle call (one run, ratios).

Set-up: synthetic data, a quick bundle, a scratch PostgreSQL database (``--sqlite`` for a
file), the applicants imported, one advisor created. Then ``octroi serve api`` runs in a
subprocess on a free loopback port and, in the same run:

- baseline: ``bundle.score`` + ``bundle.score_and_explain`` in this process on a client's row;
- HTTP: ``GET /clients/{id}/score`` + ``GET /clients/{id}/explanation`` with the bearer token
  (signature check, user reload, permission check, pseudonymization, feature read, audit
  event committed) on the same clients, one worker, keep-alive; cold (first time the
  client is seen: nothing cached) and warm (cached score and explanation);
- requests per second with 2 workers and 4 concurrent clients.

    .venv/bin/python bench/bench_api.py [--clients 300] [--sqlite]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from _common import (
    import_csv,
    p50,
    pct,
    scratch_database,
    settings_for,
    start_api,
    stop_api,
    timed,
    train_bundle,
)

from backend.app import create_app
from backend.clients.models import Client
from backend.clients.service import find_client, keyring
from backend.scoring.service import one_row
from backend.users.service import create_user
from ml import synth
from ml.bundle import ModelBundle
from ml.schema import ID_COLUMN

PASSWORD = "Quiet-harbour-lantern-73!"  # noqa: S105 - a throwaway benchmark account


def _start(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    process, port = start_api(env, workers)
    return process, f"http://127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=300, help="distinct clients measured")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the throughput run")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    command = "bench/bench_api.py" + (f" --clients {args.clients}" if args.clients != 300 else "") + (
        " --sqlite" if args.sqlite else "")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = synth.write(tmp / "data", rows=max(12_000, args.clients * 6 * 3), seed=5)
        bundle_dir = train_bundle(tmp / "data", tmp / "model", rounds=200)
        bundle = ModelBundle.load(bundle_dir)
        with scratch_database(tmp, args.sqlite) as url:
            settings = settings_for(tmp, url, bundle_dir, log_level="WARNING")
            import_csv(settings, paths["test"])
            ids = [int(v) for v in pd.read_csv(paths["test"], usecols=[ID_COLUMN])[ID_COLUMN]]
            random.Random(1).shuffle(ids)
            measured = ids[: args.clients]

            app = create_app(settings)
            ring = keyring(settings)
            with app.state.sessionmaker() as db:
                create_user(db, app.state.password_hasher, username="bench-advisor", role="advisor",
                            password=PASSWORD, must_change_password=False)
                db.commit()
                rows: list[dict] = [dict(find_client(db, ring, i).features) for i in measured]
            assert all(isinstance(r, dict) for r in rows) and Client

            # In-process baseline: the same two model calls the two requests make.
            def in_process(row: dict) -> None:
                frame = one_row(row)
                bundle.score(frame)
                bundle.score_and_explain(frame, top=10, lang="fr")

            in_process(rows[0])
            baseline_ms = [timed(lambda r=r: in_process(r), 1)[0] for r in rows]

            env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
            env.update({"OCTROI_DATABASE_URL": url, "OCTROI_MODEL_DIR": str(bundle_dir),
                         "OCTROI_VAR_DIR": str(settings.var_dir), "OCTROI_LOG_LEVEL": "WARNING",
                         # The per-user abuse limit (60/min) would stop a benchmark; its
                         # counter transaction is still paid on every request.
                         "OCTROI_RATE_LIMIT_SCORING_PER_MINUTE": "100000"})
            process, base_url = _start(env, 1)
            try:
                with httpx.Client(base_url=base_url, timeout=30) as http:
                    login_ms, headers = _login(http)

                    def pair(raw: int) -> None:
                        for suffix in ("/score", "/explanation"):
                            response = http.get(f"/api/v1/clients/{raw}{suffix}", headers=headers)
                            assert response.status_code == 200, response.text

                    pair(ids[-1])  # warm the connection and the code paths on another client
                    cold_ms = [timed(lambda r=r: pair(r), 1)[0] for r in measured]
                    warm_ms = [timed(lambda r=r: pair(r), 1)[0] for r in measured]
            finally:
                stop_api(process)

            process, base_url = _start(env, 2)
            try:
                rps, errors = _throughput(base_url, ids, args.seconds, concurrency=4)
            finally:
                stop_api(process)

    base = p50(baseline_ms)
    engine = "sqlite" if args.sqlite else "postgresql"
    print(f"score + explanation, {args.clients} distinct clients, {engine}, 1 worker:")
    print(f"  baseline in-process bundle.score + score_and_explain  p50 {base:7.2f} ms  p95 {pct(baseline_ms, 95):7.2f} ms")
    print(f"  HTTP cold (nothing cached)                            p50 {p50(cold_ms):7.2f} ms  "
          f"p95 {pct(cold_ms, 95):7.2f} ms   p50 ratio {p50(cold_ms) / base:.2f}x (aim <= 2.0)")
    print(f"  HTTP warm (cached results; auth + audit still paid)   p50 {p50(warm_ms):7.2f} ms  "
          f"p95 {pct(warm_ms, 95):7.2f} ms   p50 ratio {p50(warm_ms) / base:.2f}x")
    print(f"  login (argon2id, default cost)                        {login_ms:7.1f} ms")
    print(f"throughput, 2 workers, 4 concurrent clients, {args.seconds:.0f}s: {rps:.1f} requests/s "
          f"(score and explanation requests, {errors} errors)")
    print(f"\nrerun: .venv/bin/python {command}")
    return 0


def _login(http: httpx.Client) -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    response = http.post("/api/v1/auth/token", data={"username": "bench-advisor", "password": PASSWORD})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text
    return elapsed, {"Authorization": f"Bearer {response.json()['access_token']}"}


def _throughput(base_url: str, ids: list[int], seconds: float, concurrency: int) -> tuple[float, int]:
    counts = [0] * concurrency
    errors = [0] * concurrency
    with httpx.Client(base_url=base_url, timeout=30) as http:
        _, headers = _login(http)
    stop = time.monotonic() + seconds

    def worker(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=base_url, timeout=30) as http:
            while time.monotonic() < stop:
                raw = rng.choice(ids)
                for suffix in ("/score", "/explanation"):
                    response = http.get(f"/api/v1/clients/{raw}{suffix}", headers=headers)
                    counts[n] += 1
                    errors[n] += response.status_code != 200

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), sum(errors)


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
