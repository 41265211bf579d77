from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import RequestBody


class KnowledgeBaseCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Riverside Clinic FAQ",
                    "description": "Opening hours, services and prices",
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    chunk_size: int | None = Field(default=None, ge=100, le=8000)
    chunk_overlap: int | None = Field(default=None, ge=0, le=2000)


class IngestProgressRead(BaseModel):
    stage: str
    done: int
    total: int


class KnowledgeBaseRead(BaseModel):
    id: str
    name: str
    description: str | None
    chunk_size: int
    chunk_overlap: int
    chunk_count: int
    document_count: int
    total_chars: int
    indexing_status: str
    last_indexed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    progress: IngestProgressRead | None = None
    """The running ingestion's progress, while one runs."""


class KnowledgeBaseEnvelope(BaseModel):
    knowledge_base: KnowledgeBaseRead


class KnowledgeBaseList(BaseModel):
    knowledge_bases: list[KnowledgeBaseRead]
    total: int
    page: int
    per_page: int
    total_pages: int


class TextIngest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "content": "We are open Monday to Friday from 9 am to 6 pm.",
                    "source_name": "hours.txt",
                }
            ]
        }
    )

    content: str = Field(min_length=1, pattern=r"\S", description="Text to ingest (not blank)")
    source_name: str = Field(default="api_ingest", min_length=1, max_length=500)


class UrlIngest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://example.com/faq", "refresh_interval": 86400}]
        }
    )

    url: str = Field(min_length=1, max_length=2000)
    refresh_interval: int | None = Field(
        default=None, ge=300, le=30 * 86400, description="Seconds between re-fetches"
    )


class IngestResponse(BaseModel):
    success: bool = True
    document_id: str
    source_file: str
    chunks_created: int
    changed: bool


class DocumentRead(BaseModel):
    id: str
    source_name: str
    source_type: str
    url: str | None
    refresh_interval: int | None
    chunk_count: int
    total_chars: int
    status: str
    created_at: datetime
    updated_at: datetime
    last_fetched_at: datetime | None


class DocumentList(BaseModel):
    documents: list[DocumentRead]
    total: int
    page: int
    per_page: int
    total_pages: int


class ChunkRead(BaseModel):
    id: str
    document_id: str
    source: str
    title: str | None
    chunk_index: int
    content: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ChunkList(BaseModel):
    chunks: list[ChunkRead]
    total: int
    page: int
    per_page: int
    total_pages: int


class ChunkUpdate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"content": "We are open Monday to Saturday from 9 am to 6 pm."}]
        }
    )

    content: str | None = Field(default=None, min_length=1, max_length=8000, pattern=r"\S")
    is_active: bool | None = None


class ReindexResponse(BaseModel):
    success: bool = True
    chunks_reindexed: int


class SearchRequest(RequestBody):
    """Search one knowledge base (`knowledge_base_id`) or several (`knowledge_base_ids`, which
    wins when both are given)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"knowledge_base_id": "kb_3c5022e012ba34e10813d071", "query": "saturday hours"}
            ],
            "anyOf": [
                {
                    "required": ["knowledge_base_id"],
                    "properties": {"knowledge_base_id": {"type": "string"}},
                },
                {
                    "required": ["knowledge_base_ids"],
                    "properties": {"knowledge_base_ids": {"type": "array"}},
                },
            ],
        }
    )

    knowledge_base_id: str | None = Field(default=None, min_length=1, max_length=40)
    knowledge_base_ids: list[str] | None = Field(default=None, min_length=1, max_length=20)
    query: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    top_k: int = Field(default=5, ge=1, le=50)


class SearchResult(BaseModel):
    chunk_id: str
    knowledge_base_id: str
    document_id: str
    source: str
    title: str | None
    chunk_index: int
    content: str
    score: float
    similarity: float | None


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]


class Deleted(BaseModel):
    success: bool = True
