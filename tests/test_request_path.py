"""The secured request path: one guard per route, one transaction per request, and every
revocation, lockout and rate limit still taking effect at once across API processes.

"Another process" is a second app instance on the same database: its own engine, pool,
caches and memory, as a second replica has; nothing is shared but the database.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from backend.app import create_app
from backend.audit.actions import AuditAction
from backend.audit.models import AuditEvent
from backend.db import (
    READ_FIRST,
    begin_write,
    is_sqlite,
    make_engine,
    make_sessionmaker,
    read_first_session,
)
from backend.ratelimit import RateLimitCounter
from tests.fixtures.auth import login

API = "/api/v1"
ROOT = Path(__file__).resolve().parents[1]
SCORING_LIMIT = 4


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir, rate_limit_scoring_per_minute=SCORING_LIMIT)


@pytest.fixture
def other(settings, cheap_argon2):
    """A second API process on the same database."""
    with TestClient(create_app(settings)) as replica:
        yield replica


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


# --- one guard per route --------------------------------------------------------------------


def test_no_route_module_names_an_audit_action_as_a_free_string():
    offenders = []
    for path in sorted((ROOT / "backend").rglob("routes.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""action\s*=\s*["']""", line) or re.search(r"""load_client\(.*["'][a-z]+\.[a-z_]+["']""", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders


def test_audit_actions_keep_the_stored_strings():
    # The trail, the docs and the offline verifier read these values: they never change.
    assert AuditAction.score_compute == "score.compute" and AuditAction.client_read.value == "client.read"
    assert AuditAction("explanation.read") is AuditAction.explanation_read
    assert len({a.value for a in AuditAction}) == len(AuditAction)
    assert AuditAction.score_compute.reads_only and not AuditAction.decision_record.reads_only
    assert not AuditAction.privacy_erase.reads_only and not AuditAction.user_update.reads_only


# --- one transaction per request ------------------------------------------------------------


class Recorder:
    """Every transaction begun on an engine (read-first or not) and the statements in each."""

    def __init__(self, engine) -> None:
        self.transactions: list[dict] = []
        self._current: dict[int, dict] = {}
        self.engine = engine
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "before_cursor_execute", self._statement)

    def _begin(self, connection) -> None:
        tx = {"read_first": bool(connection.get_execution_options().get(READ_FIRST)), "statements": []}
        self.transactions.append(tx)
        self._current[id(connection.connection.dbapi_connection)] = tx

    def _statement(self, connection, _cursor, statement, *_args) -> None:
        tx = self._current.get(id(connection.connection.dbapi_connection))
        statement = " ".join(statement.split()).lower()
        if tx is not None and not statement.startswith("begin"):  # the next transaction's own BEGIN
            tx["statements"].append(statement)

    def clear(self) -> None:
        self.transactions.clear()
        self._current.clear()

    def close(self) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "before_cursor_execute", self._statement)


def test_a_score_request_reads_without_the_write_lock_and_writes_once(app, client, auth_headers, imported_clients):
    headers = auth_headers("advisor")
    url = f"{API}/clients/{imported_clients[0]}/explanation"
    recorder = Recorder(app.state.engine)
    try:
        assert client.get(url, headers=headers).status_code == 200
        transactions = [t for t in recorder.transactions if t["statements"]]
    finally:
        recorder.close()
    statements = [s for t in transactions for s in t["statements"]]
    # The user and the login session in one query.
    sessions = [s for s in statements if "refresh_families" in s]
    assert len(sessions) == 1 and " users" in sessions[0]
    writes = [t for t in transactions if any(s.startswith(("insert", "update", "delete")) for s in t["statements"])]
    assert len(writes) == 1, "the audit event and the rate count commit in one transaction"
    write = writes[0]["statements"]
    assert any(s.startswith("insert into audit") for s in write)
    assert any("rate_limit_counters" in s for s in write), "the rate count is in the audited transaction"
    assert len(transactions) == 1, "one session transaction, one connection"
    if is_sqlite(app.state.engine):
        # A deferred read part (no write lock while the model works), its end, then the one write
        # under BEGIN IMMEDIATE (the Recorder leaves out BEGIN statements) on the same connection.
        assert transactions[0]["read_first"]
        end = statements.index("commit")
        assert all(s.startswith("select") for s in statements[:end]), statements
        assert all(s.startswith(("insert", "delete")) for s in statements[end + 1 :]), statements


def test_a_guarded_request_makes_one_thread_pool_trip(app, client, auth_headers, imported_clients, monkeypatch):
    """Guard (session, user, rate budget, client, model) and route run in one trip, not four
    (a generator dependency in and out, the route, the answer's validation)."""
    import anyio.to_thread

    headers = auth_headers("advisor")
    trips: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):
        called = getattr(func, "func", func)  # starlette hands a functools.partial
        trips.append(getattr(called, "__name__", repr(called)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    for path in (f"/clients/{imported_clients[0]}/explanation", f"/clients/{imported_clients[0]}", "/model"):
        trips.clear()
        response = client.get(API + path, headers=headers)
        assert response.status_code == 200, response.text
        assert trips == ["run"], (path, trips)
    assert response.headers["X-Model-Version"]  # set by the model lookup inside the trip


class HeldClientLoads:
    """Every client lookup inside a guarded request waits for ``release`` (counted meanwhile)."""

    def __init__(self, monkeypatch) -> None:
        import backend.clients.guard as client_guard

        self.active = self.peak = 0
        self.lock, self.release = threading.Lock(), threading.Event()
        real = client_guard.load_client

        def held(*args, **kwargs):
            with self.lock:
                self.active += 1
                self.peak = max(self.peak, self.active)
            try:
                self.release.wait(10)
                return real(*args, **kwargs)
            finally:
                with self.lock:
                    self.active -= 1

        monkeypatch.setattr(client_guard, "load_client", held)

    def wait_for(self, count: int) -> None:
        for _ in range(500):
            if self.active >= count:
                break
            time.sleep(0.01)
        time.sleep(0.3)  # the others had time to get in, had there been room


def _explanations(client, headers, ids) -> tuple[list[threading.Thread], list[int]]:
    statuses: list[int] = []

    def ask(raw: int) -> None:
        statuses.append(client.get(f"{API}/clients/{raw}/explanation", headers=headers).status_code)

    askers = [threading.Thread(target=ask, args=(raw,)) for raw in ids]
    for asker in askers:
        asker.start()
    return askers, statuses


@pytest.mark.parametrize("threads", [1, 3])
def test_guarded_requests_share_the_apps_own_pool_of_request_threads(
    settings, imported_clients, make_user, monkeypatch, threads
):
    """``OCTROI_REQUEST_THREADS`` bounds how many guarded requests one process works on at once;
    the others wait their turn and are all answered. Logins run on FastAPI's own pool, so they
    still answer while every request thread is taken."""
    from pydantic import ValidationError

    from backend.settings import Settings

    with pytest.raises(ValidationError, match="request_threads"):
        Settings(request_threads=-1)
    app = create_app(settings.model_copy(update={"request_threads": threads}))
    assert app.state.request_limiter.total_tokens == threads
    held = HeldClientLoads(monkeypatch)
    username, password = make_user("pooled-advisor", "advisor")
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}
        askers, statuses = _explanations(client, headers, imported_clients[:SCORING_LIMIT])
        try:
            held.wait_for(threads)
            assert held.peak == threads
            assert login(client, username, password)["access_token"]  # not on the request pool
        finally:
            held.release.set()
            for asker in askers:
                asker.join()
    assert statuses == [200] * SCORING_LIMIT


class WhereItRan:
    """Records, for each call of ``module.name``, whether it ran on the event loop's thread."""

    def __init__(self, monkeypatch, module, name: str) -> None:
        import asyncio

        self.on_loop: list[bool] = []
        real = getattr(module, name)

        def spied(*args, **kwargs):
            try:
                asyncio.get_running_loop()
                self.on_loop.append(True)
            except RuntimeError:  # a thread of a pool: no loop runs there
                self.on_loop.append(False)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spied)


def test_with_no_request_threads_the_event_loop_runs_guarded_requests_with_the_same_answers(
    settings, imported_clients, make_user, monkeypatch
):
    """``OCTROI_REQUEST_THREADS=0``: the trip runs on the event loop itself (no thread), with the
    same answers and audit events as on the request threads; the trail's verification
    (long-running) and logins still run on FastAPI's pool."""
    import backend.audit.routes as audit_routes
    import backend.clients.guard as client_guard

    loads = WhereItRan(monkeypatch, client_guard, "load_client")
    verifications = WhereItRan(monkeypatch, audit_routes, "verify_trail")
    advisor, officer = make_user("looping-advisor", "advisor"), make_user("looping-officer", "compliance")
    answers = {}
    for threads in (2, 0):
        app = create_app(settings.model_copy(update={"request_threads": threads}))
        assert (app.state.request_limiter is None) == (threads == 0)
        with TestClient(app) as client:
            headers = {"Authorization": f"Bearer {login(client, *advisor)['access_token']}"}
            answer = client.get(f"{API}/clients/{imported_clients[0]}/explanation?top=5", headers=headers)
            assert answer.status_code == 200, answer.text
            answers[threads] = answer.json()
            officer_headers = {"Authorization": f"Bearer {login(client, *officer)['access_token']}"}
            verified = client.get(f"{API}/audit/verify", headers=officer_headers)
            assert verified.status_code == 200, verified.text
            assert verified.json()["valid"] is True
    assert loads.on_loop == [False, True]
    assert verifications.on_loop == [False, False]
    assert answers[0] == answers[2]
    events = _events(app, AuditAction.explanation_read.value)
    assert [e.actor for e in events] == ["looping-advisor", "looping-advisor"]
    assert events[0].resource == events[1].resource == answers[0]["pseudonym"]


def test_a_long_running_route_does_not_wait_for_a_request_thread(settings, imported_clients, make_user, monkeypatch):
    """The trail's verification (long_running: it grows with the trail) runs on FastAPI's pool:
    it answers while the only request thread is taken, and never takes that thread itself."""
    app = create_app(settings.model_copy(update={"request_threads": 1}))
    held = HeldClientLoads(monkeypatch)
    advisor, compliance = make_user("held-advisor", "advisor"), make_user("verifying-officer", "compliance")
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {login(client, *advisor)['access_token']}"}
        officer = {"Authorization": f"Bearer {login(client, *compliance)['access_token']}"}
        askers, statuses = _explanations(client, headers, imported_clients[:1])
        try:
            held.wait_for(1)
            assert app.state.request_limiter.borrowed_tokens == 1
            verified = client.get(f"{API}/audit/verify", headers=officer)
            assert verified.status_code == 200, verified.text
            assert verified.json()["valid"] is True
            assert held.active == 1  # answered while the explanation still held the thread
        finally:
            held.release.set()
            for asker in askers:
                asker.join()
    assert statuses == [200]


def test_the_guard_answers_401_and_403_before_parameters_are_validated(app, client, auth_headers, imported_clients):
    """The token and the role's permission are checked before the route's parameters: a caller
    who may not call a route learns nothing of its parameters, and the refusal is audited."""
    bad = f"{API}/clients/{imported_clients[0]}/explanation?top=999"
    assert client.get(bad).status_code == 401
    assert client.get(bad, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    before = len(_events(app, AuditAction.access_denied.value))
    assert client.get(bad, headers=auth_headers("comex")).status_code == 403
    assert len(_events(app, AuditAction.access_denied.value)) == before + 1
    assert client.get(bad, headers=auth_headers("advisor")).status_code == 422


def test_a_changing_route_is_one_immediate_transaction(app, client, auth_headers, make_user):
    headers = auth_headers("admin")
    make_user("to-disable", "comex")
    recorder = Recorder(app.state.engine)
    try:
        assert client.patch(f"{API}/users/to-disable", json={"active": False}, headers=headers).status_code == 200
        transactions = [t for t in recorder.transactions if t["statements"]]
    finally:
        recorder.close()
    assert len(transactions) == 1 and not transactions[0]["read_first"]


def test_a_read_first_session_reads_while_another_process_writes(db_url):
    if not is_sqlite(db_url):
        pytest.skip("PostgreSQL readers never take a write lock")
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    try:
        writer = factory()
        writer.execute(text("UPDATE rate_limit_counters SET count = count WHERE 1 = 0"))  # holds the lock
        reader = read_first_session(factory)
        reader.execute(text("PRAGMA busy_timeout=50"))
        assert reader.execute(select(func.count()).select_from(RateLimitCounter)).scalar() == 0
        writer.commit()
        # After a concurrent commit, an in-place upgrade would be SQLITE_BUSY_SNAPSHOT;
        # begin_write ends the snapshot first, so the write goes through.
        other = factory()
        other.add(RateLimitCounter(scope="scoring", subject="x", window_start=0, count=1))
        other.commit()
        other.close()
        begin_write(reader)
        reader.add(RateLimitCounter(scope="scoring", subject="y", window_start=0, count=1))
        reader.commit()
        assert reader.execute(select(func.count()).select_from(RateLimitCounter)).scalar() == 2
        reader.close()
        writer.close()
    finally:
        engine.dispose()


def test_a_write_lock_held_elsewhere_is_sqlalchemys_error_at_begin_and_at_begin_write(db_url):
    """SQLite's transaction control runs on the cursor (backend.db): a write lock it cannot get
    is still SQLAlchemy's ``OperationalError`` (callers fail closed), the engine's listeners
    still see the statement, and nothing is left half begun."""
    if not is_sqlite(db_url):
        pytest.skip("SQLite's transaction control; PostgreSQL begins through its driver")
    engine = make_engine(db_url)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        reader = read_first_session(make_sessionmaker(engine))
        reader.connection().connection.driver_connection.execute("PRAGMA busy_timeout=50")
        assert reader.execute(select(func.count()).select_from(RateLimitCounter)).scalar() == 0
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="locked"):
            begin_write(reader)
        assert seen[-1] == "BEGIN IMMEDIATE"
        reader.close()
        with engine.connect() as connection:
            connection.connection.driver_connection.execute("PRAGMA busy_timeout=50")
            with pytest.raises(OperationalError, match="locked"):
                connection.begin()
            assert not connection.in_transaction()
        holder.execute("ROLLBACK")
        with engine.begin() as connection:  # the lock is free again: a write goes through
            connection.execute(RateLimitCounter.__table__.insert(), {"scope": "s", "subject": "x", "window_start": 0,
                                                                      "count": 1})
    finally:
        holder.close()
        engine.dispose()


def test_begin_write_takes_the_write_lock_on_the_same_connection_and_keeps_it_for_what_follows(db_url):
    if not is_sqlite(db_url):
        pytest.skip("PostgreSQL: begin_write does nothing, the request is one transaction")
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    recorder = Recorder(engine)
    try:
        reader = read_first_session(factory)
        assert reader.execute(select(func.count()).select_from(RateLimitCounter)).scalar() == 0
        read_connection = reader.connection().connection.dbapi_connection
        begin_write(reader)
        assert reader.connection().connection.dbapi_connection is read_connection
        # Another writer now waits for the lock (and gives up after its short busy timeout).
        other = sqlite3.connect(engine.url.database, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        reader.add(RateLimitCounter(scope="scoring", subject="x", window_start=0, count=1))
        reader.commit()
        # The session's next transaction writes under BEGIN IMMEDIATE too.
        reader.add(RateLimitCounter(scope="scoring", subject="y", window_start=0, count=1))
        reader.commit()
        reader.close()
        begun = [t["read_first"] for t in recorder.transactions if t["statements"]]
        assert begun[0] is True and begun[-1] is False, begun
    finally:
        recorder.close()
        engine.dispose()


def test_concurrent_score_requests_on_two_processes_all_answer_and_are_all_audited(
    app, client, other, make_user, imported_clients, settings
):
    users = [make_user(f"advisor-{i}", "advisor") for i in range(4)]
    tokens = [login(client, u, p)["access_token"] for u, p in users]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def work(n: int) -> None:
        target = client if n % 2 == 0 else other
        headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
        for i in range(3):
            raw = imported_clients[(n * 3 + i) % len(imported_clients)]
            status = target.get(f"{API}/clients/{raw}/explanation?top={1 + i}", headers=headers).status_code
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 4 users x 6 requests; each user's budget is 4: exactly 16 answers, 8 refusals, no 503.
    assert statuses == {200: 4 * SCORING_LIMIT, 429: 8}
    assert len(_events(app, "explanation.read")) == 4 * SCORING_LIMIT
    assert len(_events(app, "rate.limited")) == 8
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.sum(RateLimitCounter.count))) == 4 * SCORING_LIMIT


# --- revocation, lockout and rate limits across processes -----------------------------------


def test_a_user_disabled_in_one_process_is_refused_at_once_in_another(
    client, other, auth_headers, make_user, imported_clients
):
    admin = auth_headers("admin")
    username, password = make_user("leaving-advisor", "advisor")
    token = login(other, username, password)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{API}/clients/{imported_clients[0]}/score"
    # Verified once, the token is now in the verified-token cache: revocation never relies on it.
    assert other.get(url, headers=headers).status_code == 200
    assert client.patch(f"{API}/users/{username}", json={"active": False}, headers=admin).status_code == 200
    assert other.get(url, headers=headers).status_code == 401
    assert other.get(f"{API}/auth/me", headers=headers).status_code == 401


def test_a_role_changed_in_one_process_ends_the_old_tokens_in_another(client, other, auth_headers, make_user):
    admin = auth_headers("admin")
    username, password = make_user("moving-advisor", "advisor")
    headers = {"Authorization": f"Bearer {login(other, username, password)['access_token']}"}
    assert other.get(f"{API}/auth/me", headers=headers).status_code == 200
    assert client.patch(f"{API}/users/{username}", json={"role": "comex"}, headers=admin).status_code == 200
    assert other.get(f"{API}/auth/me", headers=headers).status_code == 401


def test_a_session_ended_in_one_process_is_refused_at_once_in_another(client, other, make_user, imported_clients):
    username, password = make_user("short-session", "advisor")
    tokens = login(client, username, password)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    url = f"{API}/clients/{imported_clients[0]}/score"
    assert other.get(url, headers=headers).status_code == 200
    assert client.post(f"{API}/auth/logout", headers=headers).status_code == 200
    response = other.get(url, headers=headers)
    assert response.status_code == 401 and "Session ended" in response.json()["detail"]
    # The refresh token of the ended session is refused by the other process too.
    assert other.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_a_lockout_in_one_process_holds_in_another(app, client, other, make_user):
    username, password = make_user("locked-out", "advisor")
    failures = app.state.auth_settings.lockout_threshold
    for i in range(failures):
        target = client if i % 2 == 0 else other
        assert target.post(f"{API}/auth/token", data={"username": username, "password": "wrong-Password-1!"}).status_code == 401
    response = other.post(f"{API}/auth/token", data={"username": username, "password": password})
    assert response.status_code == 429 and response.json()["code"] == "account_locked"
    assert client.post(f"{API}/auth/token", data={"username": username, "password": password}).status_code == 429


def test_the_scoring_budget_is_counted_across_processes(app, client, other, auth_headers, imported_clients):
    headers = auth_headers("advisor")
    url = f"{API}/clients/{imported_clients[0]}/explanation"
    answers = [(client if i % 2 == 0 else other).get(url, headers=headers).status_code for i in range(SCORING_LIMIT + 2)]
    assert answers == [200] * SCORING_LIMIT + [429, 429]
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.sum(RateLimitCounter.count))) == SCORING_LIMIT
    refused = _events(app, "rate.limited")
    assert len(refused) == 2 and refused[0].actor == "advisor-user"


def test_with_redis_the_budget_is_counted_there_across_processes(
    db_url, make_settings, trained_bundle_dir, make_user, imported_clients
):
    import os
    import uuid

    import redis

    url = os.environ.get("OCTROI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis unreachable in CI: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    username, password = make_user(f"redis-{uuid.uuid4().hex[:8]}", "advisor")  # a fresh Redis key
    settings = make_settings(db_url, model_dir=trained_bundle_dir, redis_url=url,
                             rate_limit_scoring_per_minute=SCORING_LIMIT)
    first, second = create_app(settings), create_app(settings)
    with TestClient(first) as a, TestClient(second) as b:
        headers = {"Authorization": f"Bearer {login(a, username, password)['access_token']}"}
        score = f"{API}/clients/{imported_clients[0]}/score"
        answers = [(a if i % 2 == 0 else b).get(score, headers=headers).status_code for i in range(SCORING_LIMIT + 1)]
    assert answers == [200] * SCORING_LIMIT + [429]
    with first.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(RateLimitCounter)) == 0, "counted in Redis only"
