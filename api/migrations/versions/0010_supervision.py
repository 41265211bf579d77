"""Supervision and recording additions (issue 14).

Revision ID: 0010_supervision
Revises: 0009_telephony_calls
"""

from collections.abc import Sequence

revision: str = "0010_supervision"
down_revision: str | None = "0009_telephony_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
