"""Events outbox and monitor sequence numbers.

Revision ID: 0003_events
Revises: 0002_knowledge
"""

import sqlalchemy as sa
from alembic import op

from api.db import UtcDateTime

revision = "0003_events"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=True),
        sa.Column("room_name", sa.String(length=160), nullable=True),
        sa.Column("rooms_seq", sa.Integer(), nullable=True),
        sa.Column("room_seq", sa.Integer(), nullable=True),
        sa.Column("session_seq", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("relayed_at", UtcDateTime(), nullable=True),
        sa.Column("relay_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("relay_after", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_events_rooms_seq", "events", ["project_id", "rooms_seq"])
    op.create_index("ix_events_room_seq", "events", ["project_id", "room_name", "room_seq"])
    op.create_index("ix_events_session_seq", "events", ["project_id", "session_id", "session_seq"])
    # Partial: the relay's scan stays as small as the backlog, however long events are kept.
    op.create_index(
        "ix_events_unrelayed",
        "events",
        ["created_at"],
        postgresql_where=sa.text("relayed_at IS NULL"),
        sqlite_where=sa.text("relayed_at IS NULL"),
    )
    op.create_table(
        "event_channels",
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "channel"),
    )


def downgrade() -> None:
    op.drop_table("event_channels")
    op.drop_index("ix_events_unrelayed", table_name="events")
    op.drop_index("ix_events_session_seq", table_name="events")
    op.drop_index("ix_events_room_seq", table_name="events")
    op.drop_index("ix_events_rooms_seq", table_name="events")
    op.drop_table("events")
