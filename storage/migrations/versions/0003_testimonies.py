"""Testimonies tables: stories, per-campaign testimony settings, moderators' decisions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "testimonies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("author_key", sa.String(length=100), nullable=True),
        sa.Column("display_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("consent", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("featured", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_testimonies_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_testimonies_place_id_places"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_testimonies")),
        sa.UniqueConstraint("reference", name=op.f("uq_testimonies_reference")),
    )
    op.create_index(
        "ix_testimonies_campaign", "testimonies", ["campaign_id", "status", "created_at"]
    )
    op.create_index("ix_testimonies_author", "testimonies", ["author_key", "created_at"])
    op.create_index(
        "ix_testimonies_export",
        "testimonies",
        ["campaign_id", "status", "consent", "category"],
    )
    op.create_table(
        "testimony_settings",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("review_platform", sa.String(length=16), nullable=True),
        sa.Column("review_chat_id", sa.String(length=64), nullable=True),
        sa.Column("review_place_id", sa.Integer(), nullable=True),
        sa.Column("post_approved", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("daily_limit", sa.Integer(), nullable=True),
        sa.Column("pending_limit", sa.Integer(), nullable=True),
        sa.Column("organisers_told_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_testimony_settings_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_place_id"],
            ["places.id"],
            name=op.f("fk_testimony_settings_review_place_id_places"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_testimony_settings")),
    )
    op.create_table(
        "testimony_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("testimony_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["testimony_id"],
            ["testimonies.id"],
            name=op.f("fk_testimony_decisions_testimony_id_testimonies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_testimony_decisions")),
    )
    op.create_index("ix_testimony_decisions_testimony", "testimony_decisions", ["testimony_id"])


def downgrade() -> None:
    op.drop_index("ix_testimony_decisions_testimony", table_name="testimony_decisions")
    op.drop_table("testimony_decisions")
    op.drop_table("testimony_settings")
    op.drop_index("ix_testimonies_export", table_name="testimonies")
    op.drop_index("ix_testimonies_author", table_name="testimonies")
    op.drop_index("ix_testimonies_campaign", table_name="testimonies")
    op.drop_table("testimonies")
