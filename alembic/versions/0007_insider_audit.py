"""Guarantees against an insider: signed purge anchors, undeletable checkpoints, an owner-only
purge door, append-only erasure tombstones.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

- ``audit_anchors``: one signed row per retention purge (range, newest purged event time,
  retention in force, time); never updated or deleted.
- Checkpoints can no longer be deleted at all: the purge never needs to.
- PostgreSQL: the purge door (``SET LOCAL octroi.audit_purge = 'on'``) opens DELETE on
  ``audit_events`` only for a role that is (a member of) the table's owner, so the API's
  role cannot open it even if it was granted DELETE by mistake. ``client_erasures`` refuses
  UPDATE and DELETE from any role but the owner (tombstones outlive every key version).
- SQLite has no roles: whoever can write the file is the owner. There the signed anchor and
  the witness outside the database are the controls.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION octroi_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner name;
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events'
       AND current_setting('octroi.audit_purge', true) = 'on' THEN
        SELECT tableowner INTO owner FROM pg_tables
         WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME;
        IF pg_has_role(current_user, owner, 'MEMBER') THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit trail is append-only: the purge door opens for the schema owner only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

PG_APPEND_ONLY_0002 = """
CREATE OR REPLACE FUNCTION octroi_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('octroi.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

PG_TOMBSTONES = """
CREATE OR REPLACE FUNCTION octroi_tombstones_owner_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner name;
BEGIN
    SELECT tableowner INTO owner FROM pg_tables
     WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME;
    IF pg_has_role(current_user, owner, 'MEMBER') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'erasure tombstones are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("through_seq", sa.BigInteger(), nullable=False),
        sa.Column("through_hash", sa.String(64), nullable=False),
        sa.Column("newest_purged_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_audit_anchors_through_seq", "audit_anchors", ["through_seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE ON audit_anchors "
            "FOR EACH ROW EXECUTE FUNCTION octroi_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_anchors_no_truncate BEFORE TRUNCATE ON audit_anchors "
            "FOR EACH STATEMENT EXECUTE FUNCTION octroi_audit_append_only()"
        )
        op.execute(PG_TOMBSTONES)
        op.execute(
            "CREATE TRIGGER client_erasures_owner_only BEFORE UPDATE OR DELETE ON client_erasures "
            "FOR EACH ROW EXECUTE FUNCTION octroi_tombstones_owner_only()"
        )
        op.execute(
            "CREATE TRIGGER client_erasures_no_truncate BEFORE TRUNCATE ON client_erasures "
            "FOR EACH STATEMENT EXECUTE FUNCTION octroi_tombstones_owner_only()"
        )
        return
    op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_no_delete")
    for table in ("audit_checkpoints", "audit_anchors"):
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'audit trail is append-only: DELETE on {table} refused'); END"
        )
    op.execute(
        "CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors BEGIN "
        "SELECT RAISE(ABORT, 'audit trail is append-only: UPDATE on audit_anchors refused'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS client_erasures_owner_only ON client_erasures")
        op.execute("DROP TRIGGER IF EXISTS client_erasures_no_truncate ON client_erasures")
        op.execute("DROP FUNCTION IF EXISTS octroi_tombstones_owner_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_append_only ON audit_anchors")
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_no_truncate ON audit_anchors")
        op.execute(PG_APPEND_ONLY_0002)
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_no_update")
        op.execute(
            "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints "
            "WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard) BEGIN "
            "SELECT RAISE(ABORT, 'audit trail is append-only: DELETE on audit_checkpoints refused'); END"
        )
    op.drop_index("ix_audit_anchors_through_seq", table_name="audit_anchors")
    op.drop_table("audit_anchors")
