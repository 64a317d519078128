"""Privacy: human-oversight decisions (no probability) and retention bookkeeping.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

``advisor_decisions`` keeps what an advisor finally decided about a client next to what the
model recommended, the model version, the advisor, the reason and the time. It never holds
the probability or any explanation value (invariant 2): the model's recommendation is the
approve/refuse side of the threshold, and ``input_hash`` lets an auditor recompute the score.
On erasure (Art. 17) the row is kept for oversight statistics but loses its link to the
client: ``pseudonym`` and ``reason`` are cleared and ``anonymised_at`` is set.
"""

import sqlalchemy as sa

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "advisor_decisions",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("pseudonym", sa.String(64), nullable=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("recommendation", sa.String(16), nullable=False),
        sa.Column("is_override", sa.Boolean(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=True),
        sa.Column("advisor", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("decision IN ('approve', 'refuse')", name="decision_known"),
        sa.CheckConstraint("recommendation IN ('approve', 'refuse')", name="recommendation_known"),
        sa.PrimaryKeyConstraint("id", name="pk_advisor_decisions"),
    )
    op.create_index("ix_advisor_decisions_pseudonym", "advisor_decisions", ["pseudonym"])
    op.create_index("ix_advisor_decisions_advisor", "advisor_decisions", ["advisor"])
    op.create_index("ix_advisor_decisions_decided_at", "advisor_decisions", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_advisor_decisions_decided_at", table_name="advisor_decisions")
    op.drop_index("ix_advisor_decisions_advisor", table_name="advisor_decisions")
    op.drop_index("ix_advisor_decisions_pseudonym", table_name="advisor_decisions")
    op.drop_table("advisor_decisions")
