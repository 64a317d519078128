"""Privacy leak scan: after every role has called every endpoint, no raw client id and no
probability (or SHAP value) returned during the scenario appears in any database table, any
log line or the audit export. Both engines.

The scenario walks ``app.routes``, so an endpoint added later is called automatically (with
a real client id in ``{client_id}``). The counts (ids and values searched, places scanned,
hits) are printed and written to ``test-artifacts/leak-scan-<engine>.json``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import MetaData, select

from security.rbac import Role
from tests.test_rbac_routes import api_routes

API = "/api/v1"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
UNKNOWN_ID = "999999901"
VALUE_KEYS = re.compile(r"probab|shap|^effect$|^p$|^score$")


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir, rate_limit_scoring_per_minute=10_000)


def _values(node: Any, key: str = "") -> list[float]:
    found: list[float] = []
    if isinstance(node, dict):
        for k, v in node.items():
            found += _values(v, str(k))
    elif isinstance(node, list):
        for v in node:
            found += _values(v, key)
    elif isinstance(node, float) and VALUE_KEYS.search(key.lower()) and node not in (0.0, 1.0):
        found.append(node)
    return found


def _body(method: str, path: str, raw: str) -> dict[str, Any]:
    if path.endswith("/scoring/simulate"):
        return {"json": {"client_id": raw, "overrides": {"AMT_INCOME_TOTAL": 123_456.0}}}
    if path.endswith("/decision"):
        return {"json": {"decision": "refuse", "reason": "income could not be verified by phone", "revises": None}}
    if path.endswith("/users") and method == "POST":
        return {"json": {"username": f"scan-{len(raw)}-{abs(hash(raw)) % 10_000}", "role": "comex"}}
    if "/users/" in path and method == "PATCH":
        return {"json": {"active": True}}
    if method in {"POST", "PUT", "PATCH"}:
        return {"json": {}}
    return {}


def _patterns(ids: set[str], values: set[float]) -> dict[str, re.Pattern[str]]:
    patterns = {}
    for raw in ids:
        # A digit or hex neighbour means "part of a longer number or hash", not this id.
        patterns[f"id {raw}"] = re.compile(rf"(?<![0-9A-Fa-f]){re.escape(raw)}(?![0-9A-Fa-f])")
    for value in values:
        spellings = {repr(value), f"{value:.10f}".rstrip("0"), f"{value:.8g}"}
        spellings = {s for s in spellings if len(s.replace("-", "").replace("0.", "")) >= 6}
        if spellings:
            patterns[f"value {value!r}"] = re.compile("|".join(re.escape(s) for s in sorted(spellings)))
    return patterns


def test_no_raw_id_or_returned_probability_lands_in_tables_logs_or_audit_export(
    app, client, make_user, imported_clients, db_url
):
    engine_name = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    make_user("scan-target", "advisor")
    headers = {}
    from tests.fixtures.auth import login

    for role in Role:
        username, password = make_user(f"scan-{role.value}", role.value)
        headers[role] = {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}
    ids = {str(i) for i in imported_clients[:6]} | {UNKNOWN_ID}
    raw_cycle = [str(i) for i in imported_clients[:5]] + [UNKNOWN_ID]
    values: set[float] = set()
    log_lines: list[str] = []
    calls = 0

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log_lines.append(record.getMessage())

    handler = Collect()
    logging.getLogger().addHandler(handler)
    try:
        with structlog.testing.capture_logs() as captured:
            for n, (method, route) in enumerate(api_routes(app)):
                if route.path.endswith(("/auth/logout", "/auth/password", "/reset-password")):
                    continue  # they end the scanning sessions; covered by their own tests
                for role in Role:
                    raw = raw_cycle[(n + calls) % len(raw_cycle)]
                    path = route.path.replace("{client_id}", raw).replace("{username}", "scan-target")
                    params = {"lang": "en"} if method == "GET" else {}
                    response = client.request(method, path, headers=headers[role], params=params,
                                              **_body(method, route.path, raw))
                    calls += 1
                    assert response.status_code < 500 or response.status_code == 503, (method, path)
                    if response.headers.get("content-type", "").startswith("application/json"):
                        values.update(_values(response.json()))
            # Every client route once more with every imported id, so each id met each door.
            for raw in list(ids):
                for suffix in ("", "/score", "/explanation"):
                    response = client.get(f"{API}/clients/{raw}{suffix}", headers=headers[Role.advisor])
                    calls += 1
                    if response.status_code == 200:
                        values.update(_values(response.json()))
            exports = [
                client.get(f"{API}/audit/export", headers=headers[Role.compliance], params={"format": fmt})
                for fmt in ("jsonl", "csv")
            ]
    finally:
        logging.getLogger().removeHandler(handler)
    assert all(e.status_code == 200 for e in exports)
    log_lines += [json.dumps(entry, default=str, sort_keys=True) for entry in captured]
    assert len(values) >= 20, "the scenario returned too few probabilities to prove anything"

    places: dict[str, list[str]] = {}
    metadata = MetaData()
    metadata.reflect(app.state.engine)
    with app.state.engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            places[f"table {table.name}"] = [json.dumps(list(row), default=str) for row in rows]
    places["log lines"] = log_lines
    places["audit export jsonl"] = exports[0].text.splitlines()
    places["audit export csv"] = exports[1].text.splitlines()

    patterns = _patterns(ids, values)
    hits = []
    scanned = 0
    for place, texts in places.items():
        for text in texts:
            scanned += 1
            for label, pattern in patterns.items():
                if pattern.search(text):
                    hits.append(f"{label} in {place}: {text[:160]}")
    summary = {
        "engine": engine_name, "requests": calls, "ids_searched": len(ids),
        "values_searched": len(values), "places_scanned": len(places),
        "tables_scanned": sum(p.startswith("table ") for p in places),
        "rows_and_lines_scanned": scanned, "log_lines": len(log_lines),
        "audit_export_lines": len(places["audit export jsonl"]), "hits": len(hits),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"leak-scan-{engine_name}.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print("\nleak scan:", json.dumps(summary))
    assert hits == [], "\n".join(hits[:20])
    assert summary["tables_scanned"] >= 8 and summary["log_lines"] > calls
    # The scan can fail: plant one returned probability in an audit event and scan again.
    from backend.audit.service import chain_committed, commit_audited

    planted = sorted(values)[len(values) // 2]
    with app.state.sessionmaker() as db:
        commit_audited(db, None, None, action="planted", actor="scan", details={"p": planted})
    chain_committed(app.state.sessionmaker)  # from audit_pending into the chain
    with app.state.engine.connect() as connection:
        table = metadata.tables["audit_events"]
        rows = [json.dumps(list(row), default=str) for row in connection.execute(select(table))]
    assert any(patterns[f"value {planted!r}"].search(row) for row in rows)


@pytest.fixture
def telemetry_recorder(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """OpenTelemetry tracer and logger providers set for the process, as an operator's
    ``opentelemetry-instrument`` would; returns what they recorded (one JSON text per span or log)."""
    from opentelemetry import _logs, trace
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans, logs = InMemorySpanExporter(), InMemoryLogExporter()
    tracer_provider, logger_provider = TracerProvider(), LoggerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: tracer_provider)
    monkeypatch.setattr(_logs, "get_logger_provider", lambda: logger_provider)

    def recorded() -> list[str]:
        return [span.to_json() for span in spans.get_finished_spans()] + [
            log.to_json() for log in logs.get_finished_logs()
        ]

    return recorded


def test_fastapi_native_telemetry_records_nothing_even_with_providers_set(
    app, client, make_user, imported_clients, telemetry_recorder
):
    """FastAPI (0.165) traces every request once a provider is set, with the raw path (client ids
    in it) and the validation failures' input. Octroi's app turns it off (backend/app.py)."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from tests.fixtures.auth import login

    raw = str(imported_clients[0])
    username, password = make_user("otel-advisor", "advisor")
    headers = {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}
    for path in (f"{API}/clients/{raw}/explanation", f"{API}/clients/{raw}x/score", f"{API}/clients/{UNKNOWN_ID}"):
        assert client.get(path, headers=headers, params={"lang": "en"}).status_code in {200, 404, 422}
    assert telemetry_recorder() == []

    # The recorder does catch it: FastAPI with its defaults puts the raw id in its spans.
    library_default = FastAPI()

    @library_default.get("/clients/{client_id}")
    def one(client_id: int) -> dict[str, int]:
        return {"id": client_id}

    with TestClient(library_default) as bare:
        assert bare.get(f"/clients/{raw}").status_code == 200
        assert bare.get(f"/clients/{raw}x").status_code == 422
    recorded = telemetry_recorder()
    assert any(raw in text for text in recorded), recorded
