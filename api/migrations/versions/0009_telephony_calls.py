"""Telephony: warm transfer, answering-machine detection and other call additions (issue 13).

Revision ID: 0009_telephony_calls
Revises: 0008_telephony_more
"""

from collections.abc import Sequence

revision: str = "0009_telephony_calls"
down_revision: str | None = "0008_telephony_more"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
