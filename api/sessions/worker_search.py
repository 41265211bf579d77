"""Knowledge search for workers, limited to the project of the session they serve."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.knowledge.schemas import SearchRequest, SearchResponse
from api.knowledge.services import KnowledgeService
from api.resources import Resources
from api.sessions.tokens import session_from_token


class WorkerKnowledgeController(Controller):
    path = "/internal/v1"
    tags = ["internal"]
    include_in_schema = False

    @post("/knowledge/search", operation_id="workerKnowledgeSearch", status_code=200)
    async def knowledge_search(
        self,
        data: JSONBody[SearchRequest],
        request: Request[Any, Any, Any],
        resources: NamedDependency[Resources],
    ) -> SearchResponse:
        _, project_id = session_from_token(resources, request)
        service = KnowledgeService(resources.knowledge, resources.redis)
        return SearchResponse(query=data.query, results=await service.search(project_id, data))
