"""Turn uploaded or fetched bytes into structured text blocks.

The type is decided from the content itself (magic bytes, then parse attempts), never from a
file name or a client-declared content type, so a renamed binary cannot slip through.
"""

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from markdown_it import MarkdownIt

from kb.errors import ContentTooLarge, ExtractionFailed, UnsupportedContentType

BlockKind = Literal["heading", "paragraph", "row", "object"]


class DocumentKind(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    CSV = "csv"
    JSON = "json"
    PDF = "pdf"
    HTML = "html"
    DOCX = "docx"


@dataclass(frozen=True, slots=True)
class Block:
    """One structural unit: a heading (with level), a paragraph, a table row or an object."""

    kind: BlockKind
    text: str
    level: int = 0


@dataclass(slots=True)
class ExtractedDocument:
    kind: DocumentKind
    title: str | None
    blocks: list[Block] = field(default_factory=list)

    @property
    def total_chars(self) -> int:
        return sum(len(b.text) for b in self.blocks)


# Signatures of common binary formats we refuse outright, so they never reach a text decoder.
_BINARY_SIGNATURES = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"\x7fELF",
    b"MZ",
    b"\xd0\xcf\x11\xe0",
    b"Rar!",
    b"7z\xbc\xaf",
    b"BZh",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"RIFF",
    b"ID3",
    b"fLaC",
    b"%!PS",
)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_MARKDOWN_HINT = re.compile(
    r"^(#{1,6}\s+\S|\s*[-*+]\s+\S|\s*\d+\.\s+\S|```|>\s)|\[[^\]]+\]\([^)]+\)|\*\*[^*]+\*\*",
    re.M,
)
_MAX_ZIP_ENTRIES = 2000


def detect_kind(data: bytes) -> DocumentKind:
    """Classify content by its bytes; raise UnsupportedContentType for anything else."""
    if data.startswith(b"%PDF-"):
        return DocumentKind.PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return DocumentKind.DOCX
        except zipfile.BadZipFile as exc:
            raise UnsupportedContentType("Corrupt archive") from exc
        raise UnsupportedContentType("Archives other than DOCX are not supported")
    if data.startswith(_BINARY_SIGNATURES):
        raise UnsupportedContentType("Binary content type is not supported")
    text = decode_text(data)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            return DocumentKind.JSON
    if _HTML_START.match(data[:4096]):
        return DocumentKind.HTML
    if _looks_like_csv(text):
        return DocumentKind.CSV
    if len(_MARKDOWN_HINT.findall(text[:20000])) >= 2:
        return DocumentKind.MARKDOWN
    return DocumentKind.TEXT


def decode_text(data: bytes) -> str:
    """Decode text, refusing content that is binary rather than text in a legacy encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Spreadsheets exported on Windows are often cp1252; accept them only when the
            # bytes decode cleanly, which binary data almost never does.
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise UnsupportedContentType("Content is neither text nor a known type") from exc
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls:
        raise UnsupportedContentType("Content is neither text nor a known type")
    return text


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if len(lines) < 2:
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|")
    except csv.Error:
        return False
    rows = list(csv.reader(lines, dialect))
    width = len(rows[0])
    if width < 2:
        return False
    # Prose with commas sniffs as CSV too; demand that nearly all rows have the header's width.
    consistent = sum(1 for row in rows if len(row) == width)
    return consistent >= 0.9 * len(rows)


def extract(data: bytes, *, max_unpacked_bytes: int) -> ExtractedDocument:
    """Detect the type of `data` and extract its title and structured blocks.

    CPU-bound (PDF and DOCX parsing): call it from a worker thread in async code.
    """
    kind = detect_kind(data)
    if kind is DocumentKind.PDF:
        doc = _extract_pdf(data)
    elif kind is DocumentKind.DOCX:
        doc = _extract_docx(data, max_unpacked_bytes)
    elif kind is DocumentKind.HTML:
        doc = _extract_html(data)
    else:
        text = decode_text(data)
        if kind is DocumentKind.JSON:
            doc = _extract_json(text)
        elif kind is DocumentKind.CSV:
            doc = _extract_csv(text)
        elif kind is DocumentKind.MARKDOWN:
            doc = extract_markdown(text)
        else:
            doc = _extract_plain(text)
    doc.blocks = [b for b in doc.blocks if b.text.strip()]
    if not doc.blocks:
        raise ExtractionFailed("The document contains no extractable text")
    return doc


def paragraphs(text: str) -> list[Block]:
    parts = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return [Block("paragraph", " ".join(p.split())) for p in parts if p.strip()]


def _extract_plain(text: str) -> ExtractedDocument:
    return ExtractedDocument(DocumentKind.TEXT, None, paragraphs(text))


def extract_markdown(text: str, kind: DocumentKind = DocumentKind.MARKDOWN) -> ExtractedDocument:
    """Headings, paragraphs, list items, code blocks and table rows from Markdown."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[Block] = []
    title: str | None = None
    header: list[str] = []
    row: list[str] = []
    in_head = False
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            content = tokens[i + 1].content.strip()
            level = int(tok.tag[1])
            if level == 1 and title is None:
                title = content
            blocks.append(Block("heading", content, level))
        elif tok.type == "inline" and tokens[i - 1].type == "paragraph_open":
            blocks.append(Block("paragraph", " ".join(tok.content.split())))
        elif tok.type in ("fence", "code_block"):
            blocks.append(Block("paragraph", tok.content.strip()))
        elif tok.type == "thead_open":
            in_head, header = True, []
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            (header if in_head else row).append(tok.content.strip())
        elif tok.type == "tr_close" and not in_head:
            blocks.append(Block("row", _render_row(header, row)))
    return ExtractedDocument(kind, title, blocks)


def _render_row(header: list[str], row: list[str]) -> str:
    # Each row repeats its column names so that a chunk of rows reads on its own.
    if header and len(header) == len(row):
        return "; ".join(f"{h}: {v}" for h, v in zip(header, row, strict=True) if v.strip())
    return "; ".join(v for v in row if v.strip())


def _extract_csv(text: str) -> ExtractedDocument:
    sample = "\n".join(text.splitlines()[:20])
    dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    header = [h.strip() for h in rows[0]]
    blocks = [Block("row", _render_row(header, [c.strip() for c in r])) for r in rows[1:]]
    return ExtractedDocument(DocumentKind.CSV, None, blocks)


def _flatten(value: Any, prefix: str = "", depth: int = 0) -> Iterator[str]:
    if isinstance(value, dict) and depth < 6:
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key), depth + 1)
    elif isinstance(value, list) and depth < 6 and any(isinstance(v, dict | list) for v in value):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]", depth + 1)
    elif isinstance(value, list):
        yield f"{prefix}: {', '.join(str(v) for v in value)}"
    elif value is not None and value != "":
        yield f"{prefix}: {value}" if prefix else str(value)


def _extract_json(text: str) -> ExtractedDocument:
    data = json.loads(text)
    title = data.get("title") if isinstance(data, dict) else None
    # The records are the top-level list, or the largest list of objects inside a top-level
    # object (e.g. {"faqs": [...]}); failing that, each top-level key is a record.
    records: list[Any]
    if isinstance(data, list):
        records = data
    elif isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        records = max(lists, key=len) if lists else [{k: v} for k, v in data.items()]
    else:
        records = [data]
    blocks = [Block("object", "\n".join(_flatten(r))) for r in records]
    return ExtractedDocument(DocumentKind.JSON, title if isinstance(title, str) else None, blocks)


def _extract_pdf(data: bytes) -> ExtractedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionFailed("Encrypted PDFs are not supported")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ExtractionFailed("The PDF could not be read") from exc
    blocks = [block for page in pages for block in _pdf_paragraphs(page)]
    return ExtractedDocument(DocumentKind.PDF, title or None, blocks)


def _pdf_paragraphs(page: str) -> list[Block]:
    # PDF text comes as visual lines; a short line that ends without punctuation and is
    # followed by text is treated as a heading, the rest is joined into paragraphs.
    blocks: list[Block] = []
    current: list[str] = []
    for raw in page.splitlines():
        line = raw.strip()
        if not line:
            if current:
                blocks.append(Block("paragraph", " ".join(current)))
                current = []
            continue
        is_heading = (
            len(line) < 70
            and not line.endswith((".", ",", ";", ":"))
            and (re.match(r"^(\d+(\.\d+)*\.?\s+)?[A-Z]", line) is not None)
            and len(line.split()) <= 10
        )
        if is_heading:
            if current:
                blocks.append(Block("paragraph", " ".join(current)))
                current = []
            blocks.append(Block("heading", line, 2))
        else:
            current.append(line)
    if current:
        blocks.append(Block("paragraph", " ".join(current)))
    return blocks


def _extract_docx(data: bytes, max_unpacked_bytes: int) -> ExtractedDocument:
    from docx import Document

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        # zipfile stops reading at the declared size (and fails the CRC on a lie), so the
        # declared sizes bound what parsing can unpack.
        if len(infos) > _MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > max_unpacked_bytes:
            raise ContentTooLarge(
                "The document unpacks beyond the allowed size",
                details={"max_unpacked_bytes": max_unpacked_bytes},
            )
    try:
        document = Document(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ExtractionFailed("The DOCX could not be read") from exc
    blocks: list[Block] = []
    title = document.core_properties.title or None
    for para in document.paragraphs:
        text = " ".join(para.text.split())
        style = para.style.name if para.style is not None else ""
        if style == "Title":
            title = title or text
            blocks.append(Block("heading", text, 1))
        elif style.startswith("Heading"):
            level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
            blocks.append(Block("heading", text, level))
        else:
            blocks.append(Block("paragraph", text))
    for table in document.tables:
        rows = [[" ".join(c.text.split()) for c in r.cells] for r in table.rows]
        if rows:
            blocks.extend(Block("row", _render_row(rows[0], r)) for r in rows[1:])
    return ExtractedDocument(DocumentKind.DOCX, title, blocks)


def _extract_html(data: bytes) -> ExtractedDocument:
    import trafilatura

    html = decode_text(data)
    metadata = trafilatura.extract_metadata(html)
    title = metadata.title if metadata is not None else None
    markdown = trafilatura.extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_tables=True,
        include_comments=False,
        favor_recall=True,
    )
    if markdown:
        doc = extract_markdown(markdown, DocumentKind.HTML)
    else:
        # Short pages fall below trafilatura's main-content thresholds; its baseline
        # extractor still returns the visible body text.
        _, text, _ = trafilatura.baseline(html)
        doc = ExtractedDocument(DocumentKind.HTML, None, paragraphs(text))
    doc.title = title or doc.title
    return doc
