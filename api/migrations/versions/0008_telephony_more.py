"""Scheduled outbound calls and other telephony additions (issue 13).

Revision ID: 0008_telephony_more
Revises: 0007_gateway
"""

from collections.abc import Sequence

revision: str = "0008_telephony_more"
down_revision: str | None = "0007_gateway"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
