"""Knowledge bases: ingest, chunk, embed, index and search a business's documents.

A library used by the control plane; it never imports `api/`.
"""

from kb.embedding import Embedder
from kb.errors import KbError
from kb.fetch import UrlFetcher
from kb.ingest import IngestProgress
from kb.schema import create_kb_schema, drop_kb_schema
from kb.search import SearchHit, SearchMode
from kb.settings import KbSettings
from kb.store import KbChange, KnowledgeStore

__all__ = [
    "Embedder",
    "IngestProgress",
    "KbChange",
    "KbError",
    "KbSettings",
    "KnowledgeStore",
    "SearchHit",
    "SearchMode",
    "UrlFetcher",
    "create_kb_schema",
    "drop_kb_schema",
]
