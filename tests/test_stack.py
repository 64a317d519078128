"""``make stack`` at a small scale: two gunicorn API processes on real PostgreSQL and Redis.

The full run (``deploy/stack.py``) is exercised end to end with 150 workload requests, the
session's small bundle and applicants: the refresh, lockout and cache checks across
processes, ``kill -9`` of one API process mid-workload and the request-by-request audit
match. Without PostgreSQL or Redis this skips locally and fails when ``CI=true``.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import psycopg
import pytest
import redis

from deploy import stack, stack_scale

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("OCTROI_TEST_PG_URL", stack.DEFAULT_PG_ADMIN_URL)
REDIS_URL = os.environ.get("OCTROI_TEST_REDIS_BASE_URL", stack.DEFAULT_REDIS_URL)
TEST_REDIS_DB = 12  # not the suite's 15 nor make stack's 13: runs side by side stay apart


def _unreachable() -> str | None:
    try:
        with psycopg.connect(stack.pg_conninfo(PG_ADMIN_URL), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}"
    try:
        redis.Redis.from_url(f"{REDIS_URL}/{TEST_REDIS_DB}", socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis unreachable at {REDIS_URL}: {exc}"
    return None


@pytest.fixture(scope="module")
def services_available() -> None:
    reason = _unreachable()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(f"{reason} (set CI=true to make this a failure)")


def _databases(prefix: str) -> set[str]:
    with psycopg.connect(stack.pg_conninfo(PG_ADMIN_URL)) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)).fetchall()
    return {row[0] for row in rows}


def test_two_api_processes_share_state_and_survive_a_kill_without_losing_audit_events(
    services_available: None, trained_bundle_dir: Path, applicants_csv: Path, tmp_path: Path
) -> None:
    before = _databases("octroi_stack_")
    lines: list[str] = []
    config = stack.Config(
        work_dir=tmp_path, requests=150, threads=8, time_limit=60, kill_at=0.4,
        pg_admin_url=PG_ADMIN_URL, redis_url=REDIS_URL, redis_db=TEST_REDIS_DB,
        model_dir=trained_bundle_dir, applicants_csv=applicants_csv, out=lines.append,
    )

    result = stack.run(config)
    stack.print_report(result, lines.append)

    report = "\n".join(lines)
    assert result.ok, report
    names = {check.name for check in result.checks}
    assert {
        "refresh rotated on 1 refused on 2", "lockout on 1 holds on 2",
        "score cached by 1 served from Redis by 2", "kill -9 of api-1: api-2 keeps serving",
        "every request has exactly its events", "one valid gapless chain (octroi audit verify)",
        "dashboard serves",
    } <= names
    figures = result.figures
    assert figures["workload_requests"] >= 100, report
    assert figures["events_in_run"] == figures["expected_in_run"] >= figures["workload_requests"] - 10, report
    assert figures["verify"]["valid"] and figures["verify"]["events_checked"] == figures["events_total"]
    assert figures["kill_after_s"] is not None and figures["by_process"]["api-1"] > 0
    # Everything started was stopped and cleaned: no database left behind, no keys in Redis.
    assert _databases("octroi_stack_") == before
    assert not list(redis.Redis.from_url(f"{REDIS_URL}/{TEST_REDIS_DB}").scan_iter(match="octroi:*"))


def test_a_request_answered_without_its_audit_event_fails_the_check(tmp_path: Path, db_url: str) -> None:
    env = stack.stack_env(stack.Config(work_dir=tmp_path), db_url, "redis://127.0.0.1:6379/12", tmp_path)
    recorder = stack.Recorder("neg")
    answered = stack.Call(recorder.new_id(), 1, "score", frozenset({200}), stack.AUDITED, status=200)
    cut_off = stack.Call(recorder.new_id(), 1, "score", frozenset({200}), stack.AUDITED,
                         transport=stack.TRANSPORT_NO_ANSWER)
    recorder.add(answered)
    recorder.add(cut_off)

    checks, figures = stack.check_audit(db_url, env, recorder, baseline_seq=0)

    by_name = {check.name: check for check in checks}
    assert not by_name["every request has exactly its events"].ok
    assert answered.request_id in by_name["every request has exactly its events"].detail
    assert cut_off.request_id not in by_name["every request has exactly its events"].detail  # 0 of at most 1
    assert figures["answered_expected"] == 1 and figures["answered_found"] == 0
    assert by_name["one valid gapless chain (octroi audit verify)"].ok  # an empty chain is valid


def test_expected_events_follow_the_answer_and_allow_a_cut_off_request_either_way() -> None:
    def call(**kw: object) -> stack.Call:
        return stack.Call("stk-x-000001", 1, "login", frozenset({200}), stack.LOGIN, **kw)  # type: ignore[arg-type]

    assert call(status=200).expected_events() == (1, 1)
    assert call(status=401).expected_events() == (1, 1)
    assert call(status=422).expected_events() == (0, 0)
    assert call(transport=stack.TRANSPORT_CONNECT).expected_events() == (0, 0)
    assert call(transport=stack.TRANSPORT_NO_ANSWER).expected_events() == (0, 1)
    assert sum(stack.SESSION_SIZES[k] for k in stack.plan_sessions(150)) >= 150


# ----------------------------------------------------------------------------- --scale (deploy/stack_scale.py)


def test_scale_mode_parses_its_process_counts_and_keeps_the_default_run_unchanged() -> None:
    assert stack.parse_args([]).scale == ()  # no flag: the checks above, as before
    config = stack.parse_args(["--scale", "1,2,4", "--seconds", "10", "--clients", "12"])
    assert (config.scale, config.scale_seconds, config.scale_warmup, config.scale_clients) == ((1, 2, 4), 10, 3, 12)
    assert stack_scale.rerun_command(config) == 'make stack STACK_ARGS="--scale 1,2,4 --seconds 10 --clients 12"'
    assert stack.parse_args(["--scale", "1,2", "--repeat", "2"]).scale_repeat == 2
    for wrong in ("", "0,1", "2,1", "1,1", "one"):
        with pytest.raises(ValueError):
            stack.parse_counts(wrong)
    with pytest.raises(SystemExit):
        stack.parse_args(["--scale", "4,2"])
    assert stack.gunicorn_command(8000)[stack.gunicorn_command(8000).index("--workers") + 1] == "2"
    assert stack.gunicorn_command(8000, workers=1)[stack.gunicorn_command(8000).index("--workers") + 1] == "1"


def test_scale_plan_gives_every_request_its_own_cache_entry() -> None:
    plan = stack_scale.plan_requests([str(n) for n in range(100, 150)], seed=1)
    assert len(plan) == len(set(plan)) == 50 * 4
    assert {op for op, _ in plan} == {"score", "explanation"}
    # Thread i walks plan[i::clients]: no two threads ever ask the same thing.
    slices = [set(plan[i::16]) for i in range(16)]
    assert sum(len(s) for s in slices) == len(plan)


def test_scale_accounting_is_exact_only_when_every_answer_has_exactly_its_event() -> None:
    def call(rid: str, **kw: object) -> stack.Call:
        return stack.Call(rid, 1, "score", frozenset({200}), stack.AUDITED, **kw)  # type: ignore[arg-type]

    calls = [call("stk-a-1", status=200), call("stk-a-2", status=200),
             call("stk-a-3", transport=stack.TRANSPORT_NO_ANSWER)]
    exact = stack.account(calls, Counter({"stk-a-1": 1, "stk-a-2": 1}))
    assert exact.exact and (exact.expected, exact.found, exact.in_doubt_found, exact.in_doubt_max) == (2, 2, 0, 1)
    assert stack.account(calls, Counter({"stk-a-1": 1, "stk-a-2": 1, "stk-a-3": 1})).exact  # all of a cut-off
    missing = stack.account(calls, Counter({"stk-a-1": 1}))
    assert not missing.exact and "stk-a-2" in missing.mismatches[0]
    # A lost event made up for by a duplicate: the totals agree, the request-by-request match does not.
    swapped = stack.account(calls, Counter({"stk-a-1": 2}))
    assert swapped.found == swapped.expected and not swapped.exact
    assert not stack.account(calls, Counter({"stk-a-1": 1, "stk-a-2": 1, "other": 1})).exact


def test_scale_window_and_cpu_ceiling_are_ratios_of_what_was_measured() -> None:
    def call(rid: str, sent: float, done: float, status: int = 200, op: str = "score") -> stack.Call:
        return stack.Call(rid, 1, op, frozenset({200}), stack.AUDITED, status=status, sent_at=sent, done_at=done)

    calls = [call("l", 0.0, 0.5, op="login"), call("w", 0.5, 0.9),  # before the window
             call("a", 1.0, 1.1), call("b", 1.0, 1.3), call("c", 2.0, 2.2), call("d", 2.5, 2.6, status=503),
             call("late", 2.9, 3.5)]  # after it
    measured = stack_scale.window(calls, 1.0, 3.0)
    assert (measured.answered, measured.audited, dict(measured.other)) == (4, 3, {"503": 1})
    assert measured.rate == pytest.approx(1.5)
    assert measured.p50_ms == pytest.approx(200) and measured.p95_ms == pytest.approx(300)

    start = stack_scale.CpuSample(at=0.0, api=10.0, generator=1.0, database={7: 2.0}, machine_busy=100.0, backlog=0)
    end = stack_scale.CpuSample(at=10.0, api=16.0, generator=2.0, database={7: 3.5, 8: 0.5}, machine_busy=118.0,
                                backlog=3)
    use = stack_scale.cpu_between(start, end)
    assert (use.api, use.generator, use.database, use.machine, use.seconds) == (6.0, 1.0, 2.0, 18.0, 10.0)
    # 9 CPU seconds for 300 requests: 30 ms each, so 2 cores answer at most 66.7 per second.
    assert stack_scale.cpu_ceiling(use, 300, cores=2) == pytest.approx(2 / 0.03)
    assert stack_scale.cpu_ceiling(use, 0, cores=2) == 0.0


def test_scale_ratio_splits_into_cpu_obtained_and_cpu_per_request() -> None:
    def run_of(processes: int, audited: int, stack_cpu: float) -> stack_scale.ScaleRun:
        use = stack_scale.CpuUse(api=stack_cpu, generator=0.0, database=0.0, machine=20.0, seconds=10.0)
        measured = stack_scale.Window(audited, audited, Counter(), audited / 10.0, 1.0, 2.0)
        return stack_scale.ScaleRun(processes, measured, use, 0.0, stack.Accounting([], 0, 0, 0, 0, 0), audited,
                                    0, 0.0, {}, [])

    one, two = run_of(1, 1000, 9.0), run_of(2, 1200, 13.5)
    more_cpu, cheaper = stack_scale.decompose(two, one)
    assert (more_cpu, cheaper) == (pytest.approx(1.5), pytest.approx(0.8))
    assert more_cpu * cheaper == pytest.approx(two.window.rate / one.window.rate)
    assert stack_scale.verdict(two, cores=2).startswith("CPU-bound")  # 20 CPU s in 10 s on 2 cores
    assert stack_scale.median_rates([one, two, run_of(1, 800, 9.0), run_of(1, 900, 9.0)]) == {1: 90.0, 2: 120.0}
