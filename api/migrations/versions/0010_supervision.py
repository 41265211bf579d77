"""Supervision and recording additions (issue 14).

Revision ID: 0010_supervision
Revises: 0009_telephony_calls
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_supervision"
down_revision: str | None = "0009_telephony_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a per-participant room recording names the participant on each channel
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_identities", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_column("channel_identities")
