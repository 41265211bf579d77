"""SIP trunks, phone lines, outbound calls and dialling policies (the telephony work).

Revision ID: 0005_telephony
Revises: 0004_webhooks
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db import UtcDateTime

revision: str = "0005_telephony"
down_revision: str | None = "0004_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sip_trunks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("inbound", sa.JSON(), nullable=True),
        sa.Column("outbound", sa.JSON(), nullable=True),
        sa.Column("inbound_trunk_id", sa.String(length=64), nullable=True),
        sa.Column("outbound_trunk_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sip_trunks_project_id", "sip_trunks", ["project_id"])
    op.create_table(
        "sip_phone_lines",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("trunk_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("dtmf_enabled", sa.Boolean(), nullable=False),
        sa.Column("max_call_duration", sa.Integer(), nullable=False),
        sa.Column("record", sa.Boolean(), nullable=False),
        sa.Column("dispatch_rule_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.ForeignKeyConstraint(["trunk_id"], ["sip_trunks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trunk_id", "phone_number"),
    )
    for column in ("project_id", "trunk_id", "agent_id"):
        op.create_index(f"ix_sip_phone_lines_{column}", "sip_phone_lines", [column])
    op.create_table(
        "sip_calls",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("trunk_id", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=True),
        sa.Column("room_name", sa.String(length=160), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("caller_id", sa.String(length=20), nullable=False),
        sa.Column("participant_identity", sa.String(length=128), nullable=False),
        sa.Column("sip_participant_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("max_duration_s", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sip_calls_project_id", "sip_calls", ["project_id"])
    op.create_index("ix_sip_calls_created_at", "sip_calls", ["created_at"])
    op.create_table(
        "sip_dialling_policies",
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("allowed_prefixes", sa.JSON(), nullable=False),
        sa.Column("max_concurrent_calls", sa.Integer(), nullable=True),
        sa.Column("max_daily_minutes", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("project_id"),
    )


def downgrade() -> None:
    op.drop_table("sip_dialling_policies")
    op.drop_table("sip_calls")
    op.drop_table("sip_phone_lines")
    op.drop_table("sip_trunks")
