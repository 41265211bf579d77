"""Telling the application about committed changes, inside the transaction that makes them.

The control plane passes a listener that writes its outbox events with the same session, so
"document stored" and its event commit together (kb itself knows nothing of events).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class KbChange:
    kind: Literal["document_stored", "reindexed"]
    project_id: str
    knowledge_base_id: str
    chunk_count: int
    document_id: str | None = None
    source_name: str | None = None
    source_type: str | None = None


ChangeListener = Callable[[AsyncSession, KbChange], Awaitable[None]]
"""Called before the commit of a change; it writes with the session and never commits it."""
