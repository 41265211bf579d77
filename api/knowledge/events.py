"""Knowledge events, written by the knowledge store's change listener in its transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.events import catalogue, outbox
from kb import KbChange


async def record_knowledge_change(session: AsyncSession, change: KbChange) -> None:
    data: dict[str, object] = {
        "knowledge_base_id": change.knowledge_base_id,
        "chunk_count": change.chunk_count,
    }
    if change.kind == "document_stored":
        data |= {
            "document_id": change.document_id,
            "source_name": change.source_name,
            "source_type": change.source_type,
        }
        event_type = catalogue.KNOWLEDGE_DOCUMENT_UPLOADED
    else:
        event_type = catalogue.KNOWLEDGE_REINDEXED
    await outbox.record(session, change.project_id, event_type, data)
