"""Tables of the knowledge base. Every row carries `project_id`; every query filters on it.

The full-text index lives outside these classes (see kb.schema): an FTS5 table on SQLite,
a generated tsvector column on Postgres, neither of which SQLModel can describe portably.
"""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from kb.utc import utcnow as utcnow  # re-exported: kb.store imports it from here


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


class IndexingStatus(StrEnum):
    EMPTY = "empty"
    INDEXING = "indexing"
    READY = "ready"
    FAILED = "failed"


class SourceType(StrEnum):
    UPLOAD = "upload"
    TEXT = "text"
    URL = "url"


class DocumentStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


def _timestamp(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class KnowledgeBase(SQLModel, table=True):
    __tablename__ = "knowledge_bases"
    __table_args__ = (Index("ix_knowledge_bases_project_created", "project_id", "created_at"),)

    id: str = Field(default_factory=lambda: new_id("kb_"), primary_key=True, max_length=40)
    project_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    chunk_size: int = 500
    chunk_overlap: int = 50
    indexing_status: str = Field(default=IndexingStatus.EMPTY.value, max_length=20)
    last_indexed_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # Bumped in the same transaction as any change to this base's chunks, so every replica
    # can tell that its in-memory vector matrix is stale.
    index_version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class KbDocument(SQLModel, table=True):
    __tablename__ = "kb_documents"
    __table_args__ = (
        # The identity of a document inside a base: re-ingesting the same source replaces it.
        UniqueConstraint(
            "project_id", "knowledge_base_id", "source_name", name="uq_kb_documents_source"
        ),
        Index("ix_kb_documents_refresh", "source_type", "refresh_interval_s"),
    )

    id: str = Field(default_factory=lambda: new_id("doc_"), primary_key=True, max_length=40)
    project_id: str = Field(max_length=64)
    knowledge_base_id: str = Field(
        foreign_key="knowledge_bases.id", ondelete="CASCADE", max_length=40
    )
    source_name: str = Field(max_length=500)
    source_type: str = Field(max_length=20)
    url: str | None = Field(default=None, max_length=2000)
    refresh_interval_s: int | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    chunk_count: int = 0
    total_chars: int = 0
    status: str = Field(default=DocumentStatus.PROCESSING.value, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    last_fetched_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class KbChunk(SQLModel, table=True):
    __tablename__ = "kb_chunks"
    __table_args__ = (
        Index("ix_kb_chunks_scope", "project_id", "knowledge_base_id", "is_active"),
        Index("ix_kb_chunks_document", "document_id", "position"),
    )

    # A stable integer key for the full-text index: FTS5's external content table joins on
    # it (an implicit SQLite rowid could change on VACUUM).
    seq: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    id: str = Field(default_factory=lambda: new_id("chk_"), unique=True, max_length=40)
    project_id: str = Field(max_length=64)
    knowledge_base_id: str = Field(
        foreign_key="knowledge_bases.id", ondelete="CASCADE", max_length=40
    )
    document_id: str = Field(foreign_key="kb_documents.id", ondelete="CASCADE", max_length=40)
    source: str = Field(max_length=500)
    title: str | None = Field(default=None, max_length=1000)
    position: int
    content: str
    is_active: bool = True
    # float32 little-endian, L2-normalised; see kb.embedding.
    embedding: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


# Looked up in the metadata because SQLModel's stubs do not declare `__table__`.
KB_TABLES = tuple(
    SQLModel.metadata.tables[str(model.__tablename__)]
    for model in (KnowledgeBase, KbDocument, KbChunk)
)
