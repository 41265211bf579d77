import itertools

import pytest

from kb.chunking import chunk_document
from kb.errors import InvalidInput
from kb.extract import Block, DocumentKind, ExtractedDocument, extract
from tests.kb import kb_documents as docs

pytestmark = pytest.mark.unit


def test_markdown_sections_become_chunks_titled_by_heading_path() -> None:
    doc = extract(docs.MARKDOWN.encode(), max_unpacked_bytes=10_000_000)
    chunks = chunk_document(doc, source="faq.md")
    assert [c.title for c in chunks] == [
        "Sunrise Dental Clinic > Opening hours",
        "Sunrise Dental Clinic > Parking",
        "Sunrise Dental Clinic > Cancellations",
    ]
    assert [c.position for c in chunks] == [0, 1, 2]
    assert all(c.source == "faq.md" for c in chunks)


def test_long_paragraph_is_split_within_size_with_overlap() -> None:
    sentences = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(60)]
    doc = ExtractedDocument(DocumentKind.TEXT, None, [Block("paragraph", " ".join(sentences))])
    chunks = chunk_document(doc, source="s", chunk_size=300, chunk_overlap=50)
    assert len(chunks) > 5
    assert all(len(c.content) <= 300 for c in chunks)
    for previous, current in itertools.pairwise(chunks):
        overlap = current.content.split(" Sentence")[0]
        assert overlap and overlap in previous.content


def test_csv_rows_pack_whole_rows_without_overlap() -> None:
    rows = "\n".join(f"Item {i},${i}.00,Category {i % 3}" for i in range(100))
    doc = extract(f"Name,Price,Category\n{rows}\n".encode(), max_unpacked_bytes=10_000_000)
    chunks = chunk_document(doc, source="prices.csv", chunk_size=200, chunk_overlap=40)
    lines = [line for c in chunks for line in c.content.split("\n")]
    assert len(lines) == 100
    assert all(line.startswith("Name: Item") for line in lines)
    assert all(len(c.content) <= 200 for c in chunks)


def test_json_objects_are_kept_whole() -> None:
    doc = extract(docs.JSON_DOC.encode(), max_unpacked_bytes=10_000_000)
    chunks = chunk_document(doc, source="faq.json", chunk_size=100, chunk_overlap=0)
    assert len(chunks) == 2
    assert "Delta Dental" in chunks[0].content
    assert chunks[0].title == "Insurance FAQ"


def test_word_longer_than_chunk_is_cut() -> None:
    doc = ExtractedDocument(DocumentKind.TEXT, None, [Block("paragraph", "x" * 1000)])
    chunks = chunk_document(doc, source="s", chunk_size=200, chunk_overlap=0)
    assert all(len(c.content) <= 200 for c in chunks)
    assert "".join(c.content for c in chunks) == "x" * 1000


@pytest.mark.parametrize(("size", "overlap"), [(50, 0), (10_000, 0), (500, 300), (500, -1)])
def test_invalid_chunking_parameters_are_refused(size: int, overlap: int) -> None:
    doc = ExtractedDocument(DocumentKind.TEXT, None, [Block("paragraph", "text")])
    with pytest.raises(InvalidInput):
        chunk_document(doc, source="s", chunk_size=size, chunk_overlap=overlap)
