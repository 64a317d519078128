"""A published result keeps each member's cells, so the next job counts who moved per segment.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

``monitoring_aggregates`` gains ``member_cells``: for each of ``members`` (the row digests), in
the same order, its segment in every segmentation and its cohort, as a structured array saved
in NumPy's .npy format (no pickle). Two results published around an import of 10, one of them
alone in a segment, gave that person's figures by subtraction; a job now pools a segment or a
cohort that moved by 1 to 9 people since a published result (``ml.disclosure.cell_moves``).
Earlier results have none and are compared by their population only. ``population_digest``
(a digest of both) lets the next job load and compare each population once, however many
results were computed on it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("monitoring_aggregates", sa.Column("member_cells", sa.LargeBinary(), nullable=True))
    op.add_column("monitoring_aggregates", sa.Column("population_digest", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("monitoring_aggregates") as batch:
        batch.drop_column("population_digest")
        batch.drop_column("member_cells")
