"""Initial schema: campaigns, places, roles, invites, outbox, schedules, occurrences, quotas,
audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from storage.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The first revision creates the tables exactly as declared; later revisions alter them
# step by step (and must not import the current schema).
TABLES = (
    "campaigns",
    "places",
    "roles",
    "invites",
    "outbox",
    "schedules",
    "occurrences",
    "quotas",
    "audit_log",
)


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, tables=[metadata.tables[name] for name in TABLES])


def downgrade() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind, tables=[metadata.tables[name] for name in reversed(TABLES)])
