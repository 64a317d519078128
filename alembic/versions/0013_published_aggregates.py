"""Batch-job results are published only 0 or 10+ people apart (``ml.disclosure``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

``monitoring_aggregates`` gains:

- ``published``: whether the API serves the result. A result whose population differs from a
  published one by 1 to 9 people is stored held (``false``): a subtraction between the two
  would give those people's figures. Earlier results stay published.
- ``changed_people``: the fewest people by which its population differed from a published
  result when it was stored (None: nothing to compare with).
- ``members``: the sorted 64-bit digests of its population's rows (no pseudonym, no id), to
  compare the next results with; None for earlier results, which are compared by their size.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both engines (a NOT NULL column with a default needs no table copy).
    op.add_column("monitoring_aggregates",
                  sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("monitoring_aggregates", sa.Column("changed_people", sa.Integer(), nullable=True))
    op.add_column("monitoring_aggregates", sa.Column("members", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("monitoring_aggregates") as batch:
        batch.drop_column("members")
        batch.drop_column("changed_people")
        batch.drop_column("published")
