"""What a flood of bogus logins costs everyone else (issue 14): latency of an authenticated
request while 20 threads send wrong passwords, against the same request on a quiet server.

The real app under uvicorn on 127.0.0.1:8114, a scratch database (SQLite by default: there
every transaction holds the write lock, so hashing inside one stalled everybody), argon2id at
the production floor. Two flood runs: one with the per-source budget out of the way (it
isolates "argon2 outside any database lock"), one with the default budget (what a flood from
one address meets). The baseline is the quiet server, measured in the same run.

    .venv/bin/python bench/bench_login_flood.py [--threads 20] [--seconds 8] [--postgresql]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import uvicorn
from _common import scratch_database

from backend.app import create_app
from backend.settings import Settings
from backend.users.service import create_user

PORT = 8114
PASSWORD = "Octroi-inondation-4471!"  # noqa: S105 - a throwaway benchmark account
FLOOR = {"OCTROI_ARGON2_TIME_COST": "2", "OCTROI_ARGON2_MEMORY_KIB": "19456", "OCTROI_ARGON2_PARALLELISM": "1"}


def _hash_inside_the_lock(db, hasher, auth, username, password, *, now=None):
    """The login of the code before issue 14, reproduced for the comparison: the row (or the
    name's throttle row) is locked first and argon2 runs inside that transaction."""
    from sqlalchemy import select

    from backend.auth import service as s
    from backend.users.models import User

    now = now or s.utcnow()
    user = db.execute(select(User).where(User.username == username).with_for_update()).scalar_one_or_none()
    if user is None:
        throttle = s._throttle_for_unknown_name(db, username, now, auth)
        hasher.burn(password)
        s._check_not_locked(throttle, now, None)
        s._count_failure(throttle, auth, now)
        raise s.LoginFailed("unknown user")
    s._check_not_locked(user, now, user)
    matches, _ = hasher.verify(password, user.password_hash)
    if not matches:
        s._count_failure(user, auth, now)
        raise s.LoginFailed("wrong password", user)
    user.failed_attempts = 0
    return user


def _serve(settings: Settings) -> tuple[uvicorn.Server, threading.Thread]:
    app = create_app(settings)
    with app.state.sessionmaker() as db:
        create_user(db, app.state.password_hasher, username="bench-flood", role="comex",
                    password=PASSWORD, must_change_password=False)
        db.commit()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="error",
                                           access_log=False, proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def _latencies(base: str, token: str, seconds: float) -> list[float]:
    out = []
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            http.get("/api/v1/auth/me").raise_for_status()
            out.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
    return out


def _flood(base: str, stop: threading.Event, counts: dict[int, int]) -> None:
    with httpx.Client(base_url=base, timeout=60) as http:
        while not stop.is_set():
            name = "bench-flood" if uuid.uuid4().int % 2 else f"ghost-{uuid.uuid4().hex[:12]}"
            status = http.post("/api/v1/auth/token", data={"username": name, "password": "wrong-password-1"}).status_code
            counts[status] = counts.get(status, 0) + 1


def _run(url: str, tmp: Path, budget: int, threads: int, seconds: float) -> dict[str, object]:
    settings = Settings(env="development", var_dir=tmp / "var", database_url=url,
                        rate_limit_login_failures_per_minute=budget, log_level="ERROR").ensure_secrets()
    server, thread = _serve(settings)
    base = f"http://127.0.0.1:{PORT}"
    try:
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "bench-flood", "password": PASSWORD},
                           timeout=60).json()["access_token"]
        quiet = _latencies(base, token, seconds)
        stop, counts = threading.Event(), {}
        flooders = [threading.Thread(target=_flood, args=(base, stop, counts)) for _ in range(threads)]
        for flooder in flooders:
            flooder.start()
        time.sleep(0.5)
        flooded = _latencies(base, token, seconds)
        stop.set()
        for flooder in flooders:
            flooder.join()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return {"quiet": quiet, "flooded": flooded, "counts": counts}


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    os.environ.update(FLOOR)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        engine = "PostgreSQL" if args.postgresql else "SQLite"
        print(f"{engine}, argon2id 2 passes / 19 MiB, {args.threads} threads of wrong passwords")
        print(f"{'run':44} {'median ms':>10} {'p95 ms':>8} {'ratio':>7}  login answers")
        import backend.auth.routes as auth_routes

        current = auth_routes.authenticate_password
        for label, budget, login in (
            ("before: argon2 inside the lock, no budget", 100_000, _hash_inside_the_lock),
            ("after: argon2 outside locks, no budget", 100_000, current),
            ("after: default per-source budget (30/min)", 30, current),
        ):
            auth_routes.authenticate_password = login
            run_dir = tmp / f"run-{uuid.uuid4().hex[:8]}"
            run_dir.mkdir()
            with scratch_database(run_dir, not args.postgresql) as url:
                result = _run(url, run_dir, budget, args.threads, args.seconds)
            quiet, flooded = result["quiet"], result["flooded"]
            base_median = statistics.median(quiet)
            print(f"{'  quiet server (baseline)':44} {base_median:10.1f} {_p(quiet, 95):8.1f} {1.0:7.2f}")
            print(f"{'  ' + label:44} {statistics.median(flooded):10.1f} {_p(flooded, 95):8.1f} "
                  f"{statistics.median(flooded) / base_median:7.2f}  {dict(sorted(result['counts'].items()))}")
    print("rerun: .venv/bin/python bench/bench_login_flood.py [--postgresql]")


if __name__ == "__main__":
    main()
