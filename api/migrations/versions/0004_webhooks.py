"""Webhook endpoints, their delivery queue and attempts; API-call usage counters."""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from api.db import UtcDateTime

revision: str = "0004_webhooks"
down_revision: str | None = "0003_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("project_id", _str(40), nullable=False),
        sa.Column("url", _str(2048), nullable=False),
        sa.Column("description", _str(500), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("secret", _str(100), nullable=False),
        sa.Column("previous_secret", _str(100), nullable=True),
        sa.Column("previous_secret_expires_at", UtcDateTime(), nullable=True),
        sa.Column("disabled_reason", _str(32), nullable=True),
        sa.Column("failing_since", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_webhook_endpoints_project_id", "webhook_endpoints", ["project_id"], unique=False
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("project_id", _str(40), nullable=False),
        sa.Column("endpoint_id", _str(40), nullable=False),
        sa.Column("event_id", _str(40), nullable=False),
        sa.Column("event_type", _str(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", _str(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("lease_token", _str(40), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        # Deleting an endpoint takes its log along, also under a delivery recorded meanwhile.
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint_id", "event_id"),
    )
    op.create_index(
        "ix_webhook_deliveries_project_id", "webhook_deliveries", ["project_id"], unique=False
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_id", "webhook_deliveries", ["endpoint_id"], unique=False
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", _str(40), nullable=False),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("error", _str(300), nullable=True),
        sa.Column("next_retry_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_deliveries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"], unique=False
    )
    op.create_table(
        "usage_api_calls",
        sa.Column("project_id", _str(40), nullable=False),
        sa.Column("day", _str(10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("usage_api_calls")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
