"""Model lifecycle: decision snapshots, revisions, contests and reviews; the registry's shared
champion/challenger state; the challenger's daily aggregates.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

- ``decision_snapshots``: the application exactly as the model saw it when an advisor decided
  (pseudonym, key version, input hash, the raw features as JSON). Immutable: triggers refuse
  UPDATE on both engines; DELETE stays possible because erasure (Art. 17) removes them.
- ``advisor_decisions`` gains ``snapshot_id`` (what the model saw) and ``revises_id`` (the
  decision a revision replaces): a decision's history is the chain of its rows.
- ``decision_contests``: the applicant's point of view on a decision and the review by
  another advisor (outcome, reason, dates).
- ``model_deployments``: every promotion, rollback, shadow and clear, append-only; the current
  champion and challenger are read from it by every API process (shared across replicas).
- ``challenger_daily``: per day and (champion, challenger) pair, counts of agreements, flips
  and the distribution of probability shifts. Never a per-client value.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

PG_SNAPSHOT_FUNCTION = """
CREATE OR REPLACE FUNCTION octroi_snapshot_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decision snapshots are immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def upgrade() -> None:
    op.create_table(
        "decision_snapshots",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("key_version", sa.String(16), nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_decision_snapshots_pseudonym", "decision_snapshots", ["pseudonym"])
    with op.batch_alter_table("advisor_decisions") as batch:
        batch.add_column(sa.Column("snapshot_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("revises_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_advisor_decisions_revises_id", "advisor_decisions", ["revises_id"])
    op.create_table(
        "decision_contests",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=True),
        sa.Column("statement", sa.String(2000), nullable=True),
        sa.Column("contested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=True),
        sa.Column("review_reason", sa.String(1000), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision_id", sa.BigInteger(), nullable=True),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'upheld', 'revised')", name="status_known"),
    )
    op.create_index("ix_decision_contests_decision_id", "decision_contests", ["decision_id"])
    op.create_index("ix_decision_contests_pseudonym", "decision_contests", ["pseudonym"])
    op.create_index("ix_decision_contests_contested_at", "decision_contests", ["contested_at"])
    op.create_table(
        "model_deployments",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("slot IN ('champion', 'challenger')", name="slot_known"),
        sa.CheckConstraint("action IN ('promote', 'rollback', 'shadow', 'clear')", name="action_known"),
    )
    op.create_table(
        "challenger_daily",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("champion_version", sa.String(64), nullable=False),
        sa.Column("challenger_version", sa.String(64), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("agreements", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("flips_to_refuse", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("flips_to_approve", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("shift_sum", sa.Float(), nullable=False, server_default="0"),
        sa.Column("shift_abs_sum", sa.Float(), nullable=False, server_default="0"),
        sa.Column("shift_histogram", sa.JSON(), nullable=False),
        sa.Column("dropped", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("errors", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("day", "champion_version", "challenger_version", name="uq_challenger_daily_key"),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_SNAPSHOT_FUNCTION)
        op.execute(
            "CREATE TRIGGER decision_snapshots_immutable BEFORE UPDATE ON decision_snapshots "
            "FOR EACH ROW EXECUTE FUNCTION octroi_snapshot_immutable()"
        )
    else:
        op.execute(
            "CREATE TRIGGER decision_snapshots_no_update BEFORE UPDATE ON decision_snapshots BEGIN "
            "SELECT RAISE(ABORT, 'decision snapshots are immutable: UPDATE on decision_snapshots refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decision_snapshots_immutable ON decision_snapshots")
        op.execute("DROP FUNCTION IF EXISTS octroi_snapshot_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS decision_snapshots_no_update")
    op.drop_table("challenger_daily")
    op.drop_table("model_deployments")
    op.drop_index("ix_decision_contests_contested_at", table_name="decision_contests")
    op.drop_index("ix_decision_contests_pseudonym", table_name="decision_contests")
    op.drop_index("ix_decision_contests_decision_id", table_name="decision_contests")
    op.drop_table("decision_contests")
    op.drop_index("ix_advisor_decisions_revises_id", table_name="advisor_decisions")
    with op.batch_alter_table("advisor_decisions") as batch:
        batch.drop_column("revises_id")
        batch.drop_column("snapshot_id")
    op.drop_index("ix_decision_snapshots_pseudonym", table_name="decision_snapshots")
    op.drop_table("decision_snapshots")
