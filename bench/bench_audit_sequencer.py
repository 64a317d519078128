"""What the audit sequencer costs a request: CPU per request and p50 with the sequencer thread
running against the same process with it stopped, in alternating blocks of one run.

In process (the ASGI app called directly, no HTTP), one client sends
``GET /api/v1/clients/{id}/explanation`` with a valid advisor token, one request at a time,
distinct clients. Blocks of ``--block`` requests alternate between ``seq`` (a sequencer
thread running, woken by every commit, as in the API) and ``noseq`` (no sequencer: events
stay pending); between blocks, outside the timing, every committed event is chained, so each
block starts from the same state. Prints the median CPU per request of each mode's blocks,
the p50 of each mode's requests, the differences, and how many events the sequencer chained
in how many batches (docs/decisions/0021-audit-sequencer-pacing.md).

    PYTHONPATH=. .venv/bin/python bench/bench_audit_sequencer.py          # SQLite
    PYTHONPATH=. .venv/bin/python bench/bench_audit_sequencer.py --pg     # PostgreSQL

Aim (issue 17 lane audit): the sequencer within +1 ms of CPU per request and of p50.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.audit.sequencer import Sequencer  # noqa: E402
from backend.audit.service import WAKE_INFO_KEY, chain_committed  # noqa: E402
from backend.users.service import create_user  # noqa: E402
from bench._common import import_csv, scratch_database, settings_for, train_bundle  # noqa: E402
from ml import synth  # noqa: E402

PASSWORD = "Quiet-harbour-lantern-73!"  # noqa: S105 - a scratch database's bench user


def _p50(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="scratch PostgreSQL database (default SQLite)")
    parser.add_argument("--block", type=int, default=50, help="requests per block")
    parser.add_argument("--rounds", type=int, default=8, help="blocks per mode")
    args = parser.parse_args()
    engine = "PostgreSQL" if args.pg else "SQLite"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = synth.write(tmp / "data", rows=6000, seed=5)
        bundle_dir = train_bundle(tmp / "data", tmp / "model", rounds=150)
        with scratch_database(tmp, not args.pg) as url:
            settings = settings_for(tmp, url, bundle_dir, log_level="WARNING",
                                    rate_limit_scoring_per_minute=100_000)
            import_csv(settings, paths["test"])
            ids = list(pd.read_csv(paths["test"], usecols=["SK_ID_CURR"])["SK_ID_CURR"])
            app = create_app(settings)
            with TestClient(app) as client:
                with app.state.sessionmaker() as db:
                    create_user(db, app.state.password_hasher, username="bench", role="advisor",
                                password=PASSWORD, must_change_password=False)
                    db.commit()
                token = client.post("/api/v1/auth/token", data={"username": "bench", "password": PASSWORD}).json()
                headers = [(b"authorization", f"Bearer {token['access_token']}".encode()), (b"host", b"x")]
                _run(app, headers, ids, args, engine)


def _run(app, headers, ids, args, engine: str) -> None:  # noqa: ANN001
    async def call(client_id: int) -> int:
        path = f"/api/v1/clients/{client_id}/explanation"
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"top=10&lang=fr",
                 "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 80), "state": {}}
        status = {}

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]

        await app(scope, receive, send)
        return status["code"]

    async def block(client_ids: list[int]) -> list[float]:
        times = []
        for client_id in client_ids:
            start = time.perf_counter()
            assert await call(client_id) == 200
            times.append((time.perf_counter() - start) * 1000)
        return times

    factory = app.state.sessionmaker
    seq_engine = app.state.audit_sequencer._engine
    current = [app.state.audit_sequencer]

    def set_mode(mode: str) -> None:
        current[0].stop()
        chain_committed(factory)
        if mode == "seq":
            sequencer = Sequencer(seq_engine, factory.kw["info"])
            factory.configure(info=factory.kw["info"] | {WAKE_INFO_KEY: sequencer.notify})
            sequencer.start()
            current[0] = sequencer

    loop = asyncio.new_event_loop()
    loop.run_until_complete(block(ids[:20]))  # warm-up
    cpu: dict[str, list[float]] = {"seq": [], "noseq": []}
    latency: dict[str, list[float]] = {"seq": [], "noseq": []}
    chained = batches = 0
    offset = 20
    for round_ in range(args.rounds):
        for mode in ("seq", "noseq") if round_ % 2 == 0 else ("noseq", "seq"):
            set_mode(mode)
            if offset + args.block > len(ids):
                offset = 20
            client_ids = ids[offset:offset + args.block]
            offset += args.block
            c0 = time.process_time()
            latency[mode] += loop.run_until_complete(block(client_ids))
            cpu[mode].append((time.process_time() - c0) / args.block * 1000)
            if mode == "seq":
                current[0].stop()  # its last paced batch is chained outside the timing
                chained += current[0].chained
                batches += current[0].batches
    current[0].stop()
    loop.close()
    print(f"audit sequencer cost on {engine}: in process, one client, {args.rounds} alternating blocks "
          f"of {args.block} GET /clients/{{id}}/explanation per mode")
    for mode in ("seq", "noseq"):
        print(f"  {mode:5s}  CPU/request {statistics.median(cpu[mode]):6.2f} ms (median of blocks)"
              f"  p50 {_p50(latency[mode]):6.2f} ms  p95 {statistics.quantiles(latency[mode], n=20)[-1]:6.2f} ms")
    print(f"  sequencer - stopped: CPU/request {statistics.median(cpu['seq']) - statistics.median(cpu['noseq']):+.2f} ms,"
          f" p50 {_p50(latency['seq']) - _p50(latency['noseq']):+.2f} ms (aim: within +1 ms)")
    print(f"  the sequencer chained {chained} events in {batches} batches during the timed blocks"
          f" ({chained / max(batches, 1):.1f} per batch)")
    print(f"rerun: PYTHONPATH=. .venv/bin/python bench/bench_audit_sequencer.py{' --pg' if engine == 'PostgreSQL' else ''}")


if __name__ == "__main__":
    main()
