"""Scheduled outbound calls and other telephony additions (issue 13).

Revision ID: 0008_telephony_more
Revises: 0007_gateway
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db import UtcDateTime

revision: str = "0008_telephony_more"
down_revision: str | None = "0007_gateway"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sip_scheduled_calls",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("scheduled_at", UtcDateTime(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("principal", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sip_scheduled_calls_project_id", "sip_scheduled_calls", ["project_id"])
    op.create_index("ix_sip_scheduled_calls_scheduled_at", "sip_scheduled_calls", ["scheduled_at"])


def downgrade() -> None:
    op.drop_table("sip_scheduled_calls")
