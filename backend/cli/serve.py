"""``octroi serve api`` / ``octroi serve dashboard``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from backend.cli.common import load_settings

app = typer.Typer(help="Run the API or the dashboard.", no_args_is_help=True)


@app.command()
def api(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
) -> None:
    """Serve the API with uvicorn (its own access log off: ours has route templates)."""
    # Validate configuration (production secrets) before any worker starts.
    load_settings()
    import uvicorn

    uvicorn.run(
        "backend.asgi:app",
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        # Forwarded headers are the app's decision (OCTROI_TRUSTED_PROXIES), not uvicorn's.
        proxy_headers=False,
        log_level="warning",
    )


@app.command()
def dashboard(
    port: int = typer.Option(8501, min=1, max=65535, help="TCP port."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
) -> None:
    """Serve the Streamlit dashboard (it talks to the API at OCTROI_API_URL)."""
    entry = Path(__file__).resolve().parents[2] / "frontend" / "app.py"
    command = [
        sys.executable, "-m", "streamlit", "run", str(entry),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]
    # Become Streamlit (exec, not a child): a signal sent to `octroi serve dashboard` then
    # reaches the server itself, and stopping it leaves no orphan behind.
    os.execv(sys.executable, command)  # noqa: S606
