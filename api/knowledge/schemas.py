from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar.params import PathParameter
from pydantic import ConfigDict, Field

from api.pagination import Paginated
from api.schemas import NOT_BLANK, RequestBody, ResponseBody

KnowledgeBaseId = Annotated[str, PathParameter(description="The knowledge base's id (`kb_...`)")]
DocumentId = Annotated[str, PathParameter(description="The document's id (`doc_...`)")]
ChunkId = Annotated[str, PathParameter(description="The chunk's id (`chk_...`)")]


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

    name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    """A name for people."""
    description: str | None = Field(default=None, max_length=2000)
    """What the documents are about; for people, not used in search."""
    chunk_size: int | None = Field(default=None, ge=100, le=8000)
    """Most characters in a chunk; null for the server's default (500)."""
    chunk_overlap: int | None = Field(default=None, ge=0, le=2000)
    """Characters a chunk repeats from the end of the one before; less than half of
    `chunk_size` (409 otherwise). Null for the server's default (50)."""


class IngestProgressRead(ResponseBody):
    """How far an ingestion or reindex has got."""

    stage: str
    """`extracting`, `embedding` or `storing`."""
    done: int
    """Chunks done in this stage."""
    total: int
    """Chunks this stage has to do."""


class KnowledgeBaseRead(ResponseBody):
    id: str
    """The knowledge base's id (`kb_...`), as agents' `knowledge_base_ids` name it."""
    name: str
    """A name for people."""
    description: str | None
    """What the documents are about; null if not given."""
    chunk_size: int
    """Most characters in a chunk."""
    chunk_overlap: int
    """Characters a chunk repeats from the one before."""
    chunk_count: int
    """Chunks stored, inactive ones included."""
    document_count: int
    """Documents ingested (files, texts, URLs)."""
    total_chars: int
    """Characters of text extracted from its documents."""
    indexing_status: str
    """`empty` before the first document, `indexing` while a reindex runs, then `ready`."""
    last_indexed_at: datetime | None
    """When its chunks last changed (ingest, edit, delete, reindex); null if never."""
    created_at: datetime
    """When it was created (ISO 8601, UTC)."""
    updated_at: datetime
    """When it or its chunks last changed (ISO 8601, UTC)."""
    progress: IngestProgressRead | None = None
    """The running ingestion's progress, while one runs."""


class KnowledgeBaseEnvelope(ResponseBody):
    knowledge_base: KnowledgeBaseRead
    """The knowledge base."""


class KnowledgeBaseList(Paginated):
    knowledge_bases: list[KnowledgeBaseRead]
    """This page of the project's knowledge bases, newest first."""


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

    content: str = Field(min_length=1, pattern=NOT_BLANK, description="Text to ingest (not blank)")
    source_name: str = Field(default="api_ingest", min_length=1, max_length=500, pattern=NOT_BLANK)
    """Names the document: ingesting again under the same name replaces its chunks."""


class UrlIngest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://example.com/faq", "refresh_interval": 86400}]
        }
    )

    url: str = Field(min_length=1, max_length=2000)
    """An `http(s)` page or file to fetch; private, loopback and link-local addresses are
    refused. Ingesting the same URL again replaces its document."""
    refresh_interval: int | None = Field(
        default=None, ge=300, le=30 * 86400, description="Seconds between re-fetches"
    )


class IngestResponse(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    document_id: str
    """The document (`doc_...`) the content became, new or replaced."""
    source_file: str
    """The document's name: the file name, the `source_name` or the URL."""
    chunks_created: int
    """Chunks the document has now."""
    changed: bool
    """False when a URL's content was the same as at its last fetch and nothing was redone."""


class DocumentRead(ResponseBody):
    id: str
    """The document's id (`doc_...`)."""
    source_name: str
    """The document's name (file name, `source_name` or URL), unique in its knowledge base."""
    source_type: str
    """`upload`, `text` or `url`."""
    url: str | None
    """Where a `url` document is fetched from; null for the others."""
    refresh_interval: int | None
    """Seconds between re-fetches of a `url` document; null if it is not re-fetched."""
    chunk_count: int
    """Chunks made from it."""
    total_chars: int
    """Characters of text extracted from it."""
    status: str
    """`processing` while it is being ingested, then `ready`."""
    created_at: datetime
    """When it was first ingested (ISO 8601, UTC)."""
    updated_at: datetime
    """When its content last changed (ISO 8601, UTC)."""
    last_fetched_at: datetime | None
    """When a `url` document was last fetched; null for the others."""


class DocumentList(Paginated):
    documents: list[DocumentRead]
    """This page of the knowledge base's documents, oldest first."""


class ChunkRead(ResponseBody):
    """A passage of a document, the unit search returns."""

    id: str
    """The chunk's id (`chk_...`)."""
    document_id: str
    """The document (`doc_...`) it comes from."""
    source: str
    """The name of that document."""
    title: str | None
    """The headings it sits under (or the document's title); null if none. Part of what is
    searched."""
    chunk_index: int
    """Its position in the document, from 0."""
    content: str
    """Its text; in lists, only the first 200 characters."""
    is_active: bool
    """Whether search may return it."""
    created_at: datetime
    """When it was stored (ISO 8601, UTC)."""
    updated_at: datetime
    """When its text, embedding or state last changed (ISO 8601, UTC)."""


class ChunkList(Paginated):
    chunks: list[ChunkRead]
    """This page of the knowledge base's chunks, by document and position in it."""


class ChunkUpdate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"content": "We are open Monday to Saturday from 9 am to 6 pm."}]
        }
    )

    content: str | None = Field(default=None, min_length=1, max_length=8000, pattern=NOT_BLANK)
    """New text for the chunk, embedded again at once; omit to keep it."""
    is_active: bool | None = None
    """Whether search may return the chunk; omit to keep it."""


class ReindexResponse(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    chunks_reindexed: int
    """Chunks embedded again."""


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
    """The one knowledge base (`kb_...`) to search."""
    knowledge_base_ids: list[str] | None = Field(default=None, min_length=1, max_length=20)
    """Several knowledge bases to search together."""
    query: str = Field(min_length=1, max_length=2000, pattern=NOT_BLANK)
    """The question or words to look for."""
    top_k: int = Field(default=5, ge=1, le=50)
    """How many chunks to return at most."""


class SearchResult(ResponseBody):
    """A chunk that matches the query."""

    chunk_id: str
    """The chunk's id (`chk_...`)."""
    knowledge_base_id: str
    """The knowledge base it belongs to."""
    document_id: str
    """The document it comes from."""
    source: str
    """The name of that document."""
    title: str | None
    """The headings it sits under (or the document's title); null if none."""
    chunk_index: int
    """Its position in the document, from 0."""
    content: str
    """Its full text."""
    score: float
    """Rank of meaning and word matches combined, higher is better; comparable within one
    result list only."""
    similarity: float | None
    """Cosine similarity of its meaning to the query's, from -1 to 1: comparable across
    queries, e.g. to decide there is no good answer. Null when it matched on words only."""


class SearchResponse(ResponseBody):
    query: str
    """The query, as sent."""
    results: list[SearchResult]
    """Best match first."""


class Deleted(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
