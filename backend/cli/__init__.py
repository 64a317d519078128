"""The ``octroi`` command line.

Each domain keeps its commands in its own module and registers them here.
"""

from __future__ import annotations

import typer

from backend.cli import db, demo, serve

app = typer.Typer(
    name="octroi",
    help="Octroi credit-scoring platform: data, model, database, users, audit and servers.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(serve.app, name="serve")
app.command(name="demo")(demo.demo)


def main() -> None:
    app()
