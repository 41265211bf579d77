"""Project voice defaults, voice sessions and join tickets (the media gateway work, issue 15).

Revision ID: 0007_gateway
Revises: 0006_recordings
"""

from collections.abc import Sequence

revision: str = "0007_gateway"
down_revision: str | None = "0006_recordings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
