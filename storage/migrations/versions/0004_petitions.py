"""Petitions tables: sources, snapshots, settings, milestones, live counters.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _campaign_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["campaign_id"],
        ["campaigns.id"],
        name=op.f(f"fk_{table}_campaign_id_campaigns"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "petition_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), server_default="", nullable=False),
        sa.Column("pointer", sa.String(length=500), server_default="", nullable=False),
        sa.Column("pattern", sa.String(length=500), server_default="", nullable=False),
        sa.Column("link", sa.String(length=2000), server_default="", nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("healthy", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("alerted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_count", sa.BigInteger(), nullable=True),
        sa.Column("last_reading_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
        sa.Column("etag", sa.String(length=200), server_default="", nullable=False),
        sa.Column("last_modified", sa.String(length=100), server_default="", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retry_at", UTCDateTime(), nullable=True),
        sa.Column("due_window", sa.String(length=64), nullable=True),
        sa.Column("polled_window", sa.String(length=64), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _campaign_fk("petition_sources"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_petition_sources_schedule_id_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_sources")),
        sa.UniqueConstraint("campaign_id", "name", name=op.f("uq_petition_sources_campaign_id")),
    )
    op.create_table(
        "petition_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("window_key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["petition_sources.id"],
            name=op.f("fk_petition_snapshots_source_id_petition_sources"),
            ondelete="CASCADE",
        ),
        _campaign_fk("petition_snapshots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_snapshots")),
        sa.UniqueConstraint(
            "source_id", "window_key", name=op.f("uq_petition_snapshots_source_id")
        ),
    )
    op.create_index(
        "ix_petition_snapshots_campaign", "petition_snapshots", ["campaign_id", "taken_at"]
    )
    op.create_table(
        "petition_settings",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("step", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("display", sa.String(length=16), server_default="sum", nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _campaign_fk("petition_settings"),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_petition_settings")),
    )
    op.create_table(
        "petition_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("reached_at", UTCDateTime(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        _campaign_fk("petition_milestones"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_milestones")),
        sa.UniqueConstraint(
            "campaign_id", "threshold", name=op.f("uq_petition_milestones_campaign_id")
        ),
    )
    op.create_table(
        "petition_live_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("generation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("shown_count", sa.BigInteger(), nullable=True),
        sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_petition_live_counters_place_id_places"),
            ondelete="CASCADE",
        ),
        _campaign_fk("petition_live_counters"),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_petition_live_counters_outbox_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_live_counters")),
        sa.UniqueConstraint("place_id", name=op.f("uq_petition_live_counters_place_id")),
    )


def downgrade() -> None:
    op.drop_table("petition_live_counters")
    op.drop_table("petition_milestones")
    op.drop_table("petition_settings")
    op.drop_index("ix_petition_snapshots_campaign", table_name="petition_snapshots")
    op.drop_table("petition_snapshots")
    op.drop_table("petition_sources")
