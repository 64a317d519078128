"""Each audit event carries a MAC by the API, so a row the database owner inserts is caught.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

``audit_events`` and ``audit_pending`` gain ``mac``: ``key_id:HMAC-SHA256`` of the event's
fields but ``seq``, under a key derived from the audit signing secret (environment, never the
database). The hash chain proves an event was not changed after it was chained; anyone who
can INSERT into ``audit_pending`` (the API's role can) or ``audit_events`` can still hash a
forged row of their own. Verification now reports an event whose MAC does not match
(``mac_invalid``) and one without a MAC after the first event that has one (``mac_missing``).
Events written before this migration have none and are not checked.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("mac", sa.String(96), nullable=True))
    op.add_column("audit_pending", sa.Column("mac", sa.String(96), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_pending") as batch:
        batch.drop_column("mac")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("mac")
