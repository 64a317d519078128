"""Shared set-up for the scoring and portfolio benchmarks: a scratch database, a bundle, clients.

A fresh PostgreSQL database (``OCTROI_BENCH_PG_URL``, default the local server the tests use)
is created and dropped around each run; ``--sqlite`` uses a file instead.
"""

from __future__ import annotations

import contextlib
import gc
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from backend import migrations
from backend.clients.service import import_clients, keyring, read_import_file
from backend.db import make_engine, make_sessionmaker, session_scope
from backend.settings import Settings

PG_URL = os.environ.get("OCTROI_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def scratch_database(tmp: Path, use_sqlite: bool) -> Iterator[str]:
    if use_sqlite:
        url = f"sqlite:///{tmp / 'bench.db'}"
        migrations.upgrade(url)
        yield url
        return
    name = f"octroi_bench_{uuid.uuid4().hex[:10]}"
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def settings_for(tmp: Path, url: str, model_dir: Path, **extra: object) -> Settings:
    return Settings(env="development", var_dir=tmp / "var", database_url=url, model_dir=model_dir,
                    **extra).ensure_secrets()  # type: ignore[arg-type]


def train_bundle(data_dir: Path, out: Path, rounds: int = 150) -> Path:
    from ml.train import train

    train(data_dir, out, folds=2, seed=1, cost_fn=10, cost_fp=1,
          params={"learning_rate": 0.1}, max_rounds=rounds, early_stopping_rounds=20, shap_sample=1000)
    return out


def import_csv(settings: Settings, path: Path) -> dict[str, float]:
    """Import through the same functions as ``octroi clients import``; returns timings."""
    started = time.perf_counter()
    frame = read_import_file(path)
    validated = time.perf_counter()
    engine = make_engine(settings.effective_database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            import_clients(db, keyring(settings), frame)
    finally:
        engine.dispose()
    done = time.perf_counter()
    return {"read_validate_s": validated - started, "insert_commit_s": done - validated, "total_s": done - started,
            "rows": float(len(frame))}


@contextlib.contextmanager
def load_generator_collector_off() -> Iterator[None]:
    """This process's cyclic garbage collector off while it measures a server (as ``timeit``
    does): it holds the data and a model, and a full pass here (40-80 ms seen) would stall
    every client thread and be counted as the server's time."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock milliseconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(env: dict[str, str], workers: int, ready_seconds: float = 120) -> tuple[subprocess.Popen[bytes], int]:
    """``octroi serve api`` on a free port with ``workers`` processes, once ``/readyz`` answers 200
    and every worker has finished starting."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "backend.cli", "serve", "api", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + ready_seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            ready = conn.getresponse().status == 200
            conn.close()
            if ready:
                wait_until_idle(process.pid, deadline)
                return process, port
        except OSError:
            pass
        time.sleep(0.3)
    stop_api(process)
    raise RuntimeError("the API did not become ready")


def wait_until_idle(pid: int, deadline: float, window: float = 0.5, busy: float = 0.05) -> None:
    """Until the server's processes spend less than ``busy`` CPU seconds in ``window`` (or the
    deadline): ``/readyz`` answers as soon as one worker has started, and another still loading
    its model would otherwise take none of the first connections and pause the first requests."""
    import psutil

    def cpu() -> float:
        total = 0.0
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    before = cpu()
    while time.monotonic() < deadline:
        time.sleep(window)
        now = cpu()
        if now - before < busy:
            return
        before = now


def stop_api(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
