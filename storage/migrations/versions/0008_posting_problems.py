"""Places remember a posting problem: the bot is there but may not post (a lost permission).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


# Plain ADD / DROP COLUMN (SQLite 3.35+ has both): a batch copy of `places` would drop the
# old table, and with foreign keys on, that cascades to every row that refers to a place.
def upgrade() -> None:
    op.add_column(
        "places",
        sa.Column("posting_problem", sa.String(length=200), server_default="", nullable=False),
    )
    op.add_column(
        "places",
        sa.Column("posting_problem_chat", sa.String(length=64), server_default="", nullable=False),
    )
    op.add_column("places", sa.Column("posting_problem_since", UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("places", "posting_problem_since")
    op.drop_column("places", "posting_problem_chat")
    op.drop_column("places", "posting_problem")
