"""``octroi users create NAME --role ROLE [--password-stdin]`` and ``octroi users list``."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from backend.audit.service import CLI_ROLE, AuditUnavailable, cli_operator, commit_audited
from backend.audit.setup import cli_sessionmaker
from backend.auth.config import AuthSettings, password_hasher
from backend.cli.common import fail, load_settings
from backend.users import service
from security.rbac import Role

app = typer.Typer(no_args_is_help=True, help="Users and roles.")


@app.command()
def create(
    username: str = typer.Argument(..., help="Login name (lowercase, 3-64 characters)."),
    role: Role = typer.Option(..., "--role", help="advisor, comex, compliance or admin."),
    full_name: str = typer.Option("", "--full-name", help="Display name."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
) -> None:
    """Create a user (the operator's path, e.g. the first admin; audited under `cli:<os user>`).
    Without --password-stdin a one-time password is printed once; the user must change it at
    first login. Through the API, advisor, compliance and admin accounts need a second admin."""
    settings = load_settings()
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("--password-stdin: standard input held no password")
    hasher = password_hasher(settings, AuthSettings())
    factory, engine = cli_sessionmaker(settings)
    try:
        with factory() as db:
            try:
                user, one_time = service.create_user(
                    db, hasher, username=username, role=role, full_name=full_name, password=password
                )
            except service.UserError as exc:
                fail(str(exc))
            commit_audited(
                db, None, None, action="user.create", actor=cli_operator(), role=CLI_ROLE,
                resource=f"user:{user.username}",
                details={"role": user.role, "one_time_password": one_time is not None, "via": "cli"},
            )
    except (AuditUnavailable, SQLAlchemyError) as exc:
        fail(f"database unavailable, nothing was created ({type(exc).__name__})")
    finally:
        engine.dispose()
    typer.echo(f"created {user.username} ({user.role})")
    if one_time is not None:
        typer.echo(f"one-time password (shown once, must be changed at first login): {one_time}")


@app.command(name="list")
def list_() -> None:
    """List users with role and state."""
    settings = load_settings()
    factory, engine = cli_sessionmaker(settings)
    try:
        with factory() as db:
            users = service.list_users(db)
    except SQLAlchemyError as exc:
        fail(f"database unavailable ({type(exc).__name__})")
    finally:
        engine.dispose()
    table = Table("username", "full name", "role", "active", "must change password", "locked until")
    for user in users:
        table.add_row(
            user.username,
            user.full_name,
            user.role,
            "yes" if user.active else "no",
            "yes" if user.must_change_password else "no",
            user.locked_until.isoformat() if user.locked_until else "",
        )
    Console(width=160).print(table)
