"""Four-eyes on an erasure: one compliance officer asks, another confirms.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

Before, one compliance account erased a client at once (with a daily budget): a stolen
session could destroy 20 files a day. ``erasure_requests`` keeps each request (the client's
pseudonym, who asked and when, who confirmed or refused and when); the erasure happens only
when another compliance officer confirms it (``backend.privacy.erasure_requests``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "erasure_requests",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_erasure_requests_pseudonym", "erasure_requests", ["pseudonym"])
    op.create_index("ix_erasure_requests_status", "erasure_requests", ["status"])


def downgrade() -> None:
    op.drop_index("ix_erasure_requests_status", table_name="erasure_requests")
    op.drop_index("ix_erasure_requests_pseudonym", table_name="erasure_requests")
    op.drop_table("erasure_requests")
