"""Outbound calls remember when they ended (the dialling policy counts a call until its phone
hangs up, not until its session ends), including the person a warm transfer dials.

Revision ID: 0011_call_ends
Revises: 0010_supervision
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db import UtcDateTime

revision: str = "0011_call_ends"
down_revision: str | None = "0010_supervision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sip_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sip_calls", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
