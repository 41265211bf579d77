"""The one UTC helper of the control plane and the knowledge base.

It lives in `kb`, the bottom layer, so that `api` can reuse it without `kb` importing `api`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (what every stored timestamp holds)."""
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as event bodies carry times."""
    return moment.isoformat().replace("+00:00", "Z")
