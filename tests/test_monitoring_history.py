"""The drift and backtest histories at a bank's pace: one published result a day.

The drift route read each of the 50 reports its history lists whole (about 70 KB each) and
worked out each point's PSI again, with two more queries a point, on every view: 0.26 to 0.34 s
with 50 points against 0.02 with one (``bench/bench_monitoring_history.py``). Each published
result now keeps its point (``backend.monitoring.service.point_of``), set by the job that
stores it; a result stored before has its point worked out by the route until the next job of
its kind fills it in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from backend.monitoring.models import MonitoringAggregate
from tests.test_monitoring_jobs import outcomes, settings  # noqa: F401 - fixtures

API = "/api/v1"


def _copies(app, kind: str, count: int) -> None:
    """``count`` copies of the published result of ``kind``, a day earlier each, on other
    people (what a daily job over a changing population leaves), with its point."""
    with app.state.sessionmaker() as db:
        first = db.scalars(select(MonitoringAggregate).where(MonitoringAggregate.kind == kind)).one()
        for day in range(1, count + 1):
            db.add(MonitoringAggregate(
                kind=kind, model_version=first.model_version, population_revision=f"earlier-{day}",
                computed_at=first.computed_at - timedelta(days=day), duration_seconds=1.0, payload=first.payload,
                published=True, changed_people=10 + day, point=first.point,
            ))
        db.commit()


def _statements(app, client, url: str, headers: dict) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statement = " ".join(statement.split()).lower()
        # Not the audit trail's: the sequencer chains the previous request's event on its own
        # connection of the same engine, whenever it wakes.
        if "audit" not in statement and statement not in ("begin", "commit", "rollback", "begin immediate"):
            seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        response = client.get(url, headers=headers)
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    return seen


@pytest.mark.parametrize("kind", ["drift", "backtest"])
def test_a_history_of_fifty_points_costs_the_route_no_more_statements_nor_any_stored_report(
    app, client, auth_headers, settings, outcomes, run_jobs, kind  # noqa: F811
):
    run_jobs(settings, kind)
    comex, url = auth_headers("comex"), f"{API}/monitoring/{kind}"
    client.get(url, headers=comex)  # warm: the bundle, the token
    alone = _statements(app, client, url, comex)
    shown = client.get(url, headers=comex).json()["history"]
    _copies(app, kind, 49)
    with_history = _statements(app, client, url, comex)
    body = client.get(url, headers=comex).json()
    assert len(body["history"]) == 50 and all(
        {k: v for k, v in point.items() if k != "computed_at"} == {k: v for k, v in shown[0].items() if k != "computed_at"}
        for point in body["history"])
    assert len(with_history) == len(alone), (alone, with_history)
    # Stored results read whole: the one served and, beside a drift report, the first portfolio
    # and drift results published on its people (``published_edges``); no point of the history.
    reading = [s for s in with_history if "monitoring_aggregates.payload" in s and "from monitoring_aggregates" in s]
    assert len(reading) == (3 if kind == "drift" else 1), reading


def test_a_result_stored_before_its_point_or_its_version_is_listed_the_same_then_gets_it_from_the_next_job(
    app, client, auth_headers, settings, outcomes, run_jobs  # noqa: F811
):
    run_jobs(settings, "portfolio", "drift", "backtest")
    comex = auth_headers("comex")
    before = {kind: client.get(f"{API}/monitoring/{kind}", headers=comex).json()["history"] for kind in ("drift", "backtest")}
    with app.state.sessionmaker() as db:
        kept = {row.kind: row.point for row in db.scalars(select(MonitoringAggregate))
                if row.kind in ("drift", "backtest")}
        assert all(kept.values()), kept  # the job stored each one's point
        rows = list(db.scalars(select(MonitoringAggregate).order_by(MonitoringAggregate.id)))
        # Worked out by rules since changed (``point_version``: a digest of their code): its PSI
        # was shown then, the rules now withhold it. Served as the rules now say, not as stored.
        rows[1].point = {**rows[1].point, "score_psi": 0.5, "version": "rules-of-before"}
        rows[2].point = None  # as stored before migration 0019
        assert [r.kind for r in rows] == ["portfolio", "drift", "backtest"]
        db.commit()
    for kind in ("drift", "backtest"):  # worked out by the route meanwhile, the same
        assert client.get(f"{API}/monitoring/{kind}", headers=comex).json()["history"] == before[kind]
    run_jobs(settings, "drift", "backtest")  # reruns on the same people: no new point
    with app.state.sessionmaker() as db:
        rows = list(db.scalars(select(MonitoringAggregate).order_by(MonitoringAggregate.id)))
        first = {kind: next(r for r in rows if r.kind == kind) for kind in ("drift", "backtest")}
        assert {kind: row.point for kind, row in first.items()} == kept
        assert all(r.point is None for r in rows if r.kind == "portfolio")  # no history lists them
    for kind in ("drift", "backtest"):
        assert client.get(f"{API}/monitoring/{kind}", headers=comex).json()["history"] == before[kind]
