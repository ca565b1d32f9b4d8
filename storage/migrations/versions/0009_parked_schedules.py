"""Parked schedules: a schedule whose handler failed is set aside with its error.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("parked_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("parked_error", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("parked_error")
        batch.drop_column("parked_at")
