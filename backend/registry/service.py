"""Champion and challenger: the shared state every API process follows (no HTTP here).

The state is the append-only ``model_deployments`` history: the latest champion row names the
champion, the latest challenger row the challenger (``clear`` = none). ``rollback`` goes back to
the champion before the current one: replaying the champion rows as a stack (promote pushes,
rollback pops) gives it. Each change is audited in the same transaction by the caller's
``record_event`` (the CLI) so the audit trail and the state cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.audit.service import CLI_ROLE, record_event
from backend.registry.models import ModelDeployment
from backend.registry.store import ModelRegistry, RegistryError
from backend.settings import Settings


@dataclass(frozen=True)
class DeploymentState:
    champion: str | None
    challenger: str | None
    champion_history: list[str] = field(default_factory=list)  # the rollback stack, oldest first
    ever_champion: frozenset[str] = frozenset()


def state(db: Session) -> DeploymentState:
    rows = db.scalars(select(ModelDeployment).order_by(ModelDeployment.id)).all()
    stack: list[str] = []
    challenger: str | None = None
    ever: set[str] = set()
    for row in rows:
        if row.slot == "champion":
            if row.action == "rollback":
                if stack:
                    stack.pop()
            elif row.version is not None:
                stack.append(row.version)
                ever.add(row.version)
        else:
            challenger = row.version if row.action == "shadow" else None
    return DeploymentState(stack[-1] if stack else None, challenger, stack, frozenset(ever))


def current_versions(db: Session) -> tuple[str | None, str | None]:
    """(champion, challenger)."""
    now = state(db)
    return now.champion, now.challenger


def _append(db: Session, slot: str, action: str, version: str | None, actor: str) -> None:
    db.add(ModelDeployment(slot=slot, action=action, version=version, actor=actor[:64], at=datetime.now(UTC)))
    db.flush()


def _check(registry: ModelRegistry, version: str) -> None:
    problem = registry.verify(version)
    if problem is not None:
        raise RegistryError(problem)


def promote(db: Session, registry: ModelRegistry, version: str, actor: str) -> str | None:
    """Make ``version`` the champion (verified first); returns the previous champion. Audited."""
    _check(registry, version)
    before = state(db)
    if before.champion == version:
        raise RegistryError(f"{version} is already the champion")
    _append(db, "champion", "promote", version, actor)
    details: dict[str, object] = {"previous": before.champion}
    if before.challenger == version:
        # A champion does not shadow itself.
        _append(db, "challenger", "clear", None, actor)
        details["challenger_cleared"] = True
    record_event(db, None, None, action="model.promote", actor=actor, role=CLI_ROLE,
                 model_version=version, details=details)
    return before.champion


def rollback(db: Session, registry: ModelRegistry, actor: str) -> tuple[str, str]:
    """Back to the champion before the current one; returns (from, to). Audited."""
    before = state(db)
    if len(before.champion_history) < 2:
        raise RegistryError("there is no previous champion to roll back to")
    current, target = before.champion_history[-1], before.champion_history[-2]
    _check(registry, target)
    _append(db, "champion", "rollback", target, actor)
    if before.challenger == target:
        _append(db, "challenger", "clear", None, actor)
    record_event(db, None, None, action="model.rollback", actor=actor, role=CLI_ROLE,
                 model_version=target, details={"from": current, "to": target})
    return current, target


def shadow(db: Session, registry: ModelRegistry, version: str | None, actor: str) -> str | None:
    """Set (``version``) or clear (None) the challenger; returns the previous one. Audited."""
    before = state(db)
    if version is not None:
        _check(registry, version)
        if before.champion == version:
            raise RegistryError(f"{version} is the champion; a challenger must be another version")
        _append(db, "challenger", "shadow", version, actor)
    else:
        if before.challenger is None:
            raise RegistryError("there is no challenger to clear")
        _append(db, "challenger", "clear", None, actor)
    record_event(db, None, None, action="model.shadow" if version else "model.shadow_clear", actor=actor,
                 role=CLI_ROLE, model_version=version, details={"previous": before.challenger})
    return before.challenger


VersionStatus = Literal["champion", "challenger", "retired", "registered"]


def status_of(version: str, current: DeploymentState) -> VersionStatus:
    if version == current.champion:
        return "champion"
    if version == current.challenger:
        return "challenger"
    if version in current.ever_champion:
        return "retired"
    return "registered"


def champion_directory(settings: Settings) -> Path:
    """The bundle directory every API process serves: the promoted registry version, else
    ``OCTROI_MODEL_DIR`` (batch jobs load the same model the API answers with)."""
    from backend.db import make_engine, make_sessionmaker

    champion = None
    engine = make_engine(settings.effective_database_url, pool_size=1)
    try:
        with make_sessionmaker(engine)() as db:
            champion = state(db).champion
    except SQLAlchemyError:
        champion = None  # no database (or not migrated) yet: nothing can have been promoted
    finally:
        engine.dispose()
    registry = ModelRegistry(settings.effective_registry_dir)
    if champion is not None and registry.has(champion):
        return registry.path(champion)
    return settings.effective_model_dir


def served_outside(settings: Settings) -> list[Any]:
    """What the served ``OCTROI_MODEL_DIR`` publishes of its training population
    (``ml.bundle.Published``), when it holds a readable bundle: what the API serves while nothing
    is promoted, which a new version is published beside as much as a registered one."""
    from ml.bundle import Published

    try:
        return [Published.read(settings.effective_model_dir)]
    except (OSError, ValueError, KeyError):
        return []  # no bundle there (yet)
