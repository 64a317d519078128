"""What a monitoring history lists of each result, stored with it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

The drift report lists up to 50 earlier reports, each with its score's PSI as served when that
report was the latest (beside what the portfolio published on the same people), and the
backtest lists as many with their AUC and rates as disclosed. The route read each report whole
(a drift report is about 70 KB) and redid that work for every point on every view: 0.26 s with
50 points. ``point`` keeps those few figures, computed by the job that stores the result
(``backend.monitoring.service.point_of``); a result stored before it gets its point from the
next published job of its kind (or one of another rules version: ``point_version``), and until
then the route computes it as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("monitoring_aggregates", sa.Column("point", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("monitoring_aggregates", "point")
