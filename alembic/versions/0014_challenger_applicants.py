"""The challenger counts applicants once a day and serves sealed days only.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

``challenger_daily`` gains ``sealed_at`` (the day is over and its row never changes again:
only sealed rows are served, so two readings can no longer be subtracted around one request)
and ``late`` (applicants that reached a sealed row, counted without their outcome). Rows
written before are left unsealed: the first flush after the upgrade seals the past days. What
they counted until then were requests (a file opened twice counted twice), not applicants.
``challenger_seen`` holds a digest of each applicant counted in a day not yet sealed, so that
replicas count an applicant once; its rows go when the day is sealed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("challenger_daily", sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("challenger_daily", sa.Column("late", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "challenger_seen",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("champion_version", sa.String(64), nullable=False),
        sa.Column("challenger_version", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.UniqueConstraint("day", "champion_version", "challenger_version", "subject", name="uq_challenger_seen"),
    )
    op.create_index("ix_challenger_seen_day", "challenger_seen", ["day"])


def downgrade() -> None:
    op.drop_index("ix_challenger_seen_day", table_name="challenger_seen")
    op.drop_table("challenger_seen")
    with op.batch_alter_table("challenger_daily") as batch:
        batch.drop_column("late")
        batch.drop_column("sealed_at")
