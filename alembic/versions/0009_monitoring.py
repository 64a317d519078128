"""Monitoring: realised outcomes by pseudonym, and batch-job aggregates.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

``outcomes`` holds what happened to a client's loan (``target`` 1 = default) under the same
HMAC pseudonym as ``clients`` (never the bank's id), deleted with the client on erasure.
``monitoring_aggregates`` holds what the batch jobs (portfolio, drift, backtest) computed:
aggregates over at least 10 people, with the model version, the population revision and the
time; never a per-client score.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcomes",
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("key_version", sa.String(16), nullable=False),
        sa.Column("target", sa.SmallInteger(), nullable=False),
        sa.Column("observed_at", sa.Date(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_outcomes"),
        sa.CheckConstraint("target IN (0, 1)", name="target_binary"),
    )
    op.create_table(
        "monitoring_aggregates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("population_revision", sa.String(64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_aggregates"),
    )
    op.create_index(
        "ix_monitoring_aggregates_kind_version_time",
        "monitoring_aggregates",
        ["kind", "model_version", "computed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_monitoring_aggregates_kind_version_time", table_name="monitoring_aggregates")
    op.drop_table("monitoring_aggregates")
    op.drop_table("outcomes")
