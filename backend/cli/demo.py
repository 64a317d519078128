"""``octroi demo``: the embedded default on one machine (SQLite, in-process cache).

Steps are idempotent so a second run reuses what the first one built.
"""

from __future__ import annotations

import typer

from backend import migrations
from backend.cli.common import load_settings


def demo(
    host: str = typer.Option("127.0.0.1", help="Interface for the API."),
    port: int = typer.Option(8000, min=1, max=65535, help="API port."),
) -> None:
    """Set up the embedded default and run it (Ctrl-C stops everything)."""
    settings = load_settings()
    typer.echo("[1/2] migrating the database")
    migrations.upgrade(settings.effective_database_url)
    typer.echo(f"[2/2] API on http://{host}:{port} (docs at /docs); Ctrl-C to stop")
    import uvicorn

    uvicorn.run("backend.asgi:app", host=host, port=port, access_log=False, log_level="warning")
