"""The audit sequencer: requests commit events to ``audit_pending``; one sequencer chains them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

- ``audit_pending``: the events requests committed and the sequencer has not chained yet.
  Ids are never reused (AUTOINCREMENT on SQLite), since ``audit_events.pending_id`` names them.
  UPDATE and TRUNCATE are refused; DELETE only of a row already chained, i.e. one that an
  ``audit_events`` row names (the sequencer removes what it chained, in the same transaction).
- ``audit_events.pending_id`` (unique): the pending row an event was chained from. An event
  naming a pending row must carry exactly that row's fields (no one can alter an event on its
  way into the chain), and pending rows go into the chain in id order among the committed
  ones (no one can reorder them). Events without one (the inline mode) are unchanged.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FIELDS = (
    "ts", "request_id", "actor", "role", "action", "resource", "outcome", "ip",
    "model_version", "input_hash",
)

PG_PENDING_GUARD = """
CREATE OR REPLACE FUNCTION octroi_audit_pending_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_events WHERE pending_id = OLD.id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % on % refused (only a chained pending event may be removed)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

PG_CHAIN_FAITHFUL = f"""
CREATE OR REPLACE FUNCTION octroi_audit_chain_faithful() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    p audit_pending%ROWTYPE;
BEGIN
    IF NEW.pending_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT * INTO p FROM audit_pending WHERE id = NEW.pending_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit sequencer: pending event % does not exist', NEW.pending_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF ({", ".join(f"p.{f}" for f in FIELDS)}, coalesce(p.details::jsonb, 'null'::jsonb))
       IS DISTINCT FROM ({", ".join(f"NEW.{f}" for f in FIELDS)}, coalesce(NEW.details::jsonb, 'null'::jsonb)) THEN
        RAISE EXCEPTION 'audit sequencer: event seq % differs from pending event %', NEW.seq, NEW.pending_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
"""

# Once per INSERT statement (the sequencer inserts a batch in one statement): no committed
# pending event older than the newest one chained may be left out.
PG_CHAIN_IN_ORDER = """
CREATE OR REPLACE FUNCTION octroi_audit_chain_in_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM audit_pending q
         WHERE q.id < (SELECT max(pending_id) FROM chained)
           AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.pending_id = q.id)
    ) THEN
        RAISE EXCEPTION 'audit sequencer: pending events must be chained in order'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
"""

# SQL NULL and JSON null both mean "no details" (and hash alike).
SQLITE_SAME = " AND ".join(f"p.{f} IS NEW.{f}" for f in FIELDS) + (
    " AND coalesce(json(p.details), 'null') IS coalesce(json(NEW.details), 'null')"
)


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("input_hash", sa.String(64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.CheckConstraint("outcome IN ('success', 'denied', 'error')", name="outcome_known"),
        sqlite_autoincrement=True,
    )
    op.add_column("audit_events", sa.Column("pending_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_audit_events_pending_id", "audit_events", ["pending_id"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_PENDING_GUARD)
        op.execute(
            "CREATE TRIGGER audit_pending_guard BEFORE UPDATE OR DELETE ON audit_pending "
            "FOR EACH ROW EXECUTE FUNCTION octroi_audit_pending_guard()"
        )
        op.execute(
            "CREATE TRIGGER audit_pending_no_truncate BEFORE TRUNCATE ON audit_pending "
            "FOR EACH STATEMENT EXECUTE FUNCTION octroi_audit_pending_guard()"
        )
        op.execute(PG_CHAIN_FAITHFUL)
        op.execute(
            "CREATE TRIGGER audit_events_chain_faithful BEFORE INSERT ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION octroi_audit_chain_faithful()"
        )
        op.execute(PG_CHAIN_IN_ORDER)
        op.execute(
            "CREATE TRIGGER audit_events_chain_in_order AFTER INSERT ON audit_events "
            "REFERENCING NEW TABLE AS chained FOR EACH STATEMENT "
            "EXECUTE FUNCTION octroi_audit_chain_in_order()"
        )
        return
    op.execute(
        "CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending BEGIN "
        "SELECT RAISE(ABORT, 'audit trail is append-only: UPDATE on audit_pending refused'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_pending_no_delete BEFORE DELETE ON audit_pending "
        "WHEN NOT EXISTS (SELECT 1 FROM audit_events WHERE pending_id = OLD.id) BEGIN "
        "SELECT RAISE(ABORT, 'audit trail is append-only: DELETE on audit_pending refused "
        "(only a chained pending event may be removed)'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_chain_faithful BEFORE INSERT ON audit_events "
        "WHEN NEW.pending_id IS NOT NULL AND NOT EXISTS ("
        f"SELECT 1 FROM audit_pending p WHERE p.id = NEW.pending_id AND {SQLITE_SAME}) BEGIN "
        "SELECT RAISE(ABORT, 'audit sequencer: the event differs from its pending event'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_chain_in_order BEFORE INSERT ON audit_events "
        "WHEN NEW.pending_id IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM audit_pending q WHERE q.id < NEW.pending_id "
        "AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.pending_id = q.id)) BEGIN "
        "SELECT RAISE(ABORT, 'audit sequencer: pending events must be chained in order'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_chain_in_order ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_chain_faithful ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_pending_guard ON audit_pending")
        op.execute("DROP TRIGGER IF EXISTS audit_pending_no_truncate ON audit_pending")
        op.execute("DROP FUNCTION IF EXISTS octroi_audit_chain_in_order()")
        op.execute("DROP FUNCTION IF EXISTS octroi_audit_chain_faithful()")
        op.execute("DROP FUNCTION IF EXISTS octroi_audit_pending_guard()")
    else:
        for name in ("audit_events_chain_in_order", "audit_events_chain_faithful",
                     "audit_pending_no_update", "audit_pending_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_audit_events_pending_id", table_name="audit_events")
    # Not op.drop_column: on SQLite that rebuilds the table, which the audit triggers forbid.
    op.execute("ALTER TABLE audit_events DROP COLUMN pending_id")
    op.drop_table("audit_pending")
