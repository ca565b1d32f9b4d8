"""Digest tables: each place's digest settings, and the log of digests composed.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_settings",
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("time", sa.String(length=5), server_default="18:00", nullable=False),
        sa.Column("channel", sa.String(length=64), server_default="", nullable=False),
        sa.Column("chart", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("quiet", sa.String(length=8), server_default="short", nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_digest_settings_place_id_places"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_digest_settings_schedule_id_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("place_id", name=op.f("pk_digest_settings")),
    )
    op.create_table(
        "digest_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.String(length=10), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("signatures", sa.BigInteger(), nullable=True),
        sa.Column("composed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_digest_log_place_id_places"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_digest_log_outbox_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_log")),
        sa.UniqueConstraint("place_id", "local_date", name=op.f("uq_digest_log_place_id")),
    )


def downgrade() -> None:
    op.drop_table("digest_log")
    op.drop_table("digest_settings")
