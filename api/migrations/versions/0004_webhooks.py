"""Webhook endpoints and deliveries (filled by the webhooks work)."""

revision = "0004_webhooks"
down_revision = "0003_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
