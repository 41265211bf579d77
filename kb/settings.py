"""Settings of the knowledge-base library, built once by the application and passed down."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


class KbSettings(BaseSettings):
    """Limits and tuning for ingestion, fetching, embedding and search.

    Read from `VOXROOM_KB_*` environment variables at the entrypoint only; library code
    receives an instance and never reads the environment itself.
    """

    model_config = SettingsConfigDict(env_prefix="VOXROOM_KB_", extra="ignore")

    max_upload_bytes: int = Field(default=10 * MB, gt=0)
    # A DOCX is a zip: its unpacked size is capped separately so a small upload cannot
    # expand into gigabytes (zip bomb).
    max_unpacked_bytes: int = Field(default=50 * MB, gt=0)
    # Host or host:port entries that skip the private-address check. Empty by default;
    # tests list their own 127.0.0.1 server here.
    url_allowlist: list[str] = Field(default_factory=list)
    fetch_timeout_s: float = Field(default=15.0, gt=0)
    fetch_max_bytes: int = Field(default=10 * MB, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    embedding_batch_size: int = Field(default=32, gt=0)
    # Threads onnxruntime may use per inference; 0 lets it decide.
    embedding_threads: int = Field(default=0, ge=0)
    # How many candidates each retriever contributes before the scores are fused.
    search_candidates: int = Field(default=50, gt=0)
    # Bases with at least this many chunks are searched in two passes: a projection onto
    # `vector_sketch_dims` principal components ranks every row, then the best
    # `vector_rescore_candidates` are scored exactly (see kb.vectors).
    vector_two_pass_rows: int = Field(default=20_000, gt=0)
    vector_sketch_dims: int = Field(default=128, gt=0, le=384)
    vector_rescore_candidates: int = Field(default=5000, gt=0)
    # Hybrid search leaves out query terms found in this many chunks or more (see
    # kb.search.fulltext_ranking); full-text-only search keeps every term.
    fulltext_common_term_docs: int = Field(default=2000, gt=0)
    default_chunk_size: int = Field(default=500, gt=0)
    default_chunk_overlap: int = Field(default=50, ge=0)
