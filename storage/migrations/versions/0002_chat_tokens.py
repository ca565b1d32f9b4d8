"""Chat tokens: deep-link tokens, form conversations in progress, long button data.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_tokens",
        sa.Column("token", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("user_key", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_chat_tokens"),
    )
    op.create_index("ix_chat_tokens_expires", "chat_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_chat_tokens_expires", table_name="chat_tokens")
    op.drop_table("chat_tokens")
