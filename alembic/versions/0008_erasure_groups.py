"""Erasure that survives key rotation: tombstones of one person share an ``erasure_id``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

An erasure keeps a tombstone under every pseudonym key version configured at the time, and
an import under a newer ring adds the missing versions (it sees the bank id). ``erasure_id``
links them, so ``octroi privacy key-status`` can tell whether an old version still guards
someone no newer version does. Existing rows become their own group.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("client_erasures") as batch:
        batch.add_column(sa.Column("erasure_id", sa.String(64), nullable=True))
    op.execute("UPDATE client_erasures SET erasure_id = pseudonym WHERE erasure_id IS NULL")
    op.create_index("ix_client_erasures_erasure_id", "client_erasures", ["erasure_id"])


def downgrade() -> None:
    op.drop_index("ix_client_erasures_erasure_id", table_name="client_erasures")
    with op.batch_alter_table("client_erasures") as batch:
        batch.drop_column("erasure_id")
