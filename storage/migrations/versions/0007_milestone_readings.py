"""Milestones remember the reading that passed them, so that a count typed by mistake can
be undone with the milestones it announced.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("petition_milestones", sa.Column("snapshot_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("petition_milestones") as batch:
        batch.drop_column("snapshot_id")
