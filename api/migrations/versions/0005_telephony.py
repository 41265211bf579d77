"""SIP trunks, phone lines and scheduled calls (filled by the telephony work)."""

revision = "0005_telephony"
down_revision = "0004_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
