"""``octroi db upgrade`` / ``octroi db current``."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError

from backend import migrations
from backend.cli.common import fail, load_settings
from backend.db import make_engine

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply every pending migration (idempotent)."""
    settings = load_settings()
    url = settings.effective_database_url
    try:
        migrations.upgrade(url, revision)
        engine = make_engine(url)
        current = migrations.current_revisions(engine)
        engine.dispose()
    except OperationalError as exc:
        fail(f"database unreachable: {type(exc.orig).__name__}")
    typer.echo(f"database at revision {', '.join(current) or '(empty)'}")


@app.command()
def current() -> None:
    """Print the database's revision and whether it is at head."""
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        revisions = migrations.current_revisions(engine)
    except OperationalError as exc:
        fail(f"database unreachable: {type(exc.orig).__name__}")
    finally:
        engine.dispose()
    heads = migrations.head_revisions()
    state = "at head" if set(revisions) == set(heads) else f"behind (head is {', '.join(heads)})"
    typer.echo(f"{', '.join(revisions) or '(empty)'} {state}")


@app.command("grant-app-role")
def grant_app_role(role: str = typer.Argument(..., help="PostgreSQL role the API connects as.")) -> None:
    """PostgreSQL: give the API's role SELECT/INSERT only on audit tables (run as owner)."""
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        statements = migrations.grant_app_role(engine, role)
    except ValueError as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"database unreachable: {type(exc.orig).__name__}")
    except Exception as exc:  # noqa: BLE001 - e.g. the role does not exist
        fail(f"could not grant to {role!r}: {type(exc).__name__}")
    finally:
        engine.dispose()
    typer.echo(f"granted {role}: {len(statements)} statements")
