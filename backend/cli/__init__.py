"""The ``octroi`` command line.

Each domain keeps its commands in its own module and registers them here.
"""

from __future__ import annotations

import typer

from backend.cli import audit, clients, db, demo, ml, model, monitoring, privacy, serve, users

app = typer.Typer(
    name="octroi",
    help="Octroi credit-scoring platform: data, model, database, users, audit and servers.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(serve.app, name="serve")
app.add_typer(users.app, name="users", help="Users and roles.")
app.add_typer(audit.app, name="audit", help="Audit trail: verify, checkpoint.")
app.add_typer(clients.app, name="clients", help="Client (applicant) data.")
app.add_typer(privacy.app, name="privacy", help="RGPD retention purge and key rotation.")
# `octroi data synth` and `octroi train` live in backend/cli/ml.py.
app.add_typer(ml.data_app, name="data", help="Synthetic Home Credit data.")
app.command(name="train")(ml.train)
app.add_typer(model.app, name="model", help="Model registry: list, promote, rollback, shadow.")
app.command(name="demo")(demo.demo)
app.add_typer(monitoring.outcomes_app, name="outcomes", help="Realised outcomes (defaults) of clients.")
app.add_typer(monitoring.monitor_app, name="monitor", help="Drift and backtesting of the model.")
app.add_typer(monitoring.jobs_app, name="jobs", help="Batch jobs on Dask: portfolio, drift, backtest.")


def main() -> None:
    app()
