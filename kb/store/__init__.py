"""KnowledgeStore: the knowledge-base service the control plane calls.

Every method takes `project_id` and filters on it, so another project's objects behave as
absent (NotFound). Each write commits with a bump of the base's `index_version`, the signal
that tells every replica's vector cache to reload. The methods live in one module per job
(bases, documents, chunks, searching) on a shared core.
"""

from kb.store.bases import KnowledgeBaseMethods
from kb.store.changes import ChangeListener, KbChange
from kb.store.chunks import MAX_CHUNK_CHARS, ChunkMethods
from kb.store.documents import DueDocument, IngestionMethods
from kb.store.searching import SearchMethods


class KnowledgeStore(KnowledgeBaseMethods, IngestionMethods, ChunkMethods, SearchMethods):
    """Create once per application (in the lifespan) with the app's engine and embedder."""


__all__ = ["MAX_CHUNK_CHARS", "ChangeListener", "DueDocument", "KbChange", "KnowledgeStore"]
