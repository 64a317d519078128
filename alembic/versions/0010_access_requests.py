"""Four-eyes on access: a request that a second admin approves or rejects.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Granting a role that reaches personal data (advisor, compliance) or admin, enabling such an
account, and resetting its password are requests; another admin decides. ``kind`` is one
of create, role, enable, reset; ``status`` pending, approved or rejected.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('create', 'role', 'enable', 'reset')", name="kind_known"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        sa.CheckConstraint("role IN ('advisor', 'comex', 'compliance', 'admin')", name="role_known"),
    )
    op.create_index("ix_access_requests_username", "access_requests", ["username"])
    op.create_index("ix_access_requests_status", "access_requests", ["status"])


def downgrade() -> None:
    op.drop_index("ix_access_requests_status", table_name="access_requests")
    op.drop_index("ix_access_requests_username", table_name="access_requests")
    op.drop_table("access_requests")
