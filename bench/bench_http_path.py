"""The secured request path over HTTP against its physical floor, per engine (one run, ratios).

For each engine (SQLite file, then a scratch PostgreSQL database): synthetic data, a quick
bundle (~150 trees), the applicants imported, one advisor. In the same run:

- physical floor = model floor + audit floor. Model floor: LightGBM's own ``pred_contrib``
  + ``predict`` on one prebuilt row, the better of default threads and one thread (median
  over the clients). Audit floor: one audited append + commit on the same engine through
  ``commit_audited`` (lock, read the head, insert, commit; median);
- latency: ``octroi serve api --workers 2`` on a free port, one keep-alive client, a valid
  advisor token, ``GET /clients/{id}/explanation`` (authenticated, permission, rate limit,
  pseudonymize, load, score + SHAP, audit event committed) on distinct clients, nothing
  cached: p50 and p95, and the p50's ratio to the floor (aim <= 2.0x);
- throughput: 8 concurrent clients (threads, each its own token and connection) on the same
  2 workers for ``--seconds``, every request a different (client, top, lang) so nothing is
  served from the cache; share of compute capacity = throughput / (2 cores / model floor)
  (aim >= 25 %); and where the 2 cores went meanwhile, in CPU ms per request: the API
  workers' event loops (main threads), their other threads (request threads, the audit
  sequencer, background threads), the load generator (this process), and the share of the
  cores left idle (waiting: SQLite's write lock, hand-offs); and each request's time under that
  load: p50, p99 and the longest (a pause of the whole process, such as a full pass of the
  garbage collector, shows there); this process's own collector is off while it measures;

- the bare transport: the same uvicorn, workers, client and load answering a stored explanation
  with no work at all (``transport_app.py``): what any Python API on this server pays per
  request, printed beside the secured path so the part above it is visible.

The abuse limits are raised for the run (scoring per minute); each client logs in once. The API
runs with the product's default ``OCTROI_REQUEST_THREADS`` unless ``--request-threads`` says
otherwise (40 is FastAPI's shared pool, what guarded requests ran on before issue 17's pool; 0
runs them on the event loop itself).

    .venv/bin/python bench/bench_http_path.py [--engines sqlite,postgresql] [--clients 300] [--seconds 10]
        [--request-threads N]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from _common import (
    free_port,
    import_csv,
    load_generator_collector_off,
    p50,
    pct,
    scratch_database,
    settings_for,
    start_api,
    stop_api,
    wait_until_idle,
)

from backend.app import create_app
from backend.audit.service import commit_audited
from backend.clients.service import find_client, keyring
from backend.settings import Settings
from backend.users.service import create_user
from ml import synth
from ml.bundle import ModelBundle
from ml.data import load_applications
from ml.schema import ID_COLUMN

PASSWORD = "Quiet-harbour-lantern-73!"  # noqa: S105 - a throwaway benchmark account
USERNAME = "bench-http"
CONCURRENCY = 8
WORKERS = 2
CORES = 2


class Client:
    """A keep-alive HTTP/1.1 connection with its own bearer token (http.client: the lightest
    Python client, so the load generator takes as little of the 2 cores as possible)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if token is not None:  # no login (the bare transport): the same header, not checked
            self.headers = {"Authorization": f"Bearer {token}"}
            return
        body = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD})
        self.conn.request("POST", "/api/v1/auth/token", body=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = self.conn.getresponse()
        payload = response.read()
        assert response.status == 200, payload
        self.headers = {"Authorization": f"Bearer {json.loads(payload)['access_token']}"}

    def get(self, path: str) -> int:
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self.conn.close()


def model_floor(bundle: ModelBundle, rows: np.ndarray) -> tuple[float, int | None]:
    """Median ms of pred_contrib + predict on one row, better of default threads and 1 thread."""
    best: tuple[float, int | None] = (float("inf"), None)
    for threads in (None, 1):
        kwargs = {} if threads is None else {"num_threads": threads}
        for i in range(min(20, len(rows))):  # warm-up
            bundle.booster.predict(rows[i : i + 1], pred_contrib=True, **kwargs)
        times = []
        for i in range(len(rows)):
            x = rows[i : i + 1]
            started = time.perf_counter()
            bundle.booster.predict(x, pred_contrib=True, **kwargs)
            bundle.booster.predict(x, **kwargs)
            times.append((time.perf_counter() - started) * 1000)
        best = min(best, (p50(times), threads), key=lambda t: t[0])
    return best


def audit_floor(app, repeat: int) -> float:
    """Median ms of one audited append + commit on the app's engine."""
    times = []
    for i in range(repeat):
        with app.state.sessionmaker() as db:
            started = time.perf_counter()
            commit_audited(db, None, None, action="bench.floor", actor="bench", role="operator",
                           details={"i": i})
            times.append((time.perf_counter() - started) * 1000)
    return p50(times[5:])


def one_explanation(port: int, raw: int) -> tuple[bytes, str]:
    """One explanation answer's bytes, and the token that asked for it."""
    client = Client(port)
    try:
        client.conn.request("GET", f"/api/v1/clients/{raw}/explanation?top=10&lang=fr", headers=client.headers)
        body = client.conn.getresponse().read()
    finally:
        client.close()
    return body, client.headers["Authorization"].removeprefix("Bearer ")


def encoding_ms(port: int, raw: int) -> float:
    """Median ms FastAPI spends on one explanation answer's encoding: validating the returned
    model against the response model, then pydantic-core's ``dump_json`` (its fast path)."""
    from pydantic import TypeAdapter

    from backend.clients.schemas import Explanation

    answer = Explanation.model_validate_json(one_explanation(port, raw)[0])
    adapter = TypeAdapter(Explanation)
    times = []
    for _ in range(200):
        started = time.perf_counter()
        adapter.dump_json(adapter.validate_python(answer))
        times.append((time.perf_counter() - started) * 1000)
    return p50(times)


def latency(port: int, ids: list[int], token: str | None = None) -> list[float]:
    client = Client(port, token)
    try:
        client.get(f"/api/v1/clients/{ids[-1]}/explanation")  # warm the connection and code paths
        out = []
        with load_generator_collector_off():
            for raw in ids[:-1]:
                started = time.perf_counter()
                status = client.get(f"/api/v1/clients/{raw}/explanation?top=10&lang=fr")
                out.append((time.perf_counter() - started) * 1000)
                assert status == 200, status
        return out
    finally:
        client.close()


def cpu_snapshot(server_pid: int | None) -> dict[str, float]:
    """CPU seconds so far: the API workers' main threads (their event loops), their other threads
    (request threads, the sequencer and the other background threads), the supervisor, this
    process (the load generator), and the machine's idle time (all cores)."""
    out = {"loops": 0.0, "threads": 0.0, "supervisor": 0.0, "idle": psutil.cpu_times().idle}
    me = psutil.Process().cpu_times()
    out["client"] = me.user + me.system
    if server_pid is None:
        return out
    supervisor = psutil.Process(server_pid)
    for process in [supervisor, *supervisor.children(recursive=True)]:
        try:
            if process.pid == server_pid:
                times = process.cpu_times()
                out["supervisor"] += times.user + times.system
                continue
            for thread in process.threads():
                out["loops" if thread.id == process.pid else "threads"] += thread.user_time + thread.system_time
        except psutil.NoSuchProcess:
            continue
    return out


def throughput(port: int, ids: list[int], seconds: float, token: str | None = None,
               server_pid: int | None = None) -> tuple[float, int, int, dict[str, float], list[float]]:
    """(requests/s, requests, non-200 answers, CPU ms per request by ``cpu_snapshot``'s parts
    and the machine's idle share, each request's time in ms) with CONCURRENCY clients; their
    logins are not counted."""
    # Every request a different (client, top, lang): nothing comes from the result cache (with
    # the default --clients; the bare transport, much faster, may go round the list again).
    combos = [(raw, top, lang) for top in range(1, 51) for lang in ("fr", "en") for raw in ids]
    random.Random(3).shuffle(combos)
    feed = itertools.cycle(combos)
    lock = threading.Lock()
    clients = [Client(port, token) for _ in range(CONCURRENCY)]
    counts = [0] * CONCURRENCY
    errors = [0] * CONCURRENCY
    times: list[list[float]] = [[] for _ in range(CONCURRENCY)]
    start = threading.Barrier(CONCURRENCY + 1)
    stop_at = [0.0]

    def worker(n: int) -> None:
        start.wait()
        while time.monotonic() < stop_at[0]:
            with lock:
                raw, top, lang = next(feed)
            started = time.perf_counter()
            status = clients[n].get(f"/api/v1/clients/{raw}/explanation?top={top}&lang={lang}")
            times[n].append((time.perf_counter() - started) * 1000)
            counts[n] += 1
            errors[n] += status != 200

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    with load_generator_collector_off():
        before = cpu_snapshot(server_pid)
        stop_at[0] = time.monotonic() + seconds
        started = time.monotonic()
        start.wait()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    after = cpu_snapshot(server_pid)
    for client in clients:
        client.close()
    done = sum(counts)
    cpu = {part: (after[part] - before[part]) * 1000 / max(done, 1) for part in ("loops", "threads", "supervisor", "client")}
    cpu["idle_share"] = (after["idle"] - before["idle"]) / (elapsed * CORES)
    return done / elapsed, done, sum(errors), cpu, [t for per_client in times for t in per_client]


def transport_floor(tmp: Path, port: int, raw: int, ids: list[int], seconds: float) -> dict[str, float]:
    """p50 and 8-client throughput of the bare transport (``transport_app.py``: the same
    uvicorn, workers and client, answering a stored explanation's bytes without any work)."""
    body, token = one_explanation(port, raw)
    (tmp / "body.json").write_bytes(body)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env["OCTROI_BENCH_BODY"] = str(tmp / "body.json")
    process, free = _serve_bench_app("transport_app:app", env)
    try:
        lat = latency(free, ids, token)
        rps, *_ = throughput(free, ids, seconds, token)
    finally:
        stop_api(process)
    return {"p50": p50(lat), "rps": rps}


def unsecured_reference(tmp: Path, bundle_dir: Path, bundle: ModelBundle, ids: list[int], rows: np.ndarray,
                        args: argparse.Namespace) -> dict[str, float]:
    """p50 and 8-client throughput of the unsecured reference (``unsecured_app.py``: FastAPI,
    rows in memory, one ``shap.TreeExplainer``, no security, no database) on the same uvicorn,
    workers, client, clients and load."""
    np.savez(tmp / "rows.npz", ids=np.asarray(ids), rows=rows, names=np.asarray(bundle.feature_names),
             threshold=np.float64(bundle.threshold))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({"OCTROI_BENCH_ROWS": str(tmp / "rows.npz"), "OCTROI_BENCH_MODEL": str(bundle_dir / "model.txt")})
    process, port = _serve_bench_app("unsecured_app:app", env)
    try:
        lat = latency(port, ids[: args.clients + 1], "unused")  # the clients of the secured runs
        rps, done, errors, *_ = throughput(port, ids[args.clients + 1 :] or ids, args.seconds, "unused")
        assert errors == 0, f"{errors} of {done} requests failed on the unsecured reference"
    finally:
        stop_api(process)
    return {"p50": p50(lat), "p95": pct(lat, 95), "rps": rps}


def _serve_bench_app(target: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """uvicorn with WORKERS processes on one of this folder's apps, once it answers and every
    worker has finished starting."""
    free = free_port()
    process = subprocess.Popen(  # noqa: S603 - uvicorn on the bench's own app
        [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), target,
         "--host", "127.0.0.1", "--port", str(free), "--workers", str(WORKERS), "--no-access-log",
         "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            http.client.HTTPConnection("127.0.0.1", free, timeout=2).request("GET", "/")
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                stop_api(process)
                raise RuntimeError(f"{target} did not start") from None
            time.sleep(0.2)
    wait_until_idle(process.pid, deadline)
    return process, free


def run_engine(engine: str, tmp: Path, paths: dict[str, Path], bundle_dir: Path, bundle: ModelBundle,
               args: argparse.Namespace) -> dict[str, float]:
    with scratch_database(tmp / engine, engine == "sqlite") as url:
        settings = settings_for(tmp / engine, url, bundle_dir, log_level="WARNING")
        import_csv(settings, paths["test"])
        ids = [int(v) for v in pd.read_csv(paths["test"], usecols=[ID_COLUMN])[ID_COLUMN]]
        random.Random(1).shuffle(ids)
        app = create_app(settings)
        ring = keyring(settings)
        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username=USERNAME, role="advisor",
                        password=PASSWORD, must_change_password=False)
            db.commit()
            features = [dict(find_client(db, ring, raw).features) for raw in ids[: args.clients]]
        rows = np.vstack([bundle._row(f) for f in features])
        floor_model, threads = model_floor(bundle, rows)
        floor_audit = audit_floor(app, 105)

        env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
        env.update({"OCTROI_DATABASE_URL": url, "OCTROI_MODEL_DIR": str(bundle_dir),
                    "OCTROI_VAR_DIR": str(settings.var_dir), "OCTROI_LOG_LEVEL": "WARNING",
                    # The per-user abuse limit (60/min) would stop a benchmark; it is still
                    # counted on every request.
                    "OCTROI_RATE_LIMIT_SCORING_PER_MINUTE": "100000",
                    "OCTROI_RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE": "100000"})
        if args.request_threads is not None:
            env["OCTROI_REQUEST_THREADS"] = str(args.request_threads)
        process, port = start_api(env, WORKERS)
        try:
            lat = latency(port, ids[: args.clients + 1])
            encoding = encoding_ms(port, ids[0])
            rps, done, errors, cpu, loaded = throughput(port, ids[args.clients + 1 :] or ids, args.seconds,
                                                server_pid=process.pid)
            transport = transport_floor(tmp / engine, port, ids[0], ids[: args.clients + 1], args.seconds)
        finally:
            stop_api(process)
    floor = floor_model + floor_audit
    capacity = CORES / (floor_model / 1000)
    return {"floor_model": floor_model, "threads": threads or 0, "floor_audit": floor_audit, "floor": floor,
            "p50": p50(lat), "p95": pct(lat, 95), "ratio": p50(lat) / floor, "rps": rps, "requests": done,
            "errors": errors, "capacity": capacity, "share": rps / capacity, "encoding": encoding,
            "transport_p50": transport["p50"], "transport_rps": transport["rps"], "cpu": cpu,
            "loaded_p50": p50(loaded), "loaded_p99": pct(loaded, 99), "loaded_max": max(loaded)}


def _train(data_dir: Path, out: Path) -> Path:
    """A bundle of ~150 trees (the size the issue measured), quickly: no early stop, small
    bootstrap and SHAP sample."""
    from ml.train import train

    train(data_dir, out, folds=2, seed=1, cost_fn=10, cost_fp=1, params={"learning_rate": 0.03},
          max_rounds=150, early_stopping_rounds=150, shap_sample=500, threshold_bootstrap=20,
          logistic_baseline=False)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--clients", type=int, default=300, help="distinct clients in the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the throughput run")
    parser.add_argument("--request-threads", type=int, default=None,
                        help="OCTROI_REQUEST_THREADS of the API (default: the product's default; 0: on the event loop)")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    command = "bench/bench_http_path.py" + (f" --engines {args.engines}" if args.engines != "sqlite,postgresql"
                                             else "") + (f" --clients {args.clients}" if args.clients != 300
                                                         else "") + (f" --seconds {args.seconds:g}"
                                                                     if args.seconds != 10 else "") + (
        f" --request-threads {args.request_threads}" if args.request_threads is not None else "")
    results = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = synth.write(tmp / "data", rows=12_000, seed=5)
        bundle_dir = _train(tmp / "data", tmp / "model")
        bundle = ModelBundle.load(bundle_dir)
        for engine in engines:
            results[engine] = run_engine(engine, tmp, paths, bundle_dir, bundle, args)
        applicants = load_applications(paths["test"])
        ids = [int(v) for v in applicants[ID_COLUMN]]
        order = list(range(len(ids)))
        random.Random(1).shuffle(order)  # the secured runs' order: the same clients in the latency run
        reference = unsecured_reference(tmp, bundle_dir, bundle, [ids[i] for i in order],
                                        bundle._matrix(applicants)[order], args)

    trees = bundle.booster.num_trees()
    threads = Settings.model_fields["request_threads"].default if args.request_threads is None else args.request_threads
    where = f"{threads} request threads" if threads else "no request thread (on the event loop)"
    print(f"GET /clients/{{id}}/explanation over HTTP, {WORKERS} workers x {where}, {trees}-tree "
          f"model on {len(bundle.feature_names)} features, nothing cached:")
    print(f"{'engine':<11}{'model':>8}{'audit':>8}{'floor':>8}{'p50':>9}{'p95':>9}{'ratio':>8}"
          f"{'8 clients':>12}{'capacity':>11}{'share':>8}")
    for engine, r in results.items():
        print(f"{engine:<11}{r['floor_model']:7.2f} {r['floor_audit']:7.2f} {r['floor']:7.2f} "
              f"{r['p50']:8.2f} {r['p95']:8.2f} {r['ratio']:6.1f}x {r['rps']:8.0f}/s {r['capacity']:8.0f}/s "
              f"{100 * r['share']:6.1f}%")
    print("(times in ms; model = pred_contrib + predict on one row, best of default and one thread;"
          " audit = one audited append + commit;")
    print(" aims: ratio <= 2.0x, share of capacity (2 cores / model floor) >= 25 %)")
    for engine, r in results.items():
        print(f"  {engine}: model floor with {'one thread' if r['threads'] else 'default threads'}, "
              f"{r['requests']:.0f} requests in the throughput run, {r['errors']:.0f} errors; response "
              f"encoding (validate + dump_json) {r['encoding']:.3f} ms = {100 * r['encoding'] / r['p50']:.1f} % of p50")
    print("where the 2 cores went in the 8-client run (CPU ms per request; event loops = the workers' main"
          " threads; other threads = request threads + sequencer + background):")
    for engine, r in results.items():
        c = r["cpu"]
        server = c["loops"] + c["threads"] + c["supervisor"]
        print(f"  {engine}: API {server:.2f} (event loops {c['loops']:.2f}, other threads {c['threads']:.2f}), load "
              f"generator {c['client']:.2f}, cores idle {100 * c['idle_share']:.0f} %"
              + ("" if engine == "sqlite" else " (the database server's processes: the rest)"))
    print("each request's time in the 8-client run (queueing included; the longest shows pauses such as the"
          " garbage collector's):")
    for engine, r in results.items():
        print(f"  {engine}: p50 {r['loaded_p50']:.2f} ms, p99 {r['loaded_p99']:.2f} ms, longest {r['loaded_max']:.1f} ms")
    print("the bare transport (same uvicorn, workers and client; a fixed answer, no work: transport_app.py):")
    for engine, r in results.items():
        beyond = r["p50"] - r["transport_p50"]
        print(f"  {engine}: p50 {r['transport_p50']:.2f} ms, 8 clients {r['transport_rps']:.0f}/s; the secured "
              f"path above it: {beyond:.2f} ms = {beyond / r['floor']:.1f}x the floor; (floor + transport) "
              f"{r['floor'] + r['transport_p50']:.2f} ms -> ratio {r['p50'] / (r['floor'] + r['transport_p50']):.1f}x")
    print("the unsecured reference (unsecured_app.py: FastAPI, rows in memory, one shap.TreeExplainer, predict +"
          " shap_values; no authentication, rate limit, database or audit; same uvicorn, workers, client and clients):")
    print(f"  p50 {reference['p50']:.2f} ms, p95 {reference['p95']:.2f} ms, 8 clients {reference['rps']:.0f}/s")
    for engine, r in results.items():
        print(f"  secured on {engine}: p50 {r['p50'] / reference['p50']:.2f}x the reference's, 8 clients "
              f"{r['rps'] / reference['rps']:.2f}x its throughput")
    # The aims measured on the reference itself: what an API with no security at all reaches
    # against the same floors and capacity (its own floor has no audit: the model floor alone).
    for engine, r in results.items():
        print(f"  the reference against the {engine} aims: p50 {reference['p50'] / r['floor']:.1f}x the {engine} floor "
              f"({reference['p50'] / r['floor_model']:.1f}x the model floor alone), "
              f"{100 * reference['rps'] / r['capacity']:.1f} % of capacity")
    print(f"\nrerun: .venv/bin/python {command}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
