"""Events outbox and monitor sequence numbers (filled by the events work)."""

revision = "0003_events"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
