"""The foundation: settings and secrets, migrations on both engines, health, request logs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from backend import migrations
from backend.app import create_app
from backend.db import make_engine
from backend.settings import ConfigurationError, Settings
from tests.conftest import (
    PG_ADMIN_URL,
    _create_pg_database,
    _sqlalchemy_pg_url,
    drop_pg_database,
    unique_name,
)
from tests.tcpproxy import TcpProxy


def test_development_secrets_are_generated_once_with_private_permissions(tmp_path):
    first = Settings(env="development", var_dir=tmp_path).ensure_secrets()
    second = Settings(env="development", var_dir=tmp_path).ensure_secrets()
    for name in ("jwt_key", "pseudonym_key", "audit_signing_key"):
        path = tmp_path / "secrets" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert first.secret(name) == second.secret(name)
        assert len(first.secret(name)) >= 64
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700


@pytest.mark.parametrize("missing", ["OCTROI_JWT_KEY", "OCTROI_PSEUDONYM_KEY", "OCTROI_AUDIT_SIGNING_KEY"])
def test_production_refuses_a_missing_secret_and_names_it(missing, tmp_path):
    values = {"jwt_key": "j" * 40, "pseudonym_key": "p" * 40, "audit_signing_key": "a" * 40}
    field = missing.removeprefix("OCTROI_").lower()
    del values[field]
    with pytest.raises(ConfigurationError, match=missing):
        Settings(env="production", var_dir=tmp_path, **values).ensure_secrets()


def test_production_refuses_development_and_weak_secrets(tmp_path):
    dev = Settings(env="development", var_dir=tmp_path).ensure_secrets()
    with pytest.raises(ConfigurationError, match="OCTROI_JWT_KEY.*development"):
        Settings(
            env="production", var_dir=tmp_path, jwt_key=dev.secret("jwt_key"),
            pseudonym_key="p" * 40, audit_signing_key="a" * 40,
        ).ensure_secrets()
    with pytest.raises(ConfigurationError, match="OCTROI_PSEUDONYM_KEY"):
        Settings(
            env="production", var_dir=tmp_path, jwt_key="j" * 40,
            pseudonym_key="changeme", audit_signing_key="a" * 40,
        ).ensure_secrets()
    with pytest.raises(ConfigurationError, match="OCTROI_AUDIT_SIGNING_KEY.*too short"):
        Settings(
            env="production", var_dir=tmp_path, jwt_key="j" * 40,
            pseudonym_key="v1:" + "p" * 40, audit_signing_key="short-but-real",
        ).ensure_secrets()


def test_production_api_start_without_secrets_exits_naming_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({"OCTROI_ENV": "production", "OCTROI_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "api", "--port", "8999"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "OCTROI_JWT_KEY" in result.stderr


def test_migrations_create_the_schema_and_a_second_run_changes_nothing(empty_db_url):
    migrations.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        tables_first = set(inspect(engine).get_table_names())
        assert "alembic_version" in tables_first and "service_meta" in tables_first
        assert migrations.is_at_head(engine)
        migrations.upgrade(empty_db_url)
        assert set(inspect(engine).get_table_names()) == tables_first
        assert migrations.current_revisions(engine) == migrations.head_revisions()
    finally:
        engine.dispose()


def test_cli_db_upgrade_on_an_empty_sqlite_path_is_idempotent(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({"OCTROI_VAR_DIR": str(tmp_path / "var"),
                "OCTROI_DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'octroi.db'}"})
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "backend.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
    first = run("db", "upgrade")
    assert first.returncode == 0, first.stderr
    second = run("db", "upgrade")
    assert second.returncode == 0 and second.stdout == first.stdout
    current = run("db", "current")
    assert "at head" in current.stdout


def test_health_and_readiness_on_each_engine(db_url, make_settings, trained_bundle_dir):
    with TestClient(create_app(make_settings(db_url, model_dir=trained_bundle_dir))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["migrations"] == "ok"
        assert ready.json()["checks"]["model"] == "ok"


def test_readiness_reports_a_missing_model_bundle(db_url, make_settings, tmp_path):
    with TestClient(create_app(make_settings(db_url, model_dir=tmp_path / "no-model"))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["model"].startswith("failed")
        assert ready.json()["checks"]["database"] == "ok"


def test_readiness_reports_migrations_behind(empty_db_url, make_settings):
    with TestClient(create_app(make_settings(empty_db_url))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["migrations"].startswith("failed")


def test_readiness_follows_the_database_going_down_and_coming_back(
    pg_available, make_settings, trained_bundle_dir
):
    if not pg_available:
        pytest.skip("PostgreSQL unreachable")
    name = unique_name()
    _create_pg_database(name)
    proxy = None
    try:
        migrations.upgrade(_sqlalchemy_pg_url(name))
        from sqlalchemy.engine import make_url

        real = make_url(_sqlalchemy_pg_url(name))
        proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
        proxy.start()
        url = real.set(port=proxy.port).render_as_string(hide_password=False)
        with TestClient(create_app(make_settings(url, model_dir=trained_bundle_dir))) as client:
            assert client.get("/readyz").status_code == 200
            proxy.stop()
            started = time.monotonic()
            down = client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"]["database"].startswith("failed")
            assert time.monotonic() - started < 10
            proxy.start()  # same port: the database is back
            deadline = time.monotonic() + 10
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "readiness did not recover"
                time.sleep(0.2)
    finally:
        if proxy:
            proxy.stop()
        drop_pg_database(name)
    assert PG_ADMIN_URL


def test_a_pooled_connection_is_pinged_only_after_sitting_idle_and_a_dead_one_is_replaced(pg_url, monkeypatch):
    """``pool_pre_ping`` cost every request a round trip; now only a connection idle for
    ``PING_AFTER_IDLE_SECONDS`` is checked, and one the server dropped meanwhile is replaced
    before the request sees it. One dropped within the delay fails that request only."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy import text

    from backend import db as db_module

    engine = make_engine(pg_url, pool_size=1)
    admin = make_engine(pg_url, pool_size=1)
    pings: list[bool] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(True) or real_ping(connection))
    pid_of = text("SELECT pg_backend_pid()")

    def kill(pid: int) -> None:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
        time.sleep(0.2)

    try:
        with engine.connect() as connection:
            first = connection.execute(pid_of).scalar()
        for _ in range(3):  # reused at once, as under load: no ping
            with engine.connect() as connection:
                assert connection.execute(pid_of).scalar() == first
        assert pings == []

        kill(first)
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # it sat idle past the delay
        with engine.connect() as connection:
            second = connection.execute(pid_of).scalar()  # replaced before use: no error
        assert second != first and pings == [True]

        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)  # dropped while "in use"
        kill(second)
        with pytest.raises(sa_exc.OperationalError), engine.connect() as connection:
            connection.execute(pid_of)
        with engine.connect() as connection:  # the pool replaced it: the next request works
            assert connection.execute(pid_of).scalar() not in (first, second)
    finally:
        engine.dispose()
        admin.dispose()


def test_request_log_has_route_template_request_id_and_no_raw_path(db_url, make_settings, capsys):
    app = create_app(make_settings(db_url))
    router = APIRouter()

    @router.get("/probe/{client_id}")
    def probe(client_id: str) -> dict[str, str]:
        return {"ok": "yes"}

    app.include_router(router, prefix="/nested")

    with TestClient(app) as client:
        capsys.readouterr()
        response = client.get("/nested/probe/100002", headers={"X-Request-ID": "req-12345678"})
        assert response.headers["x-request-id"] == "req-12345678"
        generated = client.get("/healthz").headers["x-request-id"]
        assert len(generated) == 32
        hostile = client.get("/healthz", headers={"X-Request-ID": "bad\nid"}).headers["x-request-id"]
        assert hostile != "bad\nid"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"]
    probe_line = next(line for line in access if line["request_id"] == "req-12345678")
    assert probe_line["route"] == "/nested/probe/{client_id}"
    assert probe_line["status"] == 200
    assert "duration_ms" in probe_line
    assert not any("100002" in json.dumps(line) for line in lines)


def test_unhandled_errors_are_json_without_a_stack_trace(db_url, make_settings):
    app = create_app(make_settings(db_url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail 100002")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "code": "internal_error"}
    assert "100002" not in response.text and "Traceback" not in response.text
