from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import BodyKwarg, JSONBody, MultipartBody

from api.auth import READ, WRITE
from api.knowledge.schemas import (
    ChunkId,
    ChunkList,
    ChunkRead,
    ChunkUpdate,
    Deleted,
    DocumentId,
    DocumentList,
    IngestResponse,
    KnowledgeBaseCreate,
    KnowledgeBaseEnvelope,
    KnowledgeBaseId,
    KnowledgeBaseList,
    ReindexResponse,
    SearchRequest,
    SearchResponse,
    TextIngest,
    UrlIngest,
)
from api.knowledge.services import KnowledgeService, chunk_read
from api.openapi import errors
from api.pagination import Page, page_body, provide_page
from api.projects.schemas import Principal
from api.resources import Resources
from api.usage.quota import quota

# Multipart framing around a file at the 10 MB document limit.
_UPLOAD_BODY_LIMIT = 11 * 1024 * 1024


def provide_knowledge(resources: NamedDependency[Resources]) -> KnowledgeService:
    return KnowledgeService(resources.knowledge, resources.redis)


@dataclass
class DocumentUpload:
    file: Annotated[
        UploadFile,
        BodyKwarg(
            description="The document (text, Markdown, CSV, JSON, HTML, PDF or DOCX; at most "
            "10 MB by default); its file name names the document"
        ),
    ]


class KnowledgeBaseController(Controller):
    path = "/knowledge-bases"
    tags = ["knowledge-bases"]
    dependencies = {
        "paging": Provide(provide_page, sync_to_thread=False),
        "knowledge": Provide(provide_knowledge, sync_to_thread=False),
    }

    @post(operation_id="createKnowledgeBase", opt=WRITE | quota("knowledge_bases") | errors(409))
    async def create(
        self,
        data: JSONBody[KnowledgeBaseCreate],
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> KnowledgeBaseEnvelope:
        return KnowledgeBaseEnvelope(
            knowledge_base=await knowledge.create(principal.project_id, data)
        )

    @get(operation_id="listKnowledgeBases", opt=READ)
    async def list_bases(
        self,
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
    ) -> KnowledgeBaseList:
        result = await knowledge.list_bases(principal.project_id, paging.page, paging.per_page)
        return KnowledgeBaseList(**page_body("knowledge_bases", result.items, result.total, paging))

    @get("/{kb_id:str}", operation_id="getKnowledgeBase", opt=READ)
    async def get_base(
        self,
        kb_id: KnowledgeBaseId,
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> KnowledgeBaseEnvelope:
        return KnowledgeBaseEnvelope(
            knowledge_base=await knowledge.get(principal.project_id, kb_id)
        )

    @delete("/{kb_id:str}", operation_id="deleteKnowledgeBase", opt=WRITE, status_code=200)
    async def delete_base(
        self,
        kb_id: KnowledgeBaseId,
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> Deleted:
        await knowledge.delete(principal.project_id, kb_id)
        return Deleted()

    @post(
        "/{kb_id:str}/documents",
        operation_id="uploadKnowledgeDocument",
        opt=WRITE,
        request_max_body_size=_UPLOAD_BODY_LIMIT,
    )
    async def upload(
        self,
        kb_id: KnowledgeBaseId,
        data: MultipartBody[DocumentUpload],
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> IngestResponse:
        content = await data.file.read()
        # The client's file name is only a label: it is never used as a path.
        label = (data.file.filename or "upload").replace("/", "_").replace("\\", "_")[:200]
        return await knowledge.ingest_upload(principal.project_id, kb_id, content, label)

    @get("/{kb_id:str}/documents", operation_id="listKnowledgeDocuments", opt=READ)
    async def documents(
        self,
        kb_id: KnowledgeBaseId,
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
    ) -> DocumentList:
        result = await knowledge.documents(
            principal.project_id, kb_id, paging.page, paging.per_page
        )
        return DocumentList(**page_body("documents", result.items, result.total, paging))

    @delete(
        "/{kb_id:str}/documents/{document_id:str}",
        operation_id="deleteKnowledgeDocument",
        opt=WRITE,
        status_code=200,
    )
    async def delete_document(
        self,
        kb_id: KnowledgeBaseId,
        document_id: DocumentId,
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> Deleted:
        await knowledge.store.delete_document(principal.project_id, kb_id, document_id)
        return Deleted()

    @post(
        "/{kb_id:str}/ingest",
        operation_id="ingestKnowledgeText",
        opt=WRITE,
        request_max_body_size=_UPLOAD_BODY_LIMIT,
    )
    async def ingest(
        self,
        kb_id: KnowledgeBaseId,
        data: JSONBody[TextIngest],
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> IngestResponse:
        return await knowledge.ingest_text(
            principal.project_id, kb_id, data.content, data.source_name
        )

    @post("/{kb_id:str}/urls", operation_id="ingestKnowledgeUrl", opt=WRITE)
    async def ingest_url(
        self,
        kb_id: KnowledgeBaseId,
        data: JSONBody[UrlIngest],
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> IngestResponse:
        return await knowledge.ingest_url(
            principal.project_id, kb_id, data.url, data.refresh_interval
        )

    @post(
        "/{kb_id:str}/reindex",
        operation_id="reindexKnowledgeBase",
        opt=WRITE,
        status_code=200,
    )
    async def reindex(
        self,
        kb_id: KnowledgeBaseId,
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> ReindexResponse:
        return ReindexResponse(
            chunks_reindexed=await knowledge.reindex(principal.project_id, kb_id)
        )

    @get("/{kb_id:str}/chunks", operation_id="listKnowledgeChunks", opt=READ)
    async def chunks(
        self,
        kb_id: KnowledgeBaseId,
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
    ) -> ChunkList:
        result = await knowledge.chunks(principal.project_id, kb_id, paging.page, paging.per_page)
        return ChunkList(**page_body("chunks", result.items, result.total, paging))

    @put("/{kb_id:str}/chunks/{chunk_id:str}", operation_id="updateKnowledgeChunk", opt=WRITE)
    async def update_chunk(
        self,
        kb_id: KnowledgeBaseId,
        chunk_id: ChunkId,
        data: JSONBody[ChunkUpdate],
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> ChunkRead:
        info = await knowledge.store.update_chunk(
            principal.project_id, kb_id, chunk_id, content=data.content, is_active=data.is_active
        )
        return chunk_read(info)

    @delete(
        "/{kb_id:str}/chunks/{chunk_id:str}",
        operation_id="deleteKnowledgeChunk",
        opt=WRITE,
        status_code=200,
    )
    async def delete_chunk(
        self,
        kb_id: KnowledgeBaseId,
        chunk_id: ChunkId,
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> Deleted:
        await knowledge.store.delete_chunk(principal.project_id, kb_id, chunk_id)
        return Deleted()


class KnowledgeSearchController(Controller):
    tags = ["knowledge-bases"]
    dependencies = {"knowledge": Provide(provide_knowledge, sync_to_thread=False)}

    @post(
        "/knowledge/search", operation_id="searchKnowledge", opt=READ | errors(404), status_code=200
    )
    async def search(
        self,
        data: JSONBody[SearchRequest],
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> SearchResponse:
        results = await knowledge.search(principal.project_id, data)
        return SearchResponse(query=data.query, results=results)
