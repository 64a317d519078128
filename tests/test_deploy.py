"""The production topology: compose file, image recipe, and the API's database role."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
import yaml
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from backend import migrations
from backend.db import make_engine
from tests.conftest import unique_name

ROOT = Path(__file__).resolve().parent.parent
SECRET_NAMES = re.compile(r"(PASSWORD|_KEY|SECRET|TOKEN)", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service_with_a_healthcheck(compose):
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "api", "dashboard", "proxy", "dask-scheduler", "dask-worker"}
    for name in ("db", "redis", "api", "dashboard", "proxy", "dask-scheduler", "dask-worker"):
        assert "test" in services[name]["healthcheck"], name
    assert services["db"]["image"].startswith("postgres:16")
    assert services["api"]["deploy"]["replicas"] >= 2
    # Batch jobs run on the Dask cluster, not inside an API replica (issue 16).
    assert services["api"]["environment"]["OCTROI_DASK_SCHEDULER"] == "tcp://dask-scheduler:8786"
    assert services["dask-worker"]["deploy"]["replicas"] >= 2


def test_compose_orders_startup_on_health_and_migrations(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["api"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["dashboard"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert "octroi db upgrade" in " ".join(services["migrate"]["command"])


def test_only_the_tls_proxy_publishes_a_port(compose):
    published = {name: svc.get("ports", []) for name, svc in compose["services"].items()}
    assert {name for name, ports in published.items() if ports} == {"proxy"}
    assert published["proxy"] == ["443:443"]
    caddyfile = (ROOT / "deploy/caddy/Caddyfile").read_text()
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                   "Content-Security-Policy"):
        assert header in caddyfile


def test_no_secret_value_is_written_in_the_compose_file(compose):
    def walk(node, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{path}[{index}]")
        else:
            yield path, node

    for path, value in walk(compose):
        if SECRET_NAMES.search(path) and isinstance(value, str):
            assert value.startswith("${"), f"{path} holds a literal secret"
        if isinstance(value, str) and "://" in value and "@" in value:
            credentials = value.split("://", 1)[1].split("@", 1)[0]
            password = credentials.split(":", 1)[1] if ":" in credentials else ""
            assert password.startswith("${"), f"{path} embeds a literal password"
    env_example = (ROOT / ".env.example").read_text()
    for variable in ("OCTROI_JWT_KEY", "OCTROI_PSEUDONYM_KEY", "OCTROI_AUDIT_SIGNING_KEY",
                     "POSTGRES_PASSWORD", "OCTROI_APP_DB_PASSWORD"):
        assert re.search(rf"^{variable}=$", env_example, re.MULTILINE), variable
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_image_is_multi_stage_non_root_with_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", dockerfile, re.MULTILINE)
    assert len(stages) >= 2 and stages[-1] == "runtime"
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert re.search(r"^USER\s+(?!root)\w+", runtime, re.MULTILINE)
    assert "HEALTHCHECK" in runtime
    assert "build-essential" not in runtime and "gcc" not in runtime


def test_app_role_may_only_read_and_append_audit_tables(pg_url):
    db_url = pg_url
    engine = make_engine(db_url)
    role = unique_name("octroi_app")
    admin = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE audit_probe (id integer primary key)"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{role}"')
        migrations.grant_app_role(engine, role)
        tables = inspect(engine).get_table_names()
        with engine.connect() as conn:
            def can(table: str, privilege: str) -> bool:
                return conn.execute(
                    text("SELECT has_table_privilege(:r, :t, :p)"),
                    {"r": role, "t": table, "p": privilege},
                ).scalar_one()

            for table in tables:
                assert can(table, "SELECT") and can(table, "INSERT"), table
                mutable = not table.startswith("audit_") and table not in migrations.INSERT_ONLY_TABLES
                assert can(table, "UPDATE") is mutable, table
                # The sequencer removes what it chained (triggers refuse any other DELETE).
                assert can(table, "DELETE") is (mutable or table == migrations.SEQUENCER_QUEUE), table
                assert can(table, "TRUNCATE") is False, table
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
