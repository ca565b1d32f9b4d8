"""Waves tables: waves, their texts and occurrences, participants, DM opt-ins, posts, and the
link between a wave and its schedules.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("brief", sa.Text(), server_default="", nullable=False),
        sa.Column("networks", sa.JSON(), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=500), server_default="", nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("offsets", sa.JSON(), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("pledge_target", sa.Integer(), nullable=True),
        sa.Column("pledge_deadline", UTCDateTime(), nullable=True),
        sa.Column("pledge_state", sa.String(length=16), server_default="none", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _fk("waves", "campaign_id", "campaigns", "CASCADE"),
        _fk("waves", "place_id", "places", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waves")),
    )
    op.create_index("ix_waves_campaign", "waves", ["campaign_id", "status"])
    op.create_table(
        "wave_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _fk("wave_texts", "wave_id", "waves", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_texts")),
        sa.UniqueConstraint("wave_id", "position", name=op.f("uq_wave_texts_wave_id")),
    )
    op.create_table(
        "wave_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _fk("wave_occurrences", "wave_id", "waves", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_occurrences")),
        sa.UniqueConstraint("wave_id", "number", name=op.f("uq_wave_occurrences_wave_id")),
    )
    op.create_table(
        "wave_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=100), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("wants_dm", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        _fk("wave_participants", "wave_id", "waves", "CASCADE"),
        _fk("wave_participants", "place_id", "places", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_participants")),
        sa.UniqueConstraint("wave_id", "user_key", name=op.f("uq_wave_participants_wave_id")),
    )
    op.create_index("ix_wave_participants_user", "wave_participants", ["user_key"])
    op.create_table(
        "wave_dm_optins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("user_key", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_dm_optins")),
        sa.UniqueConstraint("platform", "user_id", name=op.f("uq_wave_dm_optins_platform")),
    )
    op.create_index("ix_wave_dm_optins_user", "wave_dm_optins", ["user_key"])
    op.create_table(
        "wave_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=100), nullable=False),
        sa.Column("link", sa.String(length=500), server_default="", nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        _fk("wave_posts", "occurrence_id", "wave_occurrences", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_posts")),
        sa.UniqueConstraint("occurrence_id", "user_key", name=op.f("uq_wave_posts_occurrence_id")),
    )
    op.create_index("ix_wave_posts_user", "wave_posts", ["user_key"])
    op.create_table(
        "wave_schedules",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=True),
        _fk("wave_schedules", "schedule_id", "schedules", "CASCADE"),
        _fk("wave_schedules", "wave_id", "waves", "CASCADE"),
        _fk("wave_schedules", "occurrence_id", "wave_occurrences", "CASCADE"),
        sa.PrimaryKeyConstraint("schedule_id", name=op.f("pk_wave_schedules")),
    )
    op.create_index("ix_wave_schedules_wave", "wave_schedules", ["wave_id", "role"])


def downgrade() -> None:
    op.drop_index("ix_wave_schedules_wave", table_name="wave_schedules")
    op.drop_table("wave_schedules")
    op.drop_index("ix_wave_posts_user", table_name="wave_posts")
    op.drop_table("wave_posts")
    op.drop_index("ix_wave_dm_optins_user", table_name="wave_dm_optins")
    op.drop_table("wave_dm_optins")
    op.drop_index("ix_wave_participants_user", table_name="wave_participants")
    op.drop_table("wave_participants")
    op.drop_table("wave_occurrences")
    op.drop_table("wave_texts")
    op.drop_index("ix_waves_campaign", table_name="waves")
    op.drop_table("waves")
