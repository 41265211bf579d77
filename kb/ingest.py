"""The CPU side of ingestion: extract, chunk and embed, off the event loop, with progress.

Nothing here touches the database, so a failure at any step leaves stored chunks as they were.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kb.chunking import ChunkDraft, chunk_document
from kb.embedding import Embedder, Vectors
from kb.errors import ContentTooLarge
from kb.extract import DocumentKind, ExtractedDocument, extract, extract_markdown, paragraphs


@dataclass(frozen=True, slots=True)
class IngestProgress:
    """`stage` is extracting, embedding or storing; `done`/`total` count chunks."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[IngestProgress], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    kind: DocumentKind
    title: str | None
    total_chars: int
    chunks: list[ChunkDraft]
    vectors: Vectors


async def report(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    if progress is None:
        return
    result = progress(IngestProgress(stage, done, total))
    if inspect.isawaitable(result):
        await result


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise ContentTooLarge(
            "The content exceeds the upload limit",
            field="file",
            details={"max_bytes": limit, "size": size},
        )


def text_document(content: str) -> ExtractedDocument:
    """Raw text given through the API: Markdown structure is used when present."""
    doc = extract_markdown(content, DocumentKind.TEXT)
    return doc if doc.blocks else ExtractedDocument(DocumentKind.TEXT, None, paragraphs(content))


async def prepare(
    data: bytes | str,
    *,
    source: str,
    chunk_size: int,
    chunk_overlap: int,
    max_unpacked_bytes: int,
    embedder: Embedder,
    batch_size: int,
    progress: ProgressCallback | None = None,
) -> PreparedDocument:
    """Extract (bytes) or parse (text), chunk and embed one document."""
    await report(progress, "extracting", 0, 0)

    def extract_and_chunk() -> tuple[ExtractedDocument, list[ChunkDraft]]:
        if isinstance(data, str):
            doc = text_document(data)
        else:
            doc = extract(data, max_unpacked_bytes=max_unpacked_bytes)
        chunks = chunk_document(
            doc, source=source, chunk_size=chunk_size, chunk_overlap=chunk_overlap
        )
        return doc, chunks

    doc, chunks = await asyncio.to_thread(extract_and_chunk)
    vectors = await embed_with_progress(
        embedder, [c.embedding_text() for c in chunks], batch_size, progress
    )
    return PreparedDocument(doc.kind, doc.title, doc.total_chars, chunks, vectors)


async def embed_with_progress(
    embedder: Embedder, texts: list[str], batch_size: int, progress: ProgressCallback | None
) -> Vectors:
    import numpy as np

    parts: list[Vectors] = []
    await report(progress, "embedding", 0, len(texts))
    # Several model batches per thread hop: few enough hops to be cheap, frequent enough
    # progress for a large file.
    step = batch_size * 4
    for start in range(0, len(texts), step):
        parts.append(await embedder.aembed(texts[start : start + step]))
        await report(progress, "embedding", min(start + step, len(texts)), len(texts))
    if not parts:
        return np.zeros((0, embedder.dimensions), dtype=np.float32)
    return np.concatenate(parts)
