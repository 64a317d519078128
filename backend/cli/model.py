"""`octroi model list | add | promote | rollback | shadow`: the registry and its shared state.

Every change is one audited transaction (``model.promote``, ``model.rollback``, ``model.shadow``,
``model.shadow_clear``); every API process follows it within ``OCTROI_MODEL_POLL_SECONDS``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from backend.audit.setup import cli_sessionmaker
from backend.cli.common import fail, load_settings
from backend.db import session_scope
from backend.registry import service
from backend.registry.store import ModelRegistry, RegistryError

app = typer.Typer(no_args_is_help=True)
T = TypeVar("T")


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def registry() -> ModelRegistry:
    return ModelRegistry(load_settings().effective_registry_dir)


def _in_transaction(work: Callable[[Any], T]) -> T:
    settings = load_settings()
    factory, engine = cli_sessionmaker(settings)
    try:
        with session_scope(factory) as db:
            return work(db)
    except RegistryError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"database unavailable or not migrated ({type(exc).__name__}); run `octroi db upgrade`")
    finally:
        engine.dispose()


def _refresh_aggregates() -> None:
    """Portfolio, drift and backtest aggregates are per model version: recompute them now."""
    from backend.jobs.trigger import run_after_change

    run_after_change(load_settings(), ["portfolio", "drift", "backtest"], typer.echo)


@app.command("list")
def list_versions(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every registered version: status, training time, metrics, training-data fingerprint, integrity."""
    reg = registry()
    now = _in_transaction(service.state)
    rows = []
    for info in reg.versions():
        problem = reg.verify(info.version)
        rows.append({
            "version": info.version,
            "status": service.status_of(info.version, now),
            "created_at": info.created_at,
            "auc": info.metrics.get("auc"),
            "business_cost_per_client": info.metrics.get("business_cost_per_client"),
            "threshold": info.threshold,
            "features": len(info.features),
            "training_data_sha256": info.training_data.get("sha256"),
            "training_rows": info.training_data.get("rows"),
            "integrity": "verified" if problem is None else f"FAILED: {problem}",
        })
    if as_json:
        typer.echo(json.dumps({"registry": str(reg.root), "champion": now.champion,
                               "challenger": now.challenger, "versions": rows}, indent=1))
        return
    if not rows:
        typer.echo(f"no version in {reg.root}; `octroi train --data DIR` adds one")
        return
    typer.echo(f"registry {reg.root}")
    typer.echo(f"{'version':26} {'status':10} {'trained':20} {'AUC':>6} {'cost/cl':>8} {'feat':>4}  data sha256   integrity")
    for r in rows:
        auc = f"{r['auc']:.4f}" if isinstance(r["auc"], int | float) else "-"
        cost = f"{r['business_cost_per_client']:.3f}" if isinstance(r["business_cost_per_client"], int | float) else "-"
        data = (r["training_data_sha256"] or "-")[:12]
        typer.echo(f"{r['version']:26} {r['status']:10} {(r['created_at'] or '-')[:19]:20} {auc:>6} {cost:>8} "
                   f"{r['features']:>4}  {data:12}  {r['integrity']}")
    if now.champion is None:
        typer.echo("no champion promoted: the API serves OCTROI_MODEL_DIR")


@app.command("add")
def add(directory: Path = typer.Argument(..., help="A bundle directory (e.g. one written by `octroi train --out`).")) -> None:
    """Register an existing bundle (verified, copied, read-only)."""
    from ml.bundle import BundleIntegrityError

    try:
        info, added = registry().add(directory, beside=service.served_outside(load_settings()))
    except (BundleIntegrityError, RegistryError) as exc:
        fail(str(exc))
    typer.echo(f"{'registered' if added else 'already registered'} {info.version} in {info.path}")


@app.command("promote")
def promote(version: str = typer.Argument(..., help="A registered version (see `octroi model list`).")) -> None:
    """Make VERSION the champion: every API process serves it within seconds."""
    reg = registry()
    previous = _in_transaction(lambda db: service.promote(db, reg, version, actor()))
    typer.echo(f"champion {version} (was {previous or 'OCTROI_MODEL_DIR'}); audited")
    _refresh_aggregates()


@app.command("rollback")
def rollback() -> None:
    """Back to the champion before the current one."""
    reg = registry()
    current, target = _in_transaction(lambda db: service.rollback(db, reg, actor()))
    typer.echo(f"champion {target} (rolled back from {current}); audited")
    _refresh_aggregates()


@app.command("shadow")
def shadow(
    version: str | None = typer.Argument(None, help="The version to run as challenger."),
    clear: bool = typer.Option(False, "--clear", help="Stop the challenger."),
) -> None:
    """Run VERSION as challenger beside the champion (scored off the response path), or --clear."""
    if (version is None) == (not clear):
        fail("give a VERSION or --clear (not both)")
    reg = registry()
    previous = _in_transaction(lambda db: service.shadow(db, reg, None if clear else version, actor()))
    if clear:
        typer.echo(f"challenger {previous} cleared; audited")
    else:
        typer.echo(f"challenger {version} (was {previous or 'none'}); audited")
