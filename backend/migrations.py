"""Alembic, driven from code: the CLI, readiness and the tests all use these helpers."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.sql import quoted_name

from alembic import command

# In a checkout the migrations sit beside the packages; an installed image points
# OCTROI_MIGRATIONS_DIR at its copy (site-packages/alembic would be the library itself).
ALEMBIC_DIR = Path(
    os.environ.get("OCTROI_MIGRATIONS_DIR") or Path(__file__).resolve().parent.parent / "alembic"
)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def head_revisions(database_url: str = "sqlite://") -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def is_at_head(engine: Engine) -> bool:
    return set(current_revisions(engine)) == set(head_revisions())


# Tables the API may only read and append to (the retention purge runs as the owner role).
APPEND_ONLY_PREFIX = "audit_"
# Erasure tombstones: the API adds them and never takes one away (migration 0007).
INSERT_ONLY_TABLES = frozenset({"client_erasures"})
# The audit sequencer removes the pending events it chained; the table's triggers refuse to
# remove any other (migration 0012).
SEQUENCER_QUEUE = "audit_pending"


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """Give ``role`` what the API needs on PostgreSQL, and no more.

    Ordinary tables: SELECT, INSERT, UPDATE, DELETE. Audit tables (``audit_*``): SELECT and
    INSERT only, so even a compromised API process cannot rewrite history (``audit_pending``
    also DELETE, which its triggers allow only for chained events); erasure
    tombstones (``client_erasures``) likewise. Returns the
    statements run. Run it as the schema owner after every upgrade.
    """

    if engine.dialect.name != "postgresql":
        raise ValueError("database roles exist on PostgreSQL only")
    preparer = engine.dialect.identifier_preparer
    quoted_role = preparer.quote(quoted_name(role, quote=True))
    statements = [f"GRANT USAGE ON SCHEMA public TO {quoted_role}"]
    for table in sorted(inspect(engine).get_table_names()):
        name = preparer.quote(table)
        statements.append(f"REVOKE ALL ON {name} FROM {quoted_role}")
        if table == SEQUENCER_QUEUE:
            statements.append(f"GRANT SELECT, INSERT, DELETE ON {name} TO {quoted_role}")
        elif table.startswith(APPEND_ONLY_PREFIX) or table in INSERT_ONLY_TABLES:
            statements.append(f"GRANT SELECT, INSERT ON {name} TO {quoted_role}")
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {quoted_role}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted_role}")
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    return statements
