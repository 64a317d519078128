"""What the COMEX monitoring routes cost as published results pile up.

The drift report lists up to 50 earlier published reports (its history), each with its score's
PSI served as it was when that report was the latest; the portfolio summary compares with the
previous comparable run. A bank that runs its jobs every day after its imports reaches that
history in under two months.

Set-up: a scratch database, a quick bundle, the test applicants imported, the portfolio, drift and
backtest jobs run once on a local Dask cluster (two worker processes). Then ``--points - 1``
further published results of each kind are stored, copies of the first on other populations
(another population revision each, a day apart: what a daily job over a changing population
leaves). Timed in the same run, in process through the ASGI app (a COMEX token, nothing cached):
each route with one published result of each kind (the baseline), then with ``--points``;
printed: both p50s and their ratio (1.0x: the history costs nothing more).

    .venv/bin/python bench/bench_monitoring_history.py [--points 50] [--repeat 30] [--sqlite]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import timedelta
from pathlib import Path

from _common import import_csv, p50, scratch_database, settings_for, timed, train_bundle
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.jobs.cluster import dask_client
from backend.jobs.service import run_job
from backend.monitoring.models import MonitoringAggregate
from backend.users.service import create_user
from ml import synth

PASSWORD = "Octroi-histoire-5813!"  # noqa: S105 - a throwaway benchmark account
ROUTES = ("/api/v1/monitoring/drift", "/api/v1/portfolio/summary", "/api/v1/monitoring/backtest")
KINDS = ("portfolio", "drift", "backtest")


def add_history(app: object, points: int) -> None:
    """``points - 1`` copies of each kind's published result, a day earlier each, on other
    populations (the digests and cells kept: as the job stores them)."""
    with app.state.sessionmaker() as db:  # type: ignore[attr-defined]
        for kind in KINDS:
            first = db.scalars(select(MonitoringAggregate).where(MonitoringAggregate.kind == kind)).one()
            for day in range(1, points):
                db.add(MonitoringAggregate(
                    kind=kind, model_version=first.model_version, population_revision=f"earlier-{day}",
                    computed_at=first.computed_at - timedelta(days=day), duration_seconds=first.duration_seconds,
                    payload=first.payload, published=True, changed_people=10 + day, members=first.members,
                    member_cells=first.member_cells, population_digest=f"earlier-{day}", point=first.point,
                ))
        db.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = synth.write(tmp / "data", rows=6_000, seed=5)
        bundle_dir = train_bundle(tmp / "data", tmp / "model", rounds=150)
        with scratch_database(tmp, args.sqlite) as url:
            settings = settings_for(tmp, url, bundle_dir, log_level="WARNING")
            import_csv(settings, paths["test"])
            app = create_app(settings)
            with app.state.sessionmaker() as db:
                create_user(db, app.state.password_hasher, username="bench-comex", role="comex",
                            password=PASSWORD, must_change_password=False)
                db.commit()
            with dask_client(None, workers=2) as cluster:
                for kind in KINDS:
                    run_job(kind, settings, client=cluster, partitions=2)
            with TestClient(app) as client:
                token = client.post("/api/v1/auth/token",
                                    data={"username": "bench-comex", "password": PASSWORD}).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}

                def get(route: str) -> None:
                    response = client.get(route, headers=headers)
                    assert response.status_code == 200, response.text

                def measure() -> dict[str, float]:
                    for route in ROUTES:
                        get(route)  # warm
                    return {route: p50(timed(lambda r=route: get(r), args.repeat)) for route in ROUTES}

                baseline = measure()
                add_history(app, args.points)
                history = len(client.get(ROUTES[0], headers=headers).json()["history"])
                figure = measure()
    engine = "sqlite" if args.sqlite else "postgresql"
    print(f"COMEX monitoring routes, {engine}, in process, p50 of {args.repeat} requests (ms): one published "
          f"result of each kind (baseline) against {args.points} (the drift history lists {history})")
    print(f"  {'route':<32}{'baseline':>10}{'history':>10}{'ratio':>8}")
    for route in ROUTES:
        print(f"  {route:<32}{baseline[route]:10.2f}{figure[route]:10.2f}{figure[route] / baseline[route]:7.2f}x")
    command = "bench/bench_monitoring_history.py" + (" --sqlite" if args.sqlite else "")
    print(f"\nrerun: .venv/bin/python {command}")


if __name__ == "__main__":
    main()
