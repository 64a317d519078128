"""A password change cannot go back to one of the user's last five passwords.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

``password_history`` keeps the argon2id hash of each password a user held before, pruned to
the last five at every change (``backend.users.service.PASSWORD_HISTORY``). Before, only the
one-time passwords an admin handed out were refused: a user forced to change a leaked
password could change it twice and be back on it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "password_history",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_password_history_user_id", "password_history", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_password_history_user_id", table_name="password_history")
    op.drop_table("password_history")
