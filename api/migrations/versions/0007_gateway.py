"""Project voice defaults, voice sessions and join tickets (the media gateway work, issue 15).

Join tickets are one-time and live a minute: they are kept in Redis, not here.

Revision ID: 0007_gateway
Revises: 0006_recordings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db import UtcDateTime

revision: str = "0007_gateway"
down_revision: str | None = "0006_recordings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voice_configs",
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("agent_config_id", sa.String(length=40), nullable=True),
        sa.Column("prompt", sa.String(length=20_000), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("max_duration", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("max_active_sessions", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("project_id"),
    )
    op.create_table(
        "voice_calls",
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("history_key", sa.String(length=64), nullable=False),
        sa.Column("gateway_id", sa.String(length=100), nullable=True),
        sa.Column("max_duration_s", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    for column in ("project_id", "history_key", "gateway_id", "created_at"):
        op.create_index(f"ix_voice_calls_{column}", "voice_calls", [column])


def downgrade() -> None:
    for column in ("project_id", "history_key", "gateway_id", "created_at"):
        op.drop_index(f"ix_voice_calls_{column}", table_name="voice_calls")
    op.drop_table("voice_calls")
    op.drop_table("voice_configs")
