"""Split extracted documents into chunks, structure first.

Blocks are grouped under their heading path, packed greedily up to `chunk_size` characters,
and only a block that alone exceeds the size is cut (at sentence, then word boundaries).
Table rows and JSON objects are never cut across chunks unless one alone is too long, and
get no overlap: each row already carries its column names.
"""

import re
from dataclasses import dataclass

from kb.errors import ConflictingInput, InvalidInput
from kb.extract import Block, ExtractedDocument

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class ChunkDraft:
    """A chunk before it is stored: `title` is the heading path (or the document title)."""

    position: int
    source: str
    title: str | None
    content: str

    def embedding_text(self) -> str:
        # The heading often holds the question a chunk answers (FAQ style), so it is part of
        # what gets embedded and searched.
        return f"{self.title}\n{self.content}" if self.title else self.content


def validate_chunking(chunk_size: int, chunk_overlap: int) -> None:
    if not 100 <= chunk_size <= 8000:
        raise InvalidInput("chunk_size must be between 100 and 8000", field="chunk_size")
    if chunk_overlap < 0:
        raise InvalidInput("chunk_overlap must be at least 0", field="chunk_overlap")
    if chunk_overlap >= chunk_size // 2:
        raise ConflictingInput(
            "chunk_overlap must be less than half of chunk_size", field="chunk_overlap"
        )


def chunk_document(
    doc: ExtractedDocument, *, source: str, chunk_size: int = 500, chunk_overlap: int = 50
) -> list[ChunkDraft]:
    validate_chunking(chunk_size, chunk_overlap)
    chunks: list[ChunkDraft] = []
    for title, blocks in _sections(doc):
        for content in _pack(blocks, chunk_size, chunk_overlap):
            chunks.append(ChunkDraft(len(chunks), source, title, content))
    return chunks


def _sections(doc: ExtractedDocument) -> list[tuple[str | None, list[Block]]]:
    """Group blocks by heading path, e.g. 'Clinic FAQ > Appointments'."""
    sections: list[tuple[str | None, list[Block]]] = []
    path: list[tuple[int, str]] = []
    current: list[Block] = []

    def title() -> str | None:
        names = [name for _, name in path]
        if doc.title and (not names or names[0] != doc.title):
            names.insert(0, doc.title)
        return " > ".join(names) or None

    for block in doc.blocks:
        if block.kind == "heading":
            if current:
                sections.append((title(), current))
                current = []
            path = [(lvl, name) for lvl, name in path if lvl < block.level]
            path.append((block.level, block.text))
        else:
            current.append(block)
    if current:
        sections.append((title(), current))
    return sections


def _pack(blocks: list[Block], size: int, overlap: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for block in blocks:
        atomic = block.kind in ("row", "object")
        # Cut long prose short enough that the overlap carried from the previous chunk fits.
        limit = size if atomic else size - overlap
        pieces = [block.text] if len(block.text) <= size else _split_long(block.text, limit)
        for piece in pieces:
            if current and len(current) + 1 + len(piece) <= size:
                current = f"{current}\n{piece}"
                continue
            if current:
                chunks.append(current)
            tail = "" if atomic else _tail(current, overlap)
            current = f"{tail} {piece}" if tail and len(tail) + 1 + len(piece) <= size else piece
    if current:
        chunks.append(current)
    return chunks


def _tail(text: str, overlap: int) -> str:
    """The last `overlap` characters of `text`, starting at a word boundary."""
    if overlap <= 0 or not text:
        return ""
    tail = text[-overlap:]
    cut = tail.find(" ")
    return tail[cut + 1 :].strip() if cut >= 0 and len(text) > overlap else tail.strip()


def _split_long(text: str, size: int) -> list[str]:
    """Cut text longer than `size` at sentence ends, falling back to words, then characters."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        units = [sentence] if len(sentence) <= size else _split_words(sentence, size)
        for unit in units:
            if current and len(current) + 1 + len(unit) <= size:
                current = f"{current} {unit}"
            else:
                if current:
                    pieces.append(current)
                current = unit
    if current:
        pieces.append(current)
    return pieces


def _split_words(text: str, size: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > size:
            pieces.append(word[:size])
            word = word[size:]
        if current and len(current) + 1 + len(word) <= size:
            current = f"{current} {word}"
        else:
            if current:
                pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces
