"""``make stack STACK_ARGS="--scale 1,2,4"``: audited throughput with 1, 2 and 4 API processes.

Issue 17's last aim, measured on the ``make stack`` topology: one scratch PostgreSQL database
and the stack's Redis database, then for each count N in ``--scale`` (1, 2, 4 by default):

- N API processes, each ``gunicorn backend.asgi:app -k uvicorn_worker.UvicornWorker
  --workers 1`` on its own port (one Python process serving requests; the gunicorn master only
  supervises it), every one with its own audit sequencer thread (one at a time cluster-wide);
- ``--clients`` keep-alive HTTP clients (``http.client`` threads: the lightest load generator
  Python has), spread round-robin over the processes like a connection-level load balancer,
  each logged in once as an advisor, asking for scores and explanations of distinct clients
  (the score cache's TTL is 1 s and a thread asks the same (client, answer, language) again
  only after its whole slice of the list, seconds later, so every answer is computed);
- ``--warmup`` seconds unmeasured, then ``--seconds`` measured: answered audited requests per
  second, the ratio to one process, p50 and p95;
- the CPU seconds the run spent per answered request, read from ``/proc`` through psutil: API
  processes (master, worker and its sequencer), the load generator (this process), the
  PostgreSQL backends of the stack's database; and the machine's busy cores. The CPU-bound
  ceiling is ``cores / (CPU seconds per request)``: the throughput the stack could reach if
  it had every core to itself and nothing else limited it;
- after the run, with the processes still up: the sequencers drain ``audit_pending`` to zero
  by themselves (nothing is chained by this script), every request is matched to its audit
  events through its ``X-Request-ID`` (every 200 has exactly its one event, no event of a
  request we did not send), the chain is gapless, and ``octroi audit verify --json`` finds
  it valid with no unchained event.

The aims (1.7x and 3x) are reported, not enforced: on a machine with fewer cores than API
processes a CPU-bound request cannot show them, and the ceiling line says whether the CPU or
something else held the scaling back. The exit status is 1 if any audit check fails.
Design notes: ``docs/decisions/0022-stack-scaling.md``.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil
import psycopg
import redis
from sqlalchemy import create_engine, func, select

from backend.audit.models import AuditEvent
from deploy.stack import (
    API,
    AUDITED,
    HTTP_TIMEOUT_SECONDS,
    LOGIN,
    ROOT,
    TRANSPORT_CONNECT,
    TRANSPORT_NO_ANSWER,
    Accounting,
    Call,
    Check,
    Config,
    Service,
    account,
    audit_head,
    clear_octroi_keys,
    free_port,
    gunicorn_command,
    octroi,
    open_redis,
    pg_conninfo,
    postgres_database,
    prepare_data,
    read_ids,
    remove_run_var_dir,
    run_and_report,
    stack_env,
    start_service,
    wait_ready,
)

AIMS = {2: 1.7, 4: 3.0}  # issue 17: audited throughput vs one process
DRAIN_TIMEOUT_SECONDS = 120.0
LANGS = ("fr", "en")


def rerun_command(config: Config) -> str:
    args = [f"--scale {','.join(map(str, config.scale))}"]
    defaults = Config()
    for flag, value, default in (
        ("--seconds", config.scale_seconds, defaults.scale_seconds),
        ("--warmup", config.scale_warmup, defaults.scale_warmup),
        ("--clients", config.scale_clients, defaults.scale_clients),
        ("--repeat", config.scale_repeat, defaults.scale_repeat),
    ):
        if value != default:
            args.append(f"{flag} {value:g}")
    return f'make stack STACK_ARGS="{" ".join(args)}"'


# ----------------------------------------------------------------------------- workload


def plan_requests(ids: Sequence[str], seed: int, top: int = 5) -> list[tuple[str, str]]:
    """(op, path) for every client: its score and its explanation in both languages, shuffled.
    Each is a different cache entry, so a request comes back only after the whole list."""
    plan = [
        (op, f"{API}/clients/{raw}/{op}?lang={lang}" + (f"&top={top}" if op == "explanation" else ""))
        for raw in ids for op in ("score", "explanation") for lang in LANGS
    ]
    random.Random(seed).shuffle(plan)  # noqa: S311 - picks test clients
    return plan


class Connection:
    """One keep-alive HTTP/1.1 connection to one API process, reopened after a transport error."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS)

    def send(self, method: str, path: str, headers: dict[str, str], body: str | None = None) -> tuple[int, bytes]:
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def reset(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT_SECONDS)

    def close(self) -> None:
        self.conn.close()


@dataclass
class Driver:
    """The load generator of one run: ``clients`` threads, thread i on process i mod N."""

    ports: list[int]
    clients: int
    username: str
    password: str
    plan: list[tuple[str, str]]
    tag: str
    calls: list[list[Call]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)

    def call(self, conn: Connection, index: int, calls: list[Call], op: str, method: str, path: str,
             events: dict[int, int], expect: int, token: str | None = None, body: str | None = None,
             content_type: str | None = None) -> bytes | None:
        request_id = f"stk-{self.tag}-c{index:02d}-{len(calls):06d}"
        headers = {"X-Request-ID": request_id}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if content_type is not None:
            headers["Content-Type"] = content_type
        call = Call(request_id, 1 + index % len(self.ports), op, frozenset({expect}), events, phase="scale",
                    sent_at=time.monotonic())
        payload = None
        try:
            call.status, payload = conn.send(method, path, headers, body)
        except ConnectionRefusedError:
            call.transport = TRANSPORT_CONNECT
            conn.reset()
        except (OSError, http.client.HTTPException):
            call.transport = TRANSPORT_NO_ANSWER
            conn.reset()
        call.done_at = time.monotonic()
        calls.append(call)
        return payload

    def client(self, index: int, ready: threading.Barrier) -> None:
        calls = self.calls[index]
        conn = Connection(self.ports[index % len(self.ports)])
        try:
            body = urllib.parse.urlencode({"username": self.username, "password": self.password})
            payload = self.call(conn, index, calls, "login", "POST", f"{API}/auth/token", LOGIN, 200, body=body,
                                content_type="application/x-www-form-urlencoded")
            token = json.loads(payload)["access_token"] if calls[-1].status == 200 and payload else None
            if token is None:
                self.errors.append(f"client {index}: login -> {calls[-1].status or calls[-1].transport}")
            ready.wait()
            if token is None:
                return
            # Every thread walks its own slice of the plan: no two requests share a cache entry.
            for op, path in itertools.cycle(self.plan[index::self.clients]):
                if self.stop.is_set():
                    return
                self.call(conn, index, calls, op, "GET", path, AUDITED, 200, token=token)
        finally:
            conn.close()

    def start(self) -> tuple[list[threading.Thread], threading.Barrier]:
        self.calls = [[] for _ in range(self.clients)]
        ready = threading.Barrier(self.clients + 1)
        threads = [threading.Thread(target=self.client, args=(i, ready), name=f"scale-client-{i}", daemon=True)
                   for i in range(self.clients)]
        for thread in threads:
            thread.start()
        return threads, ready

    def all_calls(self) -> list[Call]:
        return [call for calls in self.calls for call in calls]


# ----------------------------------------------------------------------------- CPU


@dataclass
class CpuSample:
    at: float
    api: float  # CPU seconds of the API process groups (gunicorn master + worker)
    generator: float  # CPU seconds of this process (the load generator's threads)
    database: dict[int, float]  # CPU seconds per PostgreSQL backend of the stack's database
    machine_busy: float  # CPU seconds the whole machine spent not idle, all cores
    backlog: int  # audit events committed, not chained yet


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def process_tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for member in members:
        with contextlib.suppress(psutil.Error):
            total += _cpu(member)
    return total


def machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    return float(sum(times) - idle)


def sample_cpu(services: Iterable[Service], probe: psycopg.Connection[Any]) -> CpuSample:
    rows = probe.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchall()
    backlog = int(probe.execute("SELECT count(*) FROM audit_pending").fetchone()[0])  # type: ignore[index]
    database: dict[int, float] = {}
    for (pid,) in rows:
        with contextlib.suppress(psutil.Error):
            database[int(pid)] = _cpu(psutil.Process(int(pid)))
    own = os.times()
    return CpuSample(
        at=time.monotonic(), api=sum(process_tree_cpu(s.process.pid) for s in services),
        generator=own.user + own.system, database=database, machine_busy=machine_busy_seconds(), backlog=backlog,
    )


@dataclass
class CpuUse:
    """CPU seconds spent during the measured window, by part."""

    api: float
    generator: float
    database: float
    machine: float
    seconds: float

    @property
    def stack(self) -> float:
        return self.api + self.generator + self.database


def cpu_between(start: CpuSample, end: CpuSample) -> CpuUse:
    # A backend opened during the window counts whole (its CPU before the window is a few ms).
    database = sum(cpu - start.database.get(pid, 0.0) for pid, cpu in end.database.items())
    return CpuUse(api=end.api - start.api, generator=end.generator - start.generator, database=max(database, 0.0),
                  machine=end.machine_busy - start.machine_busy, seconds=end.at - start.at)


def cpu_ceiling(use: CpuUse, requests: int, cores: int) -> float:
    """Requests/s the stack could answer if CPU were the only limit and every core were its own."""
    if requests <= 0 or use.stack <= 0:
        return 0.0
    return cores / (use.stack / requests)


@dataclass
class Window:
    """The answers completed inside the measured window."""

    answered: int
    audited: int  # 200 answers: one audit event each
    other: Counter[str]
    rate: float
    p50_ms: float | None
    p95_ms: float | None


def percentile(ordered: Sequence[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def window(calls: Iterable[Call], start: float, end: float) -> Window:
    inside = [c for c in calls if start <= c.done_at <= end and c.op != "login"]
    audited = [c for c in inside if c.status == 200]
    other = Counter(str(c.status or c.transport) for c in inside if c.status != 200)
    latencies = sorted(1000 * (c.done_at - c.sent_at) for c in audited)
    seconds = end - start
    return Window(
        answered=len(inside), audited=len(audited), other=other,
        rate=len(audited) / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(latencies, 50) if latencies else None,
        p95_ms=percentile(latencies, 95) if latencies else None,
    )


# ----------------------------------------------------------------------------- one run


@dataclass
class ScaleRun:
    processes: int
    window: Window
    cpu: CpuUse
    ceiling: float
    accounting: Accounting
    requests: int  # every request of the run, warm-up and logins included
    backlog_at_end: int
    drain_seconds: float
    chain: dict[str, Any]
    checks: list[Check]
    round: int = 1

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def drain(db_url: str, timeout: float = DRAIN_TIMEOUT_SECONDS) -> tuple[bool, float]:
    """Wait for the API processes' sequencers to chain every committed event (none chained here)."""
    started = time.monotonic()
    with psycopg.connect(pg_conninfo(db_url.replace("postgresql+psycopg://", "postgresql://", 1)),
                         autocommit=True) as conn:
        while time.monotonic() - started < timeout:
            if conn.execute("SELECT count(*) FROM audit_pending").fetchone()[0] == 0:  # type: ignore[index]
                return True, time.monotonic() - started
            time.sleep(0.05)
    return False, time.monotonic() - started


def chain_state(db_url: str, baseline_seq: int) -> tuple[Counter[str], int, int, int]:
    """(request_id -> events after the baseline, count, lowest and highest seq of the chain)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(AuditEvent.request_id).where(AuditEvent.seq > baseline_seq)).scalars().all()
            total, low, high = conn.execute(
                select(func.count(), func.min(AuditEvent.seq), func.max(AuditEvent.seq))
            ).one()
    finally:
        engine.dispose()
    return Counter(rows), int(total), int(low or 0), int(high or 0)


def verify_chain(env: dict[str, str]) -> dict[str, Any]:
    verify = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "backend.cli", "audit", "verify", "--json"],
        env=env, text=True, capture_output=True, timeout=600, check=False, cwd=ROOT,
    )
    try:
        result: dict[str, Any] = json.loads(verify.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        result = {"valid": False, "reason": (verify.stderr or verify.stdout)[-500:]}
    result["returncode"] = verify.returncode
    return result


def run_one(config: Config, processes: int, env: dict[str, str], db_url: str, plan: list[tuple[str, str]],
            username: str, password: str, tag: str, logs: Any) -> ScaleRun:
    out = config.out
    services: list[Service] = []
    try:
        for number in range(1, processes + 1):
            port = free_port()
            services.append(start_service(f"scale{processes}-api-{number}", gunicorn_command(port, workers=1), env,
                                          f"http://127.0.0.1:{port}", logs))
        started = time.monotonic()
        for service in services:
            wait_ready(service, "/readyz")
        out(f"  {processes} API process(es) ready in {time.monotonic() - started:.1f}s "
            f"(pids {', '.join(str(s.process.pid) for s in services)})")
        # What was committed before (the set-up's import and user, from the CLI, which chains
        # nothing) is chained first: after the baseline, exactly this run's requests.
        drain(db_url)
        baseline_seq = audit_head(db_url)
        driver = Driver([int(s.url.rsplit(":", 1)[1]) for s in services], config.scale_clients, username, password,
                        plan, f"{tag}p{processes}")
        probe_info = pg_conninfo(db_url.replace("postgresql+psycopg://", "postgresql://", 1))
        with psycopg.connect(probe_info, autocommit=True) as probe:
            threads, ready = driver.start()
            ready.wait()  # every client logged in
            time.sleep(config.scale_warmup)
            first = sample_cpu(services, probe)
            time.sleep(config.scale_seconds)
            last = sample_cpu(services, probe)
            driver.stop.set()
            for thread in threads:
                thread.join(timeout=HTTP_TIMEOUT_SECONDS + 5)
        calls = driver.all_calls()
        measured = window(calls, first.at, last.at)
        use = cpu_between(first, last)
        cores = psutil.cpu_count() or os.cpu_count() or 1
        drained, drain_seconds = drain(db_url)
        found, total, low, high = chain_state(db_url, baseline_seq)
        accounting = account(calls, found)
        chain = verify_chain(env)
    finally:
        for service in reversed(services):
            service.stop()
    gapless = total == 0 or (low == 1 and high == total)
    statuses = Counter(str(c.status or c.transport) for c in calls)
    by_process = Counter(c.process for c in calls if first.at <= c.done_at <= last.at)
    checks = [
        Check(f"{processes}p: every request answered 200", set(statuses) == {"200"} and not driver.errors,
              f"{dict(statuses)}; answered in the window by process: "
              + ", ".join(f"api-{n} {by_process[n]}" for n in sorted(by_process))
              + (f"; {driver.errors[:3]}" if driver.errors else "")),
        Check(f"{processes}p: sequencers drained the backlog", drained,
              f"audit_pending empty {drain_seconds:.2f}s after the load stopped (backlog at the window's end: "
              f"{last.backlog})"),
        Check(f"{processes}p: every request has exactly its events", accounting.exact,
              f"{accounting.found} events for {accounting.expected} expected over {len(calls)} requests; "
              f"events of no request of ours: {accounting.strangers}"
              + (f"; mismatches: {accounting.mismatches[:5]}" if accounting.mismatches else "")),
        Check(f"{processes}p: one valid gapless chain, nothing unchained",
              chain.get("returncode") == 0 and bool(chain.get("valid")) and chain.get("events_checked") == total
              and gapless and chain.get("unchained_events") == 0,
              f"valid={chain.get('valid')} events_checked={chain.get('events_checked')} of {total} "
              f"(seq {low}..{high}), unchained at verify={chain.get('unchained_events')}"
              + (f" reason={chain.get('reason')}" if not chain.get("valid") else "")),
    ]
    return ScaleRun(processes, measured, use, cpu_ceiling(use, measured.audited, cores), accounting, len(calls),
                    last.backlog, drain_seconds, chain, checks)


# ----------------------------------------------------------------------------- orchestration


@dataclass
class ScaleResult:
    runs: list[ScaleRun]
    cores: int
    setup: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(run.ok for run in self.runs)


def run_scale(config: Config) -> ScaleResult:
    out = config.out
    run_id = uuid.uuid4().hex[:8]
    config.work_dir.mkdir(parents=True, exist_ok=True)
    logs = config.work_dir / "logs" / run_id
    model_dir, applicants = prepare_data(config)
    ids = read_ids(applicants)
    plan = plan_requests(ids, config.seed)
    redis_url, store = open_redis(config)
    cores = psutil.cpu_count() or os.cpu_count() or 1
    db_name = f"octroi_stack_{run_id}"
    runs: list[ScaleRun] = []
    try:
        with postgres_database(config, db_name) as db_url:
            env = stack_env(config, db_url, redis_url, model_dir, run_id)
            # The shortest TTL: a thread asks the same thing again only after its whole slice of the plan,
            # so every answer is computed, as for a bank's advisors reading distinct clients.
            env["OCTROI_SCORE_CACHE_TTL_SECONDS"] = "1"
            started = time.monotonic()
            octroi(env, "db", "upgrade")
            imported = octroi(env, "clients", "import", str(applicants)).strip().splitlines()[0]
            username, password = f"stk-{run_id}-scale", f"Stack-{secrets.token_urlsafe(12)}-9!"
            octroi(env, "users", "create", username, "--role", "advisor", "--password-stdin", stdin=password + "\n")
            out(f"setup: database {db_name} migrated, {imported.split(' in ')[0]}, one advisor in "
                f"{time.monotonic() - started:.1f}s; {len(plan)} distinct requests planned; {cores} cores; "
                f"logs in {logs}")
            out(f"each run: {config.scale_clients} keep-alive clients, {config.scale_warmup:g}s warm-up, "
                f"{config.scale_seconds:g}s measured")
            for round_ in range(1, config.scale_repeat + 1):
                for processes in config.scale:
                    run = run_one(config, processes, env, db_url, plan, username, password, f"{run_id}r{round_}",
                                  logs)
                    run.round = round_
                    runs.append(run)
                    out(f"  {describe(run, runs[0])}")
    finally:
        with contextlib.suppress(redis.RedisError):
            clear_octroi_keys(store)
        store.close()
        remove_run_var_dir(config, run_id)
    return ScaleResult(runs, cores, {"run_id": run_id, "plan": len(plan)})


def describe(run: ScaleRun, base: ScaleRun) -> str:
    ratio = run.window.rate / base.window.rate if base.window.rate else 0.0
    return (f"{run.processes}p: {run.window.rate:.1f} audited req/s (x{ratio:.2f}), p50 {run.window.p50_ms or 0:.1f} ms, "
            f"p95 {run.window.p95_ms or 0:.1f} ms; audit {'exact' if run.ok else 'FAILED'}")


def ms(seconds: float, requests: int) -> float:
    return 1000 * seconds / requests if requests else 0.0


def median_rates(runs: Sequence[ScaleRun]) -> dict[int, float]:
    """Process count -> median audited rate over the rounds."""
    by_count: dict[int, list[float]] = {}
    for run in runs:
        by_count.setdefault(run.processes, []).append(run.window.rate)
    return {n: statistics.median(rates) for n, rates in by_count.items()}


def print_scale_report(result: ScaleResult, config: Config, out: Callable[[str], None] = print) -> None:
    runs, cores = result.runs, result.cores
    if not runs:
        out("no run")
        return
    medians = median_rates(runs)
    first = runs[0].processes
    base = medians[first]
    rounds = config.scale_repeat > 1

    def to_base(value: float) -> float:
        return value / base if base else 0.0

    out("")
    out(f"audited requests over HTTP (scores and explanations of distinct clients) on PostgreSQL + Redis, "
        f"{config.scale_clients} keep-alive clients, {config.scale_seconds:g}s measured per run, {cores} cores:")
    out(("round " if rounds else "") + f"{'API processes':>13} {'audited req/s':>14} {'ratio':>7} {'p50 ms':>8} "
        f"{'p95 ms':>8}   aim")
    for run in runs:
        aim = AIMS.get(run.processes)
        out((f"{run.round:>5} " if rounds else "") + f"{run.processes:>13} {run.window.rate:>14.1f} "
            f"{to_base(run.window.rate):>6.2f}x {run.window.p50_ms or 0:>8.1f} {run.window.p95_ms or 0:>8.1f}   "
            + (f">= {aim}x" if aim else ""))
    if rounds:
        for processes, rate in medians.items():
            out(f"{'median':>5} {processes:>13} {rate:>14.1f} {to_base(rate):>6.2f}x")
    out("")
    out("where the CPU went during each window (CPU ms per answered request; cores = CPU seconds per second):")
    out(("round " if rounds else "") + f"{'API processes':>13} {'API':>7} {'load gen':>9} {'postgres':>9} "
        f"{'all':>7} {'stack cores':>12} {'machine cores':>14} {'CPU ceiling':>12} {'ratio':>7}")
    for run in runs:
        n, use = run.window.audited, run.cpu
        per_second = use.seconds or 1.0
        out((f"{run.round:>5} " if rounds else "") + f"{run.processes:>13} {ms(use.api, n):>7.2f} {ms(use.generator, n):>9.2f} {ms(use.database, n):>9.2f} "
            f"{ms(use.stack, n):>7.2f} {use.stack / per_second:>12.2f} {use.machine / per_second:>14.2f} "
            f"{run.ceiling:>10.1f}/s {to_base(run.ceiling):>6.2f}x")
    out(f"(CPU ceiling = {cores} cores / all CPU per request: the rate if the stack had every core and only the CPU "
        f"limited it; ratios are to the single process's "
        f"{'median ' if rounds else ''}measured rate. machine cores counts every process on the "
        f"machine, other users included)")
    for run in runs:
        if run.processes == first:
            continue
        allowed = min(to_base(run.ceiling), run.processes / first)
        single = next(r for r in runs if r.round == run.round and r.processes == first)
        more_cpu, cheaper = decompose(run, single)
        out((f"round {run.round}, " if rounds else "") + f"{run.processes} processes: x{to_base(run.window.rate):.2f}"
            + (f" (aim x{AIMS[run.processes]})" if run.processes in AIMS else "")
            + f"; the CPU allows at most x{allowed:.2f} on {cores} cores; " + verdict(run, cores)
            + f"; vs {first} process(es): x{more_cpu:.2f} the cores used by the stack, x{cheaper:.2f} the requests "
            f"per CPU second")
    out("")
    for run in runs:
        out((f"round {run.round}, " if rounds else "") + f"{run.processes} process(es): {run.requests} requests in all ({run.window.answered} answered in the "
            f"window{', others: ' + str(dict(run.window.other)) if run.window.other else ''}), sequencer backlog "
            f"at the window's end {run.backlog_at_end} events, drained {run.drain_seconds:.2f}s after the load "
            f"stopped")
        for check in run.checks:
            out(f"  [{'PASS' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    out("")
    out("scaling audit " + ("exact in every run" if result.ok else "FAILED"))
    out(f"rerun: {rerun_command(config)}")


def decompose(run: ScaleRun, single: ScaleRun) -> tuple[float, float]:
    """rate ratio = (cores the stack used, ratio) x (requests per CPU second, ratio): more CPU
    obtained, and what each request cost in it (1.0 = as cheap as with one process)."""
    def cores_used(r: ScaleRun) -> float:
        return r.cpu.stack / r.cpu.seconds if r.cpu.seconds else 0.0

    def per_cpu_second(r: ScaleRun) -> float:
        return r.window.audited / r.cpu.stack if r.cpu.stack else 0.0

    more_cpu = cores_used(run) / cores_used(single) if cores_used(single) else 0.0
    cheaper = per_cpu_second(run) / per_cpu_second(single) if per_cpu_second(single) else 0.0
    return more_cpu, cheaper


def verdict(run: ScaleRun, cores: int) -> str:
    """What held this run back, from where the CPU went."""
    busy = run.cpu.machine / run.cpu.seconds if run.cpu.seconds else 0.0
    stack = run.cpu.stack / run.cpu.seconds if run.cpu.seconds else 0.0
    if busy >= 0.9 * cores:
        return (f"CPU-bound: the machine's {cores} cores were {100 * busy / cores:.0f} % busy "
                f"({stack:.2f} cores for this stack)")
    return (f"not CPU-bound: the machine's cores were {100 * busy / cores:.0f} % busy; a lock, the database's "
            f"commits or the load generator limits this run")


def main_scale(config: Config) -> int:
    """``make stack STACK_ARGS="--scale 1,2,4"``: the scaling run and its report."""
    return run_and_report(lambda: run_scale(config), lambda result: print_scale_report(result, config))
