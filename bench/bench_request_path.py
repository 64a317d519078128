"""Where a score request spends its time: each step of the request path against the model work.

Set-up as bench_api.py (synthetic data, a quick bundle, a scratch database, applicants
imported, one advisor), then the real app in process (TestClient) answers score and
explanation requests for distinct clients while each step is timed by wrapping the function
the route calls: the token's admission, the user and login session reload, the rate-limit read,
loading the client, the model work, and the audited write (rate count + audit append +
commit, one transaction). The baseline is the model
work itself; every other step is printed as a ratio to it, measured in the same run. The
model work is also printed as a ratio to the bare booster, issue 17's model floor
(``booster.predict(x, pred_contrib=True, num_threads=1)`` + ``booster.predict(x,
num_threads=1)`` on the same clients' prebuilt feature rows). ``bench_model.py
--route-only`` breaks the explanation's model work down step by step.

    .venv/bin/python bench/bench_request_path.py [--clients 100] [--sqlite]
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd
from _common import import_csv, scratch_database, settings_for, train_bundle
from fastapi.testclient import TestClient

import backend.auth.deps as auth_deps
import backend.clients.guard as client_guard
import backend.ratelimit as ratelimit
import backend.scoring.service as scoring
from backend.app import create_app
from backend.users.service import create_user
from ml import synth
from ml.bundle import ModelBundle
from ml.data import load_applications

PASSWORD = "Octroi-chemin-4471!"  # noqa: S105 - a throwaway benchmark account
STEPS = {
    "token admission (signature and claims, event loop)": (auth_deps, "verified_claims"),
    "user + login session (one query)": (auth_deps, "principal_of"),
    "rate-limit read (the guard)": (ratelimit.RateLimiter, "peek"),
    "load client": (client_guard, "load_client"),
    "rate count + audit append + commit (one transaction)": (auth_deps.RequestContext, "audit"),
}
MODEL_STEPS = {"score": (scoring, "client_score"), "explanation": (scoring, "client_explanation")}


def _timed_wrapper(owner: object, name: str, bucket: list[float]) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket.append((time.perf_counter() - started) * 1000)

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    timings: dict[str, list[float]] = defaultdict(list)
    for label, (owner, name) in {**STEPS, **MODEL_STEPS}.items():
        _timed_wrapper(owner, name, timings[label])

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = synth.write(tmp / "data", rows=max(6_000, args.clients * 12), seed=5)
        bundle_dir = train_bundle(tmp / "data", tmp / "model", rounds=150)
        with scratch_database(tmp, args.sqlite) as url:
            settings = settings_for(tmp, url, bundle_dir, log_level="WARNING",
                                    rate_limit_scoring_per_minute=100_000)
            import_csv(settings, paths["test"])
            ids = list(pd.read_csv(paths["test"], usecols=["SK_ID_CURR"])["SK_ID_CURR"])
            app = create_app(settings)
            with app.state.sessionmaker() as db:
                create_user(db, app.state.password_hasher, username="bench-path", role="advisor",
                            password=PASSWORD, must_change_password=False)
                db.commit()
            with TestClient(app) as client:
                token = client.post("/api/v1/auth/token",
                                    data={"username": "bench-path", "password": PASSWORD}).json()
                headers = {"Authorization": f"Bearer {token['access_token']}"}
                for raw in ids[:10]:  # warm the code paths on other clients
                    client.get(f"/api/v1/clients/{raw}/explanation", headers=headers)
                for bucket in timings.values():
                    bucket.clear()
                # The bare booster on the same clients' rows, timed between their requests so
                # both see the same machine load (excluded from the whole-request time).
                model_bundle = ModelBundle.load(bundle_dir)
                rows = model_bundle._matrix(load_applications(paths["test"]).iloc[10 : 10 + args.clients])
                bare: list[float] = []
                elapsed = 0.0
                for i, raw in enumerate(ids[10 : 10 + args.clients]):
                    started = time.perf_counter()
                    for suffix in ("/score", "/explanation"):
                        assert client.get(f"/api/v1/clients/{raw}{suffix}", headers=headers).status_code == 200
                    elapsed += (time.perf_counter() - started) * 1000
                    started = time.perf_counter()
                    # Issue 17's model floor: LightGBM's own pred_contrib + predict on the row.
                    model_bundle.booster.predict(rows[i : i + 1], pred_contrib=True, num_threads=1)
                    model_bundle.booster.predict(rows[i : i + 1], num_threads=1)
                    bare.append((time.perf_counter() - started) * 1000)

    requests = 2 * args.clients
    model = (sum(timings["score"]) + sum(timings["explanation"])) / requests
    engine = "sqlite" if args.sqlite else "postgresql"
    print(f"request path, {args.clients} clients x (score + explanation), {engine}, nothing cached:")
    bare_mean = sum(bare) / len(bare)
    print(f"  bare booster pred_contrib + predict on one row (1 thread) {bare_mean:6.2f} ms")
    print(f"  baseline: model work (score or explanation, incl. cache)   {model:6.2f} ms per request"
          f"   ratio to the bare booster {model / bare_mean:5.2f}")
    print(f"  whole request (TestClient, in process)                    {elapsed / requests:6.2f} ms"
          f"   ratio {elapsed / requests / model:5.2f}")
    for label in STEPS:
        mean = sum(timings[label]) / max(1, len(timings[label]))
        print(f"  {label:<56}{mean:6.2f} ms   ratio {mean / model:5.2f}")
    command = "bench/bench_request_path.py" + (" --sqlite" if args.sqlite else "")
    print(f"\nrerun: .venv/bin/python {command}")


if __name__ == "__main__":
    main()
