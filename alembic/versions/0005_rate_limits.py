"""Rate limits: per-user request counters shared by every API process.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

One row per (scope, user, window): the sliding-window counter of ``backend/ratelimit.py``
when no Redis is configured. ``window_start`` is Unix seconds (an integer, so both engines
compare it the same way whatever their time zone handling). Rows older than the previous
window are deleted by the limiter itself; nothing here is personal client data.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", "window_start", name="pk_rate_limit_counters"),
    )
    op.create_index("ix_rate_limit_counters_window_start", "rate_limit_counters", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_counters_window_start", table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
