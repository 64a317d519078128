"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server.

``db_url`` is parametrized over both engines and yields the URL of a fresh database at the
latest migration. The schema is built once per engine with Alembic (so the migrations are
tested on both), then each test gets a copy: a file copy on SQLite, ``CREATE DATABASE ...
TEMPLATE`` on PostgreSQL. Every PostgreSQL database has a unique name and is dropped after.

When ``CI=true`` and PostgreSQL is unreachable the run fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from backend import migrations
from backend.settings import Settings

# Domain fixtures live in their own modules so each domain owns its file.
pytest_plugins = [
    "tests.fixtures.auth", "tests.fixtures.ml", "tests.fixtures.clients", "tests.fixtures.live", "tests.fixtures.jobs",
    "tests.fixtures.lifecycle",
]

PG_ADMIN_URL = os.environ.get(
    "OCTROI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
ENGINES = ("sqlite", "postgresql")


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Streamlit's AppTest leaves its script as ``__main__``, and every process spawned later
    (the Dask workers of the job tests) runs ``__main__`` again: a script given arguments
    (``AppTest.from_function(f, args=...)``) then fails there and no worker starts (seen in
    CI: 64 job tests errored). Each test gets the ``__main__`` it started with back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


def _pg_conninfo(database: str | None = None) -> str:
    url = make_url(PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"))
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    try:
        with psycopg.connect(_pg_conninfo(), connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}"
    return None


def _sqlalchemy_pg_url(database: str) -> str:
    return _pg_conninfo(database).replace("postgresql://", "postgresql+psycopg://", 1)


def _create_pg_database(name: str, template: str | None = None) -> None:
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        conn.execute(query)


def drop_pg_database(name: str) -> None:
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def unique_name(prefix: str = "octroi_test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def pg_available() -> bool:
    reason = _pg_available()
    if reason is None:
        return True
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    return False


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory, pg_available: bool) -> Iterator[dict[str, str]]:
    """One migrated database per engine, used as the template for each test's copy."""
    templates: dict[str, str] = {}
    sqlite_file = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrations.upgrade(f"sqlite:///{sqlite_file}")
    templates["sqlite"] = str(sqlite_file)
    pg_template = None
    if pg_available:
        pg_template = unique_name("octroi_tpl")
        _create_pg_database(pg_template)
        migrations.upgrade(_sqlalchemy_pg_url(pg_template))
        templates["postgresql"] = pg_template
    yield templates
    if pg_template:
        drop_pg_database(pg_template)


def _fresh_database(engine_name: str, templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    if engine_name == "sqlite":
        target = tmp_path / "octroi.db"
        shutil.copyfile(templates["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    if "postgresql" not in templates:
        pytest.skip("PostgreSQL unreachable (set CI=true to make this a failure)")
    name = unique_name()
    _create_pg_database(name, template=templates["postgresql"])
    try:
        yield _sqlalchemy_pg_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, migrated_templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A fresh database at the latest migration, on SQLite then on PostgreSQL."""
    yield from _fresh_database(request.param, migrated_templates, tmp_path)


@pytest.fixture
def pg_url(pg_available: bool, migrated_templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database at the latest migration, for PostgreSQL-only features."""
    yield from _fresh_database("postgresql", migrated_templates, tmp_path)


@pytest.fixture(params=ENGINES)
def empty_db_url(request: pytest.FixtureRequest, pg_available: bool, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (no migrations applied), on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not pg_available:
        pytest.skip("PostgreSQL unreachable (set CI=true to make this a failure)")
    name = unique_name()
    _create_pg_database(name)
    try:
        yield _sqlalchemy_pg_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture
def make_settings(tmp_path: Path):
    """Build development settings rooted in the test's own folder."""

    def _make(database_url: str, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "env": "development",
            "var_dir": tmp_path / "var",
            "database_url": database_url,
            # Tests run the batch jobs themselves (tests/fixtures/jobs.py), never in the background.
            "jobs_after_change": False,
        }
        values.update(overrides)
        return Settings(**values).ensure_secrets()  # type: ignore[arg-type]

    return _make


@pytest.fixture
def isolated_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CLI's var directory and model registry in the test's own folder: `octroi train`
    compares a new population with every registered one, which must not be the checkout's."""
    from backend.settings import get_settings

    monkeypatch.setenv("OCTROI_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("OCTROI_REGISTRY_DIR", str(tmp_path / "registry"))
    get_settings.cache_clear()
    try:
        yield tmp_path / "var"
    finally:
        get_settings.cache_clear()
