"""``make stack``: the docker-compose topology as plain loopback processes, proven under load.

This machine has no Docker engine, so the production shape is rebuilt from processes:
the local PostgreSQL (a uniquely named database, dropped at the end unless ``--keep``), the
local Redis (a dedicated database number, emptied before and after), two API processes (each
``gunicorn backend.asgi:app -k uvicorn_worker.UvicornWorker --workers 2``) and the dashboard.
Everything runs with ``OCTROI_ENV=production`` and fresh random secrets passed in the
environment only.

Then it proves, over HTTP only, what several replicas must share:

- a concurrent workload (logins, refreshes, scores, explanations, simulations, admin actions,
  denials, failed logins) spread over both processes leaves one valid gapless audit chain
  with exactly the events the answers call for: every request carries its own
  ``X-Request-ID``, which the API stores as the event's ``request_id``, so each request is
  matched to its events one by one;
- a refresh token rotated on process 1 is refused on process 2, and its session is revoked;
- a lockout earned on process 1 holds on process 2 (429);
- a score cached by process 1 is served from Redis by process 2;
- ``kill -9`` of process 1 (master and workers at once) in the middle of the workload loses
  no answered event and leaves no half-written one (the chain verifies), and process 2 keeps
  serving.

It prints the figures and exits 1 if any check fails. Every process it started is stopped,
also on failure and Ctrl-C. Design notes: ``docs/decisions/0009-stack.md``.

This is an operator tool, not request-serving code, so it lives outside ``backend/`` and may
use an HTTP client (the SSRF suite forbids one inside ``backend/``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from psycopg import sql
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from backend.audit.models import AuditEvent
from backend.auth.models import RefreshFamily
from backend.scoring.service import SCORE_KIND
from backend.users.models import User

ROOT = Path(__file__).resolve().parents[1]
API = "/api/v1"
ROLES = ("advisor", "comex", "compliance", "admin")
READY_TIMEOUT_SECONDS = 120.0
HTTP_TIMEOUT_SECONDS = 60.0
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
DEFAULT_REDIS_DB = 13  # the test suite uses 15 (cache, rate limits) and 12 (tests/test_stack.py)
CACHE_PREFIX = "octroi:eph"  # backend.cache._PREFIX: the score cache's key namespace
# Statuses whose answer proves the request was handled: a request may only write an event
# in the transaction that produced its answer, so these have an exact expected count.
TRANSPORT_CONNECT = "connect-refused"  # nothing reached the server: no event possible
TRANSPORT_NO_ANSWER = "no-answer"  # sent, connection died: 0 or the full set of events


class StackError(RuntimeError):
    """The stack could not be set up (a prerequisite is missing or a command failed)."""


# ----------------------------------------------------------------------------- configuration


@dataclass
class Config:
    work_dir: Path = ROOT / "var" / "stack"
    rows: int = 5000
    folds: int = 2
    seed: int = 42
    requests: int = 400
    threads: int = 12
    time_limit: float = 240.0
    kill_at: float = 0.45  # fraction of the planned requests answered before kill -9
    pg_admin_url: str = DEFAULT_PG_ADMIN_URL
    redis_url: str = DEFAULT_REDIS_URL
    redis_db: int = DEFAULT_REDIS_DB
    keep: bool = False
    model_dir: Path | None = None  # an existing bundle instead of training one
    applicants_csv: Path | None = None  # an existing application_test.csv
    dashboard: bool = True
    out: Callable[[str], None] = print
    # --scale (deploy/stack_scale.py): process counts to measure instead of the checks above.
    scale: tuple[int, ...] = ()
    scale_seconds: float = 12.0
    scale_warmup: float = 3.0
    scale_clients: int = 16
    scale_repeat: int = 1


# ----------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def octroi(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 600) -> str:
    """Run one ``octroi`` command as an operator would; StackError with its output on failure."""
    result = subprocess.run(  # noqa: S603 - our own CLI, arguments built here
        [sys.executable, "-m", "backend.cli", *args],
        env=env, input=stdin, text=True, capture_output=True, timeout=timeout, check=False, cwd=ROOT,
    )
    if result.returncode != 0:
        raise StackError(f"`octroi {' '.join(args)}` failed ({result.returncode}): {result.stderr or result.stdout}")
    return result.stdout


@dataclass
class Service:
    """A process group we started (``start_new_session``), so one signal reaches all of it."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        """SIGTERM the group (gunicorn drains, the API signs a checkpoint), SIGKILL if it lingers."""
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.process.wait(timeout=10)
        # Workers orphaned by a killed master belong to the same group: make sure none is left.
        self.signal_group(signal.SIGKILL)


def start_service(name: str, command: list[str], env: dict[str, str], url: str, logs: Path) -> Service:
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own entry points
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        )
    return Service(name, process, url, log_path)


def wait_ready(service: Service, path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if not service.alive():
            tail = service.log_path.read_text(errors="replace")[-2000:]
            raise StackError(f"{service.name} exited with {service.process.returncode} before being ready:\n{tail}")
        try:
            response = httpx.get(service.url + path, timeout=3)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.3)
    raise StackError(f"{service.name} not ready at {service.url}{path} after {READY_TIMEOUT_SECONDS:.0f}s: {last}")


def gunicorn_command(port: int, workers: int = 2) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "backend.asgi:app",
        "-k", "uvicorn_worker.UvicornWorker", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "10", "--log-level", "warning",
    ]


# ----------------------------------------------------------------------------- data


def prepare_data(config: Config) -> tuple[Path, Path]:
    """(model dir, applicants CSV): given ones, or synthetic data and a bundle under work_dir,
    reused when a previous run made them with the same parameters."""
    if config.model_dir is not None and config.applicants_csv is not None:
        return config.model_dir, config.applicants_csv
    data_dir = config.work_dir / "data"
    model_dir = config.model_dir or config.work_dir / "model"
    stamp = config.work_dir / "data.json"
    wanted = {"rows": config.rows, "folds": config.folds, "seed": config.seed}
    env = base_env()
    reusable = (
        stamp.is_file() and json.loads(stamp.read_text()) == wanted
        and (data_dir / "application_test.csv").is_file() and (model_dir / "manifest.json").is_file()
    )
    if reusable:
        config.out(f"data: reusing {data_dir} and the bundle in {model_dir}")
    else:
        started = time.monotonic()
        stamp.unlink(missing_ok=True)
        octroi(env, "data", "synth", "--rows", str(config.rows), "--seed", str(config.seed), "--out", str(data_dir))
        octroi(env, "train", "--data", str(data_dir), "--out", str(model_dir), "--folds", str(config.folds),
               "--seed", str(config.seed))
        stamp.write_text(json.dumps(wanted))
        config.out(f"data: {config.rows} synthetic rows and a {config.folds}-fold bundle in "
                   f"{time.monotonic() - started:.1f}s")
    return model_dir, config.applicants_csv or data_dir / "application_test.csv"


def read_ids(csv_path: Path) -> list[str]:
    with csv_path.open(newline="", encoding="utf-8") as handle:
        return [row["SK_ID_CURR"] for row in csv.DictReader(handle)]


def simulation_inputs(model_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(a new applicant's features, what-if overrides), valid for this bundle's input spec."""
    spec: dict[str, dict[str, Any]] = json.loads((model_dir / "input_spec.json").read_text())

    def middle(entry: dict[str, Any]) -> Any:
        if entry["type"] == "category":
            return entry["levels"][0]
        value = (float(entry["min"]) + float(entry["max"])) / 2
        return int(value) if entry["type"] == "integer" else value

    features = {name: middle(entry) for name, entry in spec.items() if not entry.get("nullable", True)}
    for name, value in (("AMT_INCOME_TOTAL", 180000.0), ("AMT_CREDIT", 450000.0), ("AMT_ANNUITY", 24000.0),
                        ("NAME_CONTRACT_TYPE", "Cash loans"),
                        ("EXT_SOURCE_2", 0.55)):
        if name in spec:
            features[name] = value
    overrides = {"AMT_CREDIT": 300000.0} if "AMT_CREDIT" in spec else {}
    return features, overrides


# ----------------------------------------------------------------------------- environment


def base_env() -> dict[str, str]:
    """The caller's environment without any OCTROI_ setting: the stack sets its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env["PYTHONUNBUFFERED"] = "1"
    # One OpenMP thread per worker: scale with workers, not threads (README, Data and model).
    env["OMP_NUM_THREADS"] = "1"
    return env


def run_var_dir(config: Config, run_id: str | None) -> Path:
    """The API's var dir (the audit witness among others): one per run, like its database, so a
    run never meets checkpoints another run signed with other keys."""
    return config.work_dir / "run" / run_id if run_id else config.work_dir / "run"


def stack_env(
    config: Config, database_url: str, redis_url: str, model_dir: Path, run_id: str | None = None
) -> dict[str, str]:
    env = base_env()
    env.update(
        OCTROI_ENV="production",
        OCTROI_VAR_DIR=str(run_var_dir(config, run_id)),
        OCTROI_DATABASE_URL=database_url,
        OCTROI_REDIS_URL=redis_url,
        OCTROI_MODEL_DIR=str(model_dir),
        # Fresh secrets for this run, in the environment only (never written to disk).
        OCTROI_JWT_KEY=secrets.token_urlsafe(48),
        OCTROI_PSEUDONYM_KEY=secrets.token_urlsafe(48),
        OCTROI_AUDIT_SIGNING_KEY=secrets.token_urlsafe(48),
        # The production floor of argon2id: realistic, and logins do not dominate the run.
        OCTROI_ARGON2_TIME_COST="2",
        OCTROI_ARGON2_MEMORY_KIB="19456",
        OCTROI_ARGON2_PARALLELISM="1",
        OCTROI_LOCKOUT_THRESHOLD="5",
        # The workload is not an abuse test (tests/test_owasp_api4_* is): a budget it never
        # reaches keeps every expected status deterministic. Counters still go through Redis.
        OCTROI_RATE_LIMIT_SCORING_PER_MINUTE="100000",
        # Every simulated intruder comes from 127.0.0.1: the per-address login budget
        # (issue 14, tests/test_owasp_insider_findings.py) would refuse them unaudited.
        OCTROI_RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE="100000",
        OCTROI_LOG_LEVEL="WARNING",
    )
    return env


def pg_conninfo(admin_url: str, database: str | None = None) -> str:
    url = make_url(admin_url.replace("postgresql+psycopg://", "postgresql://"))
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


# ----------------------------------------------------------------------------- recording


@dataclass
class Call:
    """One HTTP request of the run and what it must leave in the audit trail."""

    request_id: str
    process: int  # 1 or 2
    op: str
    expected_statuses: frozenset[int]
    events_by_status: dict[int, int]
    status: int | None = None
    transport: str | None = None
    sent_at: float = 0.0
    done_at: float = 0.0
    phase: str = "workload"

    def expected_events(self) -> tuple[int, int]:
        """(min, max) audit events this request may have written."""
        if self.status is not None:
            count = self.events_by_status.get(self.status, 0)
            return count, count
        if self.transport == TRANSPORT_CONNECT:
            return 0, 0
        # The connection died with the request in the server: its transaction committed whole
        # or not at all, so either no event or all of those its expected answer writes.
        return 0, max(self.events_by_status.get(s, 0) for s in self.expected_statuses)


@dataclass
class Accounting:
    """Each request of a run against the audit events carrying its X-Request-ID."""

    mismatches: list[str]
    expected: int  # events the answered requests must have written
    found: int  # events found for them
    in_doubt_found: int  # events of requests whose connection died (0 or all allowed)
    in_doubt_max: int  # the most those requests may have written
    strangers: int  # events whose request_id is none of ours

    @property
    def exact(self) -> bool:
        return not self.mismatches and self.strangers == 0 and self.found == self.expected


def account(calls: Iterable[Call], found: Counter[str]) -> Accounting:
    """Each request against the events carrying its X-Request-ID (``found``: request_id -> count)."""
    ours: set[str] = set()
    mismatches: list[str] = []
    expected = got = doubt = doubt_max = 0
    for call in calls:
        ours.add(call.request_id)
        low, high = call.expected_events()
        n = found.get(call.request_id, 0)
        if call.status is not None:
            expected += low
            got += n
        else:
            doubt += n
            doubt_max += high
        if not low <= n <= high:
            mismatches.append(f"{call.request_id} {call.op} -> {call.status or call.transport}: {n} events, "
                              f"expected {low}..{high}")
    strangers = sum(n for rid, n in found.items() if rid not in ours)
    return Accounting(mismatches, expected, got, doubt, doubt_max, strangers)


# Audit events written per answer. Every audited route writes one event on success; a refused
# permission (403 access.denied), an unknown client (404 through load_client) and a rate
# limit (429 rate.limited) write one; an invalid/ended token (401) or a malformed request
# (422) writes none. Login and refresh write one for every refusal of a known user.
AUDITED = {200: 1, 201: 1, 403: 1, 404: 1, 429: 1}
LOGIN = {200: 1, 401: 1, 429: 1}
REFRESH = {200: 1, 401: 1}
USERS = {200: 1, 201: 1, 403: 1}  # a user-management 404/409 is refused before any event
UNAUDITED: dict[int, int] = {}


class Recorder:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.answered = 0

    def new_id(self) -> str:
        return f"stk-{self.run_id}-{next(self._counter):06d}"

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            if call.status is not None:
                self.answered += 1


class Cluster:
    """The two API processes as seen by clients: routes around a process that was killed."""

    def __init__(self, urls: dict[int, str], recorder: Recorder) -> None:
        self.urls = urls
        self.recorder = recorder
        self.dead: set[int] = set()
        self.kill_time: float | None = None

    def target(self, wanted: int) -> int:
        # What a load balancer does once its health check fails: send to the live replica.
        if wanted in self.dead:
            live = [p for p in self.urls if p not in self.dead]
            return live[0]
        return wanted

    def call(
        self,
        client: httpx.Client,
        process: int,
        method: str,
        path: str,
        op: str,
        *,
        expect: int | set[int],
        events: dict[int, int],
        token: str | None = None,
        phase: str = "workload",
        **kwargs: Any,
    ) -> httpx.Response | None:
        process = self.target(process)
        request_id = self.recorder.new_id()
        headers = {"X-Request-ID": request_id}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        expected = frozenset({expect} if isinstance(expect, int) else expect)
        call = Call(request_id, process, op, expected, events, phase=phase, sent_at=time.monotonic())
        response = None
        try:
            response = client.request(method, self.urls[process] + path, headers=headers, **kwargs)
            call.status = response.status_code
        except httpx.ConnectError:
            call.transport = TRANSPORT_CONNECT
        except httpx.TransportError:
            call.transport = TRANSPORT_NO_ANSWER
        call.done_at = time.monotonic()
        self.recorder.add(call)
        return response


# ----------------------------------------------------------------------------- checks


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Users:
    passwords: dict[str, str] = field(default_factory=dict)
    advisors: list[str] = field(default_factory=list)
    comex: str = ""
    compliance: str = ""
    admin: str = ""
    locked: str = ""


def login(cluster: Cluster, client: httpx.Client, process: int, users: Users, username: str,
          phase: str = "workload") -> dict[str, Any] | None:
    response = cluster.call(
        client, process, "POST", f"{API}/auth/token", "login", expect=200, events=LOGIN, phase=phase,
        data={"username": username, "password": users.passwords[username]},
    )
    return response.json() if response is not None and response.status_code == 200 else None


def check_refresh_across_processes(cluster: Cluster, users: Users, client_id: str, db_url: str) -> Check:
    """Rotate on 1, replay the old token on 2 (refused, session revoked), then the new one fails too."""
    phase = "refresh-check"
    with httpx.Client(timeout=HTTP_TIMEOUT_SECONDS) as client:
        first = login(cluster, client, 1, users, users.advisors[0], phase)
        if first is None:
            return Check("refresh rotated on 1 refused on 2", False, "login failed")
        rotated = cluster.call(client, 1, "POST", f"{API}/auth/refresh", "refresh", expect=200, events=REFRESH,
                               phase=phase, json={"refresh_token": first["refresh_token"]})
        if rotated is None or rotated.status_code != 200:
            return Check("refresh rotated on 1 refused on 2", False, "rotation on process 1 failed")
        second = rotated.json()
        replay = cluster.call(client, 2, "POST", f"{API}/auth/refresh", "refresh-replay", expect=401,
                              events=REFRESH, phase=phase, json={"refresh_token": first["refresh_token"]})
        after = cluster.call(client, 2, "POST", f"{API}/auth/refresh", "refresh-revoked", expect=401,
                             events=REFRESH, phase=phase, json={"refresh_token": second["refresh_token"]})
        access = cluster.call(client, 2, "GET", f"{API}/clients/{client_id}/score", "score-revoked-session",
                              expect=401, events=UNAUDITED, token=second["access_token"], phase=phase)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            reason = conn.execute(
                select(RefreshFamily.revoked_reason).join(User, User.id == RefreshFamily.user_id)
                .where(User.username == users.advisors[0]).where(RefreshFamily.revoked_at.is_not(None))
            ).scalars().all()
    finally:
        engine.dispose()
    statuses = [r.status_code if r is not None else None for r in (replay, after, access)]
    ok = statuses == [401, 401, 401] and "refresh token replayed" in reason
    return Check(
        "refresh rotated on 1 refused on 2", ok,
        f"replayed old token on 2 -> {statuses[0]}, rotated token on 2 -> {statuses[1]}, "
        f"its access token -> {statuses[2]}; family revoked: {reason or 'no'}",
    )


def check_lockout_across_processes(cluster: Cluster, users: Users, threshold: int = 5) -> Check:
    phase = "lockout-check"
    username = users.locked
    with httpx.Client(timeout=HTTP_TIMEOUT_SECONDS) as client:
        failures = [
            cluster.call(client, 1, "POST", f"{API}/auth/token", "login-wrong-password", expect=401, events=LOGIN,
                         phase=phase, data={"username": username, "password": "Not-the-password-" + str(n)})
            for n in range(threshold)
        ]
        locked = cluster.call(client, 2, "POST", f"{API}/auth/token", "login-while-locked", expect=429,
                              events=LOGIN, phase=phase,
                              data={"username": username, "password": users.passwords[username]})
    statuses = [r.status_code if r is not None else None for r in failures]
    status = locked.status_code if locked is not None else None
    retry_after = locked.headers.get("Retry-After") if locked is not None else None
    ok = statuses == [401] * threshold and status == 429 and bool(retry_after)
    return Check(
        "lockout on 1 holds on 2", ok,
        f"{threshold} wrong passwords on 1 -> {statuses}; right password on 2 -> {status} "
        f"(Retry-After {retry_after})",
    )


def _hits(store: redis.Redis) -> int:
    return int(store.info("stats")["keyspace_hits"])


def check_cache_across_processes(cluster: Cluster, users: Users, client_id: str, store: redis.Redis) -> Check:
    """A score computed on 1 is in Redis; 2 reads it (hit counter) and serves exactly what Redis holds.

    The last point is proved with a marker: the cached entry's band label is replaced by a
    value no process could compute, process 2 must answer with it, then the entry is restored.
    Redis' hit counters are server-wide (other users of the server move them), so only a
    value that exists in Redis alone shows where an answer came from.
    """
    phase = "cache-check"
    name = "score cached by 1 served from Redis by 2"
    with httpx.Client(timeout=HTTP_TIMEOUT_SECONDS) as client:
        tokens = login(cluster, client, 1, users, users.advisors[1], phase)
        if tokens is None:
            return Check(name, False, "login failed")
        token = tokens["access_token"]
        profile = cluster.call(client, 1, "GET", f"{API}/clients/{client_id}", "client-read", expect=200,
                               events=AUDITED, token=token, phase=phase)
        if profile is None or profile.status_code != 200:
            return Check(name, False, "client read failed")
        pseudonym = profile.json()["pseudonym"]
        before = list(store.scan_iter(match=f"{CACHE_PREFIX}:{pseudonym}:*"))
        first = cluster.call(client, 1, "GET", f"{API}/clients/{client_id}/score", "score", expect=200,
                             events=AUDITED, token=token, phase=phase)
        if first is None or first.status_code != 200:
            return Check(name, False, "score on process 1 failed")
        key = f"{CACHE_PREFIX}:{pseudonym}:{first.json()['model_version']}:{SCORE_KIND}-fr"
        raw = store.get(key)
        ttl = store.ttl(key)
        hits_before = _hits(store)
        second = cluster.call(client, 2, "GET", f"{API}/clients/{client_id}/score", "score", expect=200,
                              events=AUDITED, token=token, phase=phase)
        hits_delta = _hits(store) - hits_before
        marker = f"served-from-redis-{uuid.uuid4().hex[:8]}"
        marked_answer = None
        if raw is not None:
            entry = json.loads(raw)
            entry["value"]["risk_band_label"] = marker
            store.set(key, json.dumps(entry), keepttl=True)
            try:
                marked = cluster.call(client, 2, "GET", f"{API}/clients/{client_id}/score", "score", expect=200,
                                      events=AUDITED, token=token, phase=phase)
                marked_answer = marked.json().get("risk_band_label") if marked is not None else None
            finally:
                store.set(key, raw, keepttl=True)
    same = second is not None and second.status_code == 200 and second.json() == first.json()
    ok = not before and raw is not None and ttl > 0 and same and hits_delta >= 1 and marked_answer == marker
    return Check(
        name, ok,
        f"no entry before; after 1: key present={raw is not None} ttl={ttl}s; 2 answered the same "
        f"score={same}; keyspace_hits +{hits_delta}; marker planted in Redis served by 2="
        f"{marked_answer == marker}",
    )


# ----------------------------------------------------------------------------- workload


@dataclass
class Workload:
    cluster: Cluster
    users: Users
    client_ids: list[str]
    unknown_id: str
    new_features: dict[str, Any]
    overrides: dict[str, Any]
    run_id: str
    stop: threading.Event = field(default_factory=threading.Event)

    def session(self, index: int, kind: str) -> None:
        """One user's session; processes alternate request by request, so every token and
        every piece of shared state crosses processes all the time."""
        rng = random.Random(index)  # noqa: S311 - picks test clients, nothing secret
        home, other = (1, 2) if index % 2 else (2, 1)
        hop = itertools.cycle((other, home))
        c = self.cluster
        with httpx.Client(timeout=HTTP_TIMEOUT_SECONDS) as client:
            if kind == "intruder":
                c.call(client, home, "POST", f"{API}/auth/token", "login-unknown-user", expect=401, events=LOGIN,
                       data={"username": f"nobody-{self.run_id}-{index}", "password": "Guessing-passwords-1!"})
                # The lockout user is locked already: a wrong guess is refused (429), audited.
                c.call(client, other, "POST", f"{API}/auth/token", "login-locked-user", expect={401, 429},
                       events=LOGIN, data={"username": self.users.locked, "password": "Guessing-again-22!"})
                return
            username = {
                "advisor": self.users.advisors[index % len(self.users.advisors)],
                "comex": self.users.comex, "compliance": self.users.compliance, "admin": self.users.admin,
            }[kind]
            tokens = login(c, client, home, self.users, username)
            if tokens is None or self.stop.is_set():
                return
            token = tokens["access_token"]

            def get(path: str, op: str, expect: int, events: dict[int, int] = AUDITED, **kw: Any) -> bool:
                if self.stop.is_set():
                    return False
                response = c.call(client, next(hop), "GET", API + path, op, expect=expect, events=events,
                                  token=token, **kw)
                return response is not None

            def post(path: str, op: str, expect: int, body: dict[str, Any], events: dict[int, int] = AUDITED,
                     method: str = "POST") -> httpx.Response | None:
                if self.stop.is_set():
                    return None
                return c.call(client, next(hop), method, API + path, op, expect=expect, events=events,
                              token=token, json=body)

            c1, c2 = rng.sample(self.client_ids, 2)
            if kind == "advisor":
                steps: list[Callable[[], bool]] = [
                    lambda: get(f"/clients/{c1}/score", "score", 200),
                    lambda: get(f"/clients/{c1}/explanation", "explanation", 200, params={"top": 5}),
                    lambda: post("/scoring/simulate", "simulate-what-if", 200,
                                 {"client_id": c1, "overrides": self.overrides, "top": 5}) is not None,
                    lambda: post("/scoring/simulate", "simulate-new", 200,
                                 {"features": self.new_features, "top": 5}) is not None,
                    lambda: get(f"/clients/{c2}", "client-read", 200),
                    lambda: get(f"/clients/{c2}/score", "score", 200),
                    lambda: get(f"/clients/{self.unknown_id}/score", "score-unknown-client", 404),
                ]
                for step in steps:
                    if not step():
                        return
                refreshed = post("/auth/refresh", "refresh", 200, {"refresh_token": tokens["refresh_token"]},
                                 events=REFRESH)
                if refreshed is None or refreshed.status_code != 200:
                    return
                token = refreshed.json()["access_token"]
                if get(f"/clients/{c2}/explanation", "explanation", 200, params={"top": 5}):
                    post("/auth/logout", "logout", 200, {})
            elif kind == "comex":
                for step in (
                    lambda: get("/portfolio/summary", "portfolio", 200),
                    lambda: get("/model", "model-card", 200),
                    lambda: get(f"/clients/{c1}/score", "score-denied-comex", 403),
                ):
                    if not step():
                        return
                post("/auth/logout", "logout", 200, {})
            elif kind == "compliance":
                for step in (
                    lambda: get("/audit/events", "audit-events", 200, params={"limit": 20}),
                    lambda: get("/audit/verify", "audit-verify", 200),
                    lambda: get(f"/clients/{c1}", "client-denied-compliance", 403),
                ):
                    if not step():
                        return
                post("/auth/logout", "logout", 200, {})
            elif kind == "admin":
                new_user = f"stk-{self.run_id}-u{index}"
                steps = [
                    lambda: get("/users", "users-list", 200, events=USERS),
                    # A comex account: created, reset and disabled by one admin. A role that reaches
                    # personal data would wait for a second admin's approval (four-eyes).
                    lambda: post("/users", "user-create", 201, {"username": new_user, "role": "comex",
                                                                 "full_name": "Stack workload"},
                                 events=USERS) is not None,
                    lambda: post(f"/users/{new_user}/reset-password", "user-reset-password", 200, {},
                                 events=USERS) is not None,
                    lambda: post(f"/users/{new_user}", "user-disable", 200, {"active": False}, events=USERS,
                                 method="PATCH") is not None,
                    lambda: get(f"/clients/{c1}", "client-denied-admin", 403),
                ]
                for step in steps:
                    if not step():
                        return
                post("/auth/logout", "logout", 200, {})


SESSION_SIZES = {"advisor": 11, "comex": 5, "compliance": 5, "admin": 7, "intruder": 2}
SESSION_MIX = ("advisor", "advisor", "comex", "advisor", "compliance", "advisor", "admin", "intruder",
               "advisor", "advisor")


def plan_sessions(requests: int) -> list[str]:
    kinds: list[str] = []
    total = 0
    for kind in itertools.cycle(SESSION_MIX):
        if total >= requests:
            return kinds
        kinds.append(kind)
        total += SESSION_SIZES[kind]
    raise AssertionError("unreachable")


@dataclass
class WorkloadResult:
    planned: int
    duration: float
    kill_after: float | None
    answered_at_kill: int
    start: float


def run_workload(
    workload: Workload, config: Config, recorder: Recorder, victim: Service | None
) -> WorkloadResult:
    kinds = plan_sessions(config.requests)
    planned = sum(SESSION_SIZES[k] for k in kinds)
    baseline = recorder.answered
    kill_threshold = baseline + int(planned * config.kill_at)
    start = time.monotonic()
    deadline = start + config.time_limit
    killed: dict[str, Any] = {}

    def killer() -> None:
        while not workload.stop.is_set() and victim is not None:
            if recorder.answered >= kill_threshold:
                # kill -9 of the whole process group: master and workers die at the same instant.
                victim.signal_group(signal.SIGKILL)
                workload.cluster.dead.add(1)
                killed["after"] = time.monotonic() - start
                killed["answered"] = recorder.answered - baseline
                return
            time.sleep(0.01)

    def guarded(index: int, kind: str) -> None:
        if time.monotonic() > deadline:
            workload.stop.set()
        if not workload.stop.is_set():
            workload.session(index, kind)

    thread = threading.Thread(target=killer, name="stack-killer", daemon=True)
    thread.start()
    executor = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="stack-client")
    try:
        futures = [executor.submit(guarded, i, kind) for i, kind in enumerate(kinds)]
        for future in futures:
            future.result()
    finally:
        workload.stop.set()
        executor.shutdown(wait=True, cancel_futures=True)
        thread.join(timeout=5)
    return WorkloadResult(planned, time.monotonic() - start, killed.get("after"), killed.get("answered", 0), start)


# ----------------------------------------------------------------------------- audit matching


def chain_committed_events(env: dict[str, str]) -> None:
    """Every committed audit event into the chain (the sequencer runs behind the requests,
    docs/decisions/0012-audit-sequencer.md); ``octroi audit checkpoint`` chains, then signs."""
    octroi(env, "audit", "checkpoint")


def check_audit(db_url: str, env: dict[str, str], recorder: Recorder, baseline_seq: int) -> tuple[list[Check], dict[str, Any]]:
    chain_committed_events(env)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(AuditEvent.seq, AuditEvent.request_id).where(AuditEvent.seq > baseline_seq)
                .order_by(AuditEvent.seq)
            ).all()
            total, low, high = conn.execute(
                select(func.count(), func.min(AuditEvent.seq), func.max(AuditEvent.seq))
            ).one()
    finally:
        engine.dispose()
    found = Counter(r.request_id for r in rows)
    accounting = account(recorder.calls, found)
    expected_total = accounting.expected + accounting.in_doubt_found
    verify = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "backend.cli", "audit", "verify", "--json"],
        env=env, text=True, capture_output=True, timeout=300, check=False, cwd=ROOT,
    )
    try:
        result = json.loads(verify.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        result = {"valid": False, "reason": (verify.stderr or verify.stdout)[-500:]}
    gapless = total == 0 or (low == 1 and high == total)
    figures = {
        "events_total": total, "events_in_run": len(rows), "expected_in_run": expected_total,
        "answered_expected": accounting.expected, "answered_found": accounting.found,
        "in_doubt_found": accounting.in_doubt_found, "in_doubt_max": accounting.in_doubt_max,
        "strangers": accounting.strangers,
        "verify": result,
    }
    checks = [
        Check("every request has exactly its events",
              not accounting.mismatches and accounting.strangers == 0 and len(rows) == expected_total,
              f"answered requests: {accounting.found} events for {accounting.expected} expected; requests cut off "
              f"by the kill: {accounting.in_doubt_found} of at most {accounting.in_doubt_max} committed; events of "
              f"no request of ours: {accounting.strangers}"
              + (f"; mismatches: {accounting.mismatches[:5]}" if accounting.mismatches else "")),
        Check("one valid gapless chain (octroi audit verify)",
              verify.returncode == 0 and bool(result.get("valid")) and result.get("events_checked") == total
              and gapless,
              f"valid={result.get('valid')} events_checked={result.get('events_checked')} of {total} "
              f"(seq {low}..{high}), checkpoints={result.get('checkpoints_checked')}"
              + (f" reason={result.get('reason')}" if not result.get("valid") else "")),
    ]
    return checks, figures


def audit_head(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(AuditEvent.seq), 0))).scalar_one())
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- orchestration


@dataclass
class StackResult:
    checks: list[Check]
    figures: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


@contextlib.contextmanager
def postgres_database(config: Config, name: str) -> Iterator[str]:
    admin = pg_conninfo(config.pg_admin_url)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise StackError(f"PostgreSQL unreachable or refusing at {config.pg_admin_url}: {exc}") from exc
    try:
        yield pg_conninfo(config.pg_admin_url, name).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        if config.keep:
            config.out(f"kept PostgreSQL database {name}")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def remove_run_var_dir(config: Config, run_id: str) -> None:
    """The run's witness goes with its database (kept with ``--keep``)."""
    if not config.keep:
        shutil.rmtree(run_var_dir(config, run_id), ignore_errors=True)


def open_redis(config: Config) -> tuple[str, redis.Redis]:
    """The run's Redis database (its URL and a client), reachable and cleared of Octroi's keys."""
    redis_url = f"{config.redis_url.rstrip('/')}/{config.redis_db}"
    store = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        store.ping()
    except redis.RedisError as exc:
        raise StackError(f"Redis unreachable at {redis_url}: {exc}") from exc
    clear_octroi_keys(store)
    return redis_url, store


def clear_octroi_keys(store: redis.Redis) -> int:
    removed = 0
    batch = list(store.scan_iter(match="octroi:*", count=500))
    for start in range(0, len(batch), 500):
        removed += int(store.delete(*batch[start:start + 500]))
    return removed


def create_users(env: dict[str, str], run_id: str) -> Users:
    users = Users()
    wanted: list[tuple[str, str]] = [
        (f"stk-{run_id}-advisor1", "advisor"), (f"stk-{run_id}-advisor2", "advisor"),
        (f"stk-{run_id}-comex", "comex"), (f"stk-{run_id}-compliance", "compliance"),
        (f"stk-{run_id}-admin", "admin"), (f"stk-{run_id}-locked", "advisor"),
    ]
    for username, _ in wanted:
        users.passwords[username] = f"Stack-{secrets.token_urlsafe(12)}-9!"
    # Each command is a Python start-up: run them side by side.
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(
            lambda pair: octroi(env, "users", "create", pair[0], "--role", pair[1], "--password-stdin",
                                stdin=users.passwords[pair[0]] + "\n"),
            wanted,
        ))
    users.advisors = [wanted[0][0], wanted[1][0]]
    users.comex, users.compliance, users.admin, users.locked = (w[0] for w in wanted[2:])
    return users


def run(config: Config) -> StackResult:
    """Start the stack, run the checks and the workload, stop everything; never raises on a
    failed check (the result says), raises StackError when the stack cannot be built."""
    out = config.out
    run_id = uuid.uuid4().hex[:8]
    config.work_dir.mkdir(parents=True, exist_ok=True)
    logs = config.work_dir / "logs" / run_id
    model_dir, applicants = prepare_data(config)
    ids = read_ids(applicants)
    known = set(ids)
    unknown_id = next(str(n) for n in range(999_000_001, 999_999_999) if str(n) not in known)
    new_features, overrides = simulation_inputs(model_dir)

    redis_url, store = open_redis(config)
    services: list[Service] = []
    db_name = f"octroi_stack_{run_id}"
    try:
        with postgres_database(config, db_name) as db_url:
            env = stack_env(config, db_url, redis_url, model_dir, run_id)
            started = time.monotonic()
            octroi(env, "db", "upgrade")
            imported = octroi(env, "clients", "import", str(applicants)).strip().splitlines()[-1]
            users = create_users(env, run_id)
            out(f"setup: database {db_name} migrated, {imported.split(' in ')[0]}, "
                f"{len(users.passwords)} users in {time.monotonic() - started:.1f}s")

            ports = {1: free_port(), 2: free_port()}
            for number, port in ports.items():
                services.append(start_service(f"api-{number}", gunicorn_command(port), env,
                                              f"http://127.0.0.1:{port}", logs))
            if config.dashboard:
                dash_port = free_port()
                services.append(start_service(
                    "dashboard",
                    [sys.executable, "-m", "backend.cli", "serve", "dashboard", "--port", str(dash_port)],
                    env | {"OCTROI_API_URL": services[1].url}, f"http://127.0.0.1:{dash_port}", logs,
                ))
            started = time.monotonic()
            for service in services:
                wait_ready(service, "/_stcore/health" if service.name == "dashboard" else "/readyz")
            out(f"processes: api-1 {services[0].url} (pid {services[0].process.pid}), api-2 {services[1].url} "
                f"(pid {services[1].process.pid}), 2 gunicorn/uvicorn workers each"
                + (f", dashboard {services[2].url}" if config.dashboard else "")
                + f"; ready in {time.monotonic() - started:.1f}s; logs in {logs}")

            recorder = Recorder(run_id)
            cluster = Cluster({1: services[0].url, 2: services[1].url}, recorder)
            chain_committed_events(env)
            baseline_seq = audit_head(db_url)
            rng = random.Random(config.seed)  # noqa: S311 - picks test clients
            reserved = rng.sample(ids, 2)
            pool = [i for i in ids if i not in reserved] or ids
            checks = [
                check_refresh_across_processes(cluster, users, reserved[0], db_url),
                check_lockout_across_processes(cluster, users),
                check_cache_across_processes(cluster, users, reserved[1], store),
            ]
            if config.dashboard:
                page = httpx.get(services[2].url + "/", timeout=10)
                checks.append(Check("dashboard serves", page.status_code == 200 and "<html" in page.text.lower(),
                                    f"GET / -> {page.status_code} against api-2"))

            workload = Workload(cluster, users, pool, unknown_id, new_features, overrides, run_id)
            result = run_workload(workload, config, recorder, services[0])
            workload_calls = [c for c in recorder.calls if c.phase == "workload"]

            # The survivor keeps serving: everything sent to it answered as expected, also after the kill.
            survivor = [c for c in workload_calls if c.process == 2]
            after_kill = [c for c in survivor if result.kill_after is not None
                          and c.sent_at >= result.start + result.kill_after]
            ready_after = httpx.get(services[1].url + "/readyz", timeout=10).status_code
            refused = False
            try:
                httpx.get(services[0].url + "/healthz", timeout=3)
            except httpx.ConnectError:
                refused = True
            checks.append(Check(
                "kill -9 of api-1: api-2 keeps serving",
                result.kill_after is not None and refused and not services[0].alive() and ready_after == 200
                and len(after_kill) > 0 and all(c.status in c.expected_statuses for c in survivor),
                f"api-1 killed {result.kill_after or 0:.2f}s into the workload after {result.answered_at_kill} "
                f"answers, its port now refuses={refused}; api-2 answered {len(after_kill)} requests sent after "
                f"the kill, all as expected={all(c.status in c.expected_statuses for c in survivor)}, "
                f"/readyz {ready_after}",
            ))
            wrong_status = [c for c in recorder.calls if c.status is not None and c.status not in c.expected_statuses]
            checks.append(Check(
                "every answer has its expected status", not wrong_status,
                f"{len(wrong_status)} unexpected: "
                + ", ".join(f"{c.op} on api-{c.process} -> {c.status}" for c in wrong_status[:8]),
            ))
            audit_checks, audit_figures = check_audit(db_url, env, recorder, baseline_seq)
            checks.extend(audit_checks)

            answered = [c for c in workload_calls if c.status is not None]
            by_status = Counter(str(c.status) if c.status is not None else c.transport for c in recorder.calls)
            by_process = Counter(f"api-{c.process}" for c in recorder.calls)
            latencies = sorted(c.done_at - c.sent_at for c in answered)
            figures = {
                "run_id": run_id,
                "requests_sent": len(recorder.calls),
                "workload_requests": len(workload_calls),
                "workload_planned": result.planned,
                "by_status": dict(sorted(by_status.items())),
                "by_process": dict(sorted(by_process.items())),
                "transport_errors": sum(1 for c in recorder.calls if c.transport),
                "unexpected_statuses": len(wrong_status),
                "kill_after_s": round(result.kill_after, 3) if result.kill_after is not None else None,
                "answered_at_kill": result.answered_at_kill,
                "workload_seconds": round(result.duration, 2),
                "requests_per_second": round(len(answered) / result.duration, 1) if result.duration else 0.0,
                "latency_p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
                "latency_p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 1) if latencies else None,
                "threads": config.threads,
                **audit_figures,
            }
            return StackResult(checks, figures)
    finally:
        for service in reversed(services):
            service.stop()
        with contextlib.suppress(redis.RedisError):
            clear_octroi_keys(store)
        store.close()
        remove_run_var_dir(config, run_id)


def print_report(result: StackResult, out: Callable[[str], None] = print) -> None:
    f = result.figures
    out("")
    out(f"requests sent: {f['requests_sent']} ({f['workload_requests']} in the workload, "
        f"{f['requests_sent'] - f['workload_requests']} in the targeted checks), {f['threads']} client threads")
    out(f"  by status: {f['by_status']}")
    out(f"  by process: {f['by_process']}")
    out(f"  transport errors: {f['transport_errors']} (requests cut off or refused by the kill), "
        f"unexpected statuses: {f['unexpected_statuses']}")
    out(f"kill -9 of api-1 at {f['kill_after_s']}s, after {f['answered_at_kill']} workload answers")
    out(f"workload: {f['workload_seconds']}s, {f['requests_per_second']} answered requests/s, "
        f"p50 {f['latency_p50_ms']} ms, p95 {f['latency_p95_ms']} ms")
    out(f"audit events: {f['events_in_run']} found in the run vs {f['expected_in_run']} expected "
        f"({f['answered_found']}/{f['answered_expected']} for answered requests, {f['in_doubt_found']} of at most "
        f"{f['in_doubt_max']} for requests cut off by the kill); chain of {f['events_total']} events, verify: "
        f"{'valid' if f['verify'].get('valid') else 'INVALID'}")
    out("")
    for check in result.checks:
        out(f"[{'PASS' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    out("")
    out("stack check " + ("passed" if result.ok else "FAILED"))


def parse_counts(text: str) -> tuple[int, ...]:
    """``"1,2,4"`` -> (1, 2, 4): positive, strictly increasing, the first one the baseline."""
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"--scale wants process counts like 1,2,4, got {text!r}") from exc
    if not counts or any(n < 1 for n in counts) or list(counts) != sorted(set(counts)):
        raise ValueError(f"--scale wants increasing positive process counts like 1,2,4, got {text!r}")
    return counts


def parse_args(argv: list[str] | None) -> Config:
    parser = argparse.ArgumentParser(prog="make stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="workload size (requests planned)")
    parser.add_argument("--threads", type=int, default=12, help="concurrent clients")
    parser.add_argument("--rows", type=int, default=5000, help="synthetic training rows")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=240.0, help="seconds before no new session starts")
    parser.add_argument("--kill-at", type=float, default=0.45, help="fraction of the workload answered before kill -9")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "stack")
    parser.add_argument("--pg-url", default=os.environ.get("OCTROI_TEST_PG_URL", DEFAULT_PG_ADMIN_URL),
                        help="PostgreSQL server to create the stack's database on")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="Redis server (without a db number)")
    parser.add_argument("--redis-db", type=int, default=DEFAULT_REDIS_DB, help="Redis database number used (emptied)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--no-dashboard", action="store_true")
    scaling = parser.add_argument_group(
        "scaling mode", "audited throughput with 1, 2, 4... API processes of one worker each, instead of the "
        "checks above (deploy/stack_scale.py, docs/decisions/0022-stack-scaling.md)")
    scaling.add_argument("--scale", metavar="COUNTS", help="process counts to measure in turn, e.g. 1,2,4")
    scaling.add_argument("--seconds", type=float, default=12.0, help="measured seconds per process count")
    scaling.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each measurement")
    scaling.add_argument("--clients", type=int, default=16, help="concurrent keep-alive HTTP clients")
    scaling.add_argument("--repeat", type=int, default=1, help="rounds of the whole sequence (medians reported)")
    args = parser.parse_args(argv)
    if not 0 < args.kill_at < 1:
        parser.error("--kill-at must be between 0 and 1 (exclusive)")
    if args.requests < 50:
        parser.error("--requests must be at least 50")
    scale: tuple[int, ...] = ()
    if args.scale is not None:
        try:
            scale = parse_counts(args.scale)
        except ValueError as exc:
            parser.error(str(exc))
        if args.seconds <= 0 or args.warmup < 0 or args.clients < 1 or args.repeat < 1:
            parser.error("--seconds must be positive, --warmup not negative, --clients and --repeat at least 1")
    return Config(
        work_dir=args.work_dir, rows=args.rows, folds=args.folds, requests=args.requests, threads=args.threads,
        time_limit=args.time_limit, kill_at=args.kill_at, pg_admin_url=args.pg_url, redis_url=args.redis_url,
        redis_db=args.redis_db, keep=args.keep, dashboard=not args.no_dashboard, scale=scale,
        scale_seconds=args.seconds, scale_warmup=args.warmup, scale_clients=args.clients, scale_repeat=args.repeat,
    )


def unwind_on_sigterm() -> None:
    """SIGTERM (e.g. from make or CI) unwinds like Ctrl-C, so the finally blocks stop everything."""

    def terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)


def main(argv: list[str] | None = None) -> int:
    """The checks (``python -m deploy`` dispatches ``--scale`` to ``deploy.stack_scale``)."""
    config = parse_args(argv)
    if config.scale:
        print("--scale: run `python -m deploy` (make stack), which measures it", file=sys.stderr)
        return 2
    unwind_on_sigterm()
    return run_checks(config)


def run_checks(config: Config) -> int:
    return run_and_report(lambda: run(config), print_report)


def run_and_report(work: Callable[[], Any], report: Callable[[Any], None]) -> int:
    """Exit status of a stack run: 0 when its result is ok, 1 when a check failed, 2 when the
    stack could not be set up, 130 when interrupted (everything started is stopped either way)."""
    try:
        result = work()
    except StackError as exc:
        print(f"stack setup failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        return 130
    report(result)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
