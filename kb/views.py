"""Read models the store returns: plain data, never the table classes."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from kb.models import KbChunk, KbDocument, KnowledgeBase

T = TypeVar("T")


def _utc(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; they were written as UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def total_pages(self) -> int:
        return (self.total + self.per_page - 1) // self.per_page


@dataclass(frozen=True, slots=True)
class KnowledgeBaseInfo:
    id: str
    project_id: str
    name: str
    description: str | None
    chunk_size: int
    chunk_overlap: int
    chunk_count: int
    total_chars: int
    document_count: int
    indexing_status: str
    last_indexed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, base: KnowledgeBase, chunk_count: int, total_chars: int, document_count: int
    ) -> "KnowledgeBaseInfo":
        return cls(
            id=base.id,
            project_id=base.project_id,
            name=base.name,
            description=base.description,
            chunk_size=base.chunk_size,
            chunk_overlap=base.chunk_overlap,
            chunk_count=chunk_count,
            total_chars=total_chars,
            document_count=document_count,
            indexing_status=base.indexing_status,
            last_indexed_at=_utc(base.last_indexed_at),
            created_at=_utc(base.created_at),  # type: ignore[arg-type]
            updated_at=_utc(base.updated_at),  # type: ignore[arg-type]
        )


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    id: str
    knowledge_base_id: str
    source_name: str
    source_type: str
    url: str | None
    refresh_interval_s: int | None
    chunk_count: int
    total_chars: int
    status: str
    created_at: datetime
    updated_at: datetime
    last_fetched_at: datetime | None

    @classmethod
    def of(cls, doc: KbDocument) -> "DocumentInfo":
        return cls(
            id=doc.id,
            knowledge_base_id=doc.knowledge_base_id,
            source_name=doc.source_name,
            source_type=doc.source_type,
            url=doc.url,
            refresh_interval_s=doc.refresh_interval_s,
            chunk_count=doc.chunk_count,
            total_chars=doc.total_chars,
            status=doc.status,
            created_at=_utc(doc.created_at),  # type: ignore[arg-type]
            updated_at=_utc(doc.updated_at),  # type: ignore[arg-type]
            last_fetched_at=_utc(doc.last_fetched_at),
        )


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    id: str
    knowledge_base_id: str
    document_id: str
    source: str
    title: str | None
    position: int
    content: str
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, chunk: KbChunk, preview_chars: int | None) -> "ChunkInfo":
        content = chunk.content
        if preview_chars is not None and len(content) > preview_chars:
            content = content[:preview_chars]
        return cls(
            id=chunk.id,
            knowledge_base_id=chunk.knowledge_base_id,
            document_id=chunk.document_id,
            source=chunk.source,
            title=chunk.title,
            position=chunk.position,
            content=content,
            is_active=chunk.is_active,
            created_at=_utc(chunk.created_at),  # type: ignore[arg-type]
            updated_at=_utc(chunk.updated_at),  # type: ignore[arg-type]
        )


@dataclass(frozen=True, slots=True)
class IngestResult:
    document_id: str
    source_name: str
    chunks_created: int
    # False when a URL's content was unchanged since the last fetch and nothing was redone.
    changed: bool
