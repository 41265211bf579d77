"""Periodic re-fetch of URL documents; content that did not change is not re-embedded."""

from __future__ import annotations

import logging

from kb import KbError, KnowledgeStore

logger = logging.getLogger(__name__)


async def refresh_due_urls(store: KnowledgeStore) -> int:
    refreshed = 0
    for due in await store.due_url_documents():
        try:
            result = await store.refresh_document(
                due.project_id, due.knowledge_base_id, due.document_id
            )
        except KbError as exc:
            logger.warning(
                "url refresh failed",
                extra={"document_id": due.document_id, "error_code": exc.code},
            )
            continue
        refreshed += int(result.changed)
    return refreshed
