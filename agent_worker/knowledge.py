"""Knowledge-base search for agents: through the control plane (workers never open the DB).

The same `KnowledgeSource` feeds the offline answerer's passages and the
`search_knowledge_base` tool that cloud LLMs call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
from livekit.agents import ToolError, function_tool, llm

from .kb_answerer import KnowledgeSource

logger = logging.getLogger(__name__)

_PASSAGE_SEPARATOR = "\n---\n"


class ControlPlaneKnowledge:
    """Searches the agent's knowledge bases with the session's report token."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        report_url: str,
        report_token: str,
        knowledge_base_ids: Sequence[str],
        timeout_s: float = 5.0,
    ) -> None:
        self._http = http
        self._url = f"{report_url}/knowledge/search"
        self._headers = {"Authorization": f"Bearer {report_token}"}
        self._kb_ids = list(knowledge_base_ids)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def search(self, query: str, *, top_k: int) -> list[str]:
        body = {"knowledge_base_ids": self._kb_ids, "query": query, "top_k": top_k}
        try:
            async with self._http.post(
                self._url, json=body, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status != 200:
                    logger.warning("knowledge search failed", extra={"status": response.status})
                    return []
                payload = await response.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            # A caller still gets an answer from the instructions when search is down.
            logger.warning("knowledge search unreachable", extra={"error": type(exc).__name__})
            return []
        return [str(hit["content"]) for hit in payload.get("results", [])]


def search_knowledge_base_tool(knowledge: KnowledgeSource, top_k: int = 4) -> llm.Tool:
    @function_tool(name="search_knowledge_base")
    async def search_knowledge_base(query: str) -> str:
        """Search the business's documents (hours, prices, policies...) for facts to answer
        the caller. Call it before answering any factual question about the business.

        Args:
            query: The caller's question, rephrased as a search query.
        """
        passages = await knowledge.search(query, top_k=top_k)
        if not passages:
            raise ToolError("nothing relevant was found in the knowledge base")
        return _PASSAGE_SEPARATOR.join(passages)

    return search_knowledge_base
