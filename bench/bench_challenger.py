"""What a challenger costs each scoring request: champion-only vs champion + challenger.

Set-up: synthetic data, two quick bundles (the challenger on a different feature list), both in
a scratch registry, a scratch database (PostgreSQL by default, ``--sqlite``), applicants
imported, one advisor; the real app in process (TestClient). The champion is promoted, then
blocks of score requests on distinct, never-cached clients alternate between "no challenger"
(the baseline) and "challenger set" so drift on a shared machine hits both alike. Printed: the
baseline's mean and p50 per request, the same with the challenger and the ratio; the
challenger's own work per request (on its background thread, off the response path) and how
many requests it dropped.

    .venv/bin/python bench/bench_challenger.py [--clients 400] [--block 50] [--sqlite]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import import_csv, p50, scratch_database, settings_for, train_bundle
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.registry import service
from backend.registry.challenger import ChallengerMonitor
from backend.registry.store import ModelRegistry
from backend.users.service import create_user
from ml import synth
from ml.features import FEATURE_NAMES

PASSWORD = "Octroi-challenger-4471!"  # noqa: S105 - a throwaway benchmark account


def _train_challenger(data_dir: Path, out: Path) -> Path:
    from ml.train import train

    keep = [n for n in FEATURE_NAMES if not n.startswith("EXT_SOURCE_M") and n != "CODE_GENDER"]
    train(data_dir, out, folds=2, seed=2, cost_fn=10, cost_fp=1, params={"learning_rate": 0.1},
          max_rounds=150, early_stopping_rounds=20, shap_sample=1000, features=keep, logistic_baseline=False)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=400, help="score requests per arm")
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()

    work: list[tuple[float, int]] = []  # (ms, requests) per batch the challenger scored
    original = ChallengerMonitor._score

    @functools.wraps(original)
    def timed_score(self, batch):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original(self, batch)
        finally:
            work.append(((time.perf_counter() - started) * 1000, len(batch)))

    ChallengerMonitor._score = timed_score  # type: ignore[method-assign]

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = synth.write(tmp / "data", rows=max(6_000, args.clients * 2 * 7), seed=5)
        champion_dir = train_bundle(tmp / "data", tmp / "champion", rounds=150)
        challenger_dir = _train_challenger(tmp / "data", tmp / "challenger")
        registry = ModelRegistry(tmp / "registry")
        v1 = registry.add(champion_dir)[0].version
        v2 = registry.add(challenger_dir)[0].version
        with scratch_database(tmp, args.sqlite) as url:
            settings = settings_for(tmp, url, champion_dir, log_level="WARNING", registry_dir=tmp / "registry",
                                    rate_limit_scoring_per_minute=100_000, model_poll_seconds=0.2)
            import_csv(settings, paths["test"])
            ids = list(pd.read_csv(paths["test"], usecols=["SK_ID_CURR"])["SK_ID_CURR"])
            assert len(ids) >= 2 * args.clients + 10, "not enough applicants; lower --clients"
            app = create_app(settings)
            with app.state.sessionmaker() as db:
                create_user(db, app.state.password_hasher, username="bench-challenger", role="advisor",
                            password=PASSWORD, must_change_password=False)
                service.promote(db, registry, v1, "bench")
                db.commit()
            with TestClient(app) as client:
                follower = app.state.model_follower
                token = client.post("/api/v1/auth/token",
                                    data={"username": "bench-challenger", "password": PASSWORD}).json()
                headers = {"Authorization": f"Bearer {token['access_token']}"}

                def shadow(version: str | None) -> None:
                    with app.state.sessionmaker() as db:
                        service.shadow(db, registry, version, "bench")
                        db.commit()
                    follower.sync()

                for raw in ids[:10]:
                    client.get(f"/api/v1/clients/{raw}/score", headers=headers)
                pending = iter(ids[10:])
                arms: dict[str, list[float]] = {"champion only": [], "with challenger": []}
                while min(len(v) for v in arms.values()) < args.clients:
                    for arm, version in (("champion only", None), ("with challenger", v2)):
                        if (follower.challenger is None) != (version is None):
                            shadow(version)
                        follower.monitor.drain()
                        for _ in range(args.block):
                            raw = next(pending)
                            started = time.perf_counter()
                            response = client.get(f"/api/v1/clients/{raw}/score", headers=headers)
                            arms[arm].append((time.perf_counter() - started) * 1000)
                            assert response.status_code == 200 and response.json()["model_version"] == v1
                follower.monitor.drain()
                follower.sync()
                report = client.get("/api/v1/model/challenger", headers=headers)
                dropped = sum(row.dropped for row in _rows(app))

    base, shadowed = arms["champion only"], arms["with challenger"]
    engine = "sqlite" if args.sqlite else "postgresql"
    print(f"challenger cost, {len(base)} + {len(shadowed)} score requests on distinct uncached clients, {engine}:")
    print(f"  baseline: champion only           mean {statistics.mean(base):6.2f} ms   p50 {p50(base):6.2f} ms")
    print(f"  champion + challenger (shadow)    mean {statistics.mean(shadowed):6.2f} ms   p50 {p50(shadowed):6.2f} ms"
          f"   ratio mean {statistics.mean(shadowed) / statistics.mean(base):5.2f}  p50 {p50(shadowed) / p50(base):5.2f}")
    shadowed_requests = sum(n for _, n in work)
    if shadowed_requests:
        per_request = sum(ms for ms, _ in work) / shadowed_requests
        print(f"  challenger work per request (background thread, {len(work)} batches)  {per_request:6.2f} ms"
              f"   ratio to the baseline request {per_request / statistics.mean(base):5.2f}")
    print(f"  requests shadowed {shadowed_requests}, dropped (queue full) {dropped}; "
          f"/model/challenger as advisor -> {report.status_code} (COMEX and compliance only)")
    command = "bench/bench_challenger.py" + (" --sqlite" if args.sqlite else "")
    print(f"\nrerun: .venv/bin/python {command}")


def _rows(app):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from backend.registry.models import ChallengerDaily

    with app.state.sessionmaker() as db:
        return db.scalars(select(ChallengerDaily)).all()


if __name__ == "__main__":
    main()
