"""Recordings (the supervision and recordings work, issue 14).

Revision ID: 0006_recordings
Revises: 0005_telephony
"""

from collections.abc import Sequence

revision: str = "0006_recordings"
down_revision: str | None = "0005_telephony"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
