"""OWASP API4:2023 Unrestricted Resource Consumption.

An attacker sends huge bodies, asks for huge pages, or scores thousands of variants to probe
the model. Each is bounded: 413 over 1 MB, every page-size parameter has a declared maximum,
and a per-user sliding-window limit on scoring answers 429 with ``Retry-After`` and an audit
event. The counters are shared (database or Redis), so a second API process does not double
the budget.
"""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.audit.models import AuditEvent
from backend.middleware import MAX_BODY_BYTES
from backend.ratelimit import (
    RateLimitCounter,
    RateLimiter,
    RedisCounters,
    estimate,
    rate_limit,
    retry_after_seconds,
)
from tests.fixtures.auth import login

API = "/api/v1"
SCORING_LIMIT = 3


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir, rate_limit_scoring_per_minute=SCORING_LIMIT)


def _events(app, action):
    with app.state.sessionmaker() as db:
        return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def test_a_body_over_one_megabyte_is_refused_with_413_before_any_work(app, client, auth_headers):
    advisor = auth_headers("advisor")
    before = len(_events(app, "score.simulate"))
    body = b'{"features": {"AMT_CREDIT": "' + b"9" * (MAX_BODY_BYTES + 1) + b'"}}'
    response = client.post(f"{API}/scoring/simulate", content=body,
                           headers={**advisor, "content-type": "application/json"})
    assert response.status_code == 413
    assert len(_events(app, "score.simulate")) == before


def test_every_page_size_parameter_declares_a_maximum_and_enforces_it(app, client, auth_headers):
    sizes = {"limit", "top", "k", "page_size", "per_page", "size"}
    capped = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                if param["name"] in sizes and param["in"] == "query":
                    schema = param["schema"]
                    assert "maximum" in schema, f"{method.upper()} {path} ?{param['name']} has no maximum"
                    capped.append((path, param["name"], schema["maximum"]))
    assert ("/api/v1/audit/events", "limit", 500) in capped
    response = client.get(f"{API}/audit/events", params={"limit": 501}, headers=auth_headers("compliance"))
    assert response.status_code == 422 and "limit" in response.json()["detail"]


def test_scoring_beyond_the_per_user_limit_gets_429_retry_after_and_an_audit_event(
    app, client, auth_headers, imported_clients
):
    advisor = auth_headers("advisor")
    url = f"{API}/clients/{imported_clients[0]}/score"
    for _ in range(SCORING_LIMIT):
        assert client.get(url, headers=advisor).status_code == 200
    refused = client.get(url, headers=advisor)
    assert refused.status_code == 429
    # Up to two windows: the refused counts keep weighing on the next window.
    assert 1 <= int(refused.headers["retry-after"]) <= 120
    assert "rate limit" in refused.json()["detail"] and str(imported_clients[0]) not in refused.text
    [event] = _events(app, "rate.limited")
    assert (event.outcome, event.actor, event.role) == ("denied", "advisor-user", "advisor")
    assert event.resource == "/api/v1/clients/{client_id}/score"
    assert event.details == {"scope": "scoring", "limit": SCORING_LIMIT, "window_seconds": 60}
    # The refused request did no scoring work.
    assert len(_events(app, "score.compute")) == SCORING_LIMIT


def test_one_users_limit_does_not_touch_another_user(client, auth_headers, make_user, imported_clients):
    url = f"{API}/clients/{imported_clients[0]}/score"
    first = auth_headers("advisor")
    for _ in range(SCORING_LIMIT):
        client.get(url, headers=first)
    assert client.get(url, headers=first).status_code == 429
    username, password = make_user("second-advisor", "advisor")
    second = {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}
    assert client.get(url, headers=second).status_code == 200


def test_a_second_api_process_shares_the_budget_through_the_database(
    app, client, settings, auth_headers, imported_clients
):
    url = f"{API}/clients/{imported_clients[0]}/score"
    advisor = auth_headers("advisor")
    for _ in range(SCORING_LIMIT - 1):
        assert client.get(url, headers=advisor).status_code == 200
    other = create_app(settings)  # another replica: its own memory, the same database
    with TestClient(other) as replica:
        assert replica.get(url, headers=advisor).status_code == 200
        assert replica.get(url, headers=advisor).status_code == 429
    assert client.get(url, headers=advisor).status_code == 429
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.sum(RateLimitCounter.count))) == SCORING_LIMIT


def test_counter_store_failure_refuses_the_request_with_503(app, client, auth_headers, imported_clients):
    class Broken:
        def hit(self, *args):
            from backend.ratelimit import LimiterUnavailable

            raise LimiterUnavailable("down")

        def undo(self, *args):  # pragma: no cover - never reached
            raise AssertionError

    advisor = auth_headers("advisor")  # before the store breaks: logins spend a budget too (issue 14)
    app.state.rate_limiter = RateLimiter(Broken())
    response = client.get(f"{API}/clients/{imported_clients[0]}/score", headers=advisor)
    assert response.status_code == 503 and "rate limiter" in response.json()["detail"]
    assert _events(app, "score.compute") == []


class FakeStore:
    def __init__(self):
        self.counts: dict[int, int] = {}

    def hit(self, scope, subject, window_start, window):
        self.counts[window_start] = self.counts.get(window_start, 0) + 1
        return self.counts.get(window_start - window, 0), self.counts[window_start]

    def undo(self, scope, subject, window_start):
        self.counts[window_start] -= 1


def test_sliding_window_never_allows_a_double_burst_at_the_window_boundary():
    now = [119.0]  # one second before a minute boundary
    limiter = RateLimiter(FakeStore(), clock=lambda: now[0])
    allowed = sum(limiter.hit("scoring", "u", 10, 60).allowed for _ in range(20))
    assert allowed == 10
    now[0] = 121.0  # just after the boundary: a fixed window would allow 10 more at once
    refused = limiter.hit("scoring", "u", 10, 60)
    assert not refused.allowed
    # Waiting Retry-After really is enough, and not much more than needed.
    now[0] += refused.retry_after
    assert limiter.hit("scoring", "u", 10, 60).allowed
    now[0] -= 1.5
    assert estimate(10, 1, (now[0] - 120) / 60) > 10


def test_retry_after_points_at_the_first_second_a_request_fits():
    for previous, current, elapsed in [(10, 0, 1.0), (10, 5, 30.0), (0, 10, 59.0), (7, 10, 10.0), (25, 3, 2.0)]:
        wait = retry_after_seconds(previous, current, elapsed, 10, 60)
        start = 0.0
        def fits(t: float) -> bool:
            at = elapsed + t
            if at < 60:
                return estimate(previous, current + 1, at / 60) <= 10
            return estimate(current, 1, (at - 60) / 60) <= 10
        assert fits(wait), (previous, current, elapsed, wait)
        assert wait == 1 or not fits(wait - 1.01), (previous, current, elapsed, wait)
        assert start <= wait <= 120


def test_unknown_scope_is_a_programming_error_caught_at_import():
    with pytest.raises(ValueError, match="unknown rate-limit scope"):
        rate_limit("everything")


def test_redis_counters_are_shared_between_limiters():
    url = os.environ.get("OCTROI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        first, second = RedisCounters(url, prefix="octroi-test:rl"), RedisCounters(url, prefix="octroi-test:rl")
        first._redis.ping()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis unreachable in CI: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    for key in first._redis.scan_iter(match="octroi-test:rl:*"):
        first._redis.delete(key)
    now = 1_000_000.0
    a, b = RateLimiter(first, clock=lambda: now), RateLimiter(second, clock=lambda: now)
    assert [a.hit("scoring", "alice", 2, 60).allowed, b.hit("scoring", "alice", 2, 60).allowed] == [True, True]
    assert not a.hit("scoring", "alice", 2, 60).allowed and not b.hit("scoring", "alice", 2, 60).allowed
    assert b.hit("scoring", "bob", 2, 60).allowed
    assert 0 < first._redis.ttl("octroi-test:rl:scoring:alice:999960") <= 125


def test_database_counters_keep_only_the_current_and_previous_window(db_url):
    from backend.db import make_engine, make_sessionmaker
    from backend.ratelimit import DatabaseCounters

    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    now = [1_000_020.0]
    limiter = RateLimiter(DatabaseCounters(factory), clock=lambda: now[0])
    try:
        for minute in range(4):
            now[0] = 1_000_020.0 + 60 * minute
            for _ in range(3):
                assert limiter.hit("scoring", "alice", 100, 60).allowed
            assert limiter.hit("scoring", "bob", 100, 60).allowed
            with factory() as db:
                windows = db.scalars(
                    select(RateLimitCounter.window_start).where(RateLimitCounter.subject == "alice")
                ).all()
            # Windows older than the previous one are deleted when a new window starts.
            assert len(windows) == min(minute + 1, 2)
        with factory() as db:
            assert db.scalar(select(func.sum(RateLimitCounter.count)).where(
                RateLimitCounter.subject == "alice")) == 6
    finally:
        engine.dispose()
