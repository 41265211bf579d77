import pytest

from kb.errors import ContentTooLarge, ExtractionFailed, UnsupportedContentType
from kb.extract import DocumentKind, detect_kind, extract
from tests.kb import kb_documents as docs

pytestmark = pytest.mark.unit

LIMIT = 10_000_000


def test_markdown_keeps_headings_and_paragraphs() -> None:
    doc = extract(docs.MARKDOWN.encode(), max_unpacked_bytes=LIMIT)
    assert doc.kind is DocumentKind.MARKDOWN
    assert doc.title == "Sunrise Dental Clinic"
    assert [b.text for b in doc.blocks if b.kind == "heading"] == [
        "Sunrise Dental Clinic",
        "Opening hours",
        "Parking",
        "Cancellations",
    ]
    assert any("Elm Street" in b.text for b in doc.blocks if b.kind == "paragraph")


def test_csv_rows_repeat_the_header() -> None:
    doc = extract(docs.CSV.encode(), max_unpacked_bytes=LIMIT)
    assert doc.kind is DocumentKind.CSV
    assert doc.blocks[1].text == "Service: Whitening; Price: $350; Duration: 90 minutes"
    assert all(b.kind == "row" for b in doc.blocks)


def test_json_records_become_objects() -> None:
    doc = extract(docs.JSON_DOC.encode(), max_unpacked_bytes=LIMIT)
    assert doc.kind is DocumentKind.JSON
    assert doc.title == "Insurance FAQ"
    assert len(doc.blocks) == 2
    assert "answer: No, Medicare is not accepted." in doc.blocks[1].text


def test_pdf_text_and_headings_are_extracted() -> None:
    doc = extract(docs.pdf_bytes(docs.POLICY), max_unpacked_bytes=LIMIT)
    assert doc.kind is DocumentKind.PDF
    assert doc.title == "Patient Policy"
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert "Missed appointments" in headings
    assert any("deposit before booking" in b.text for b in doc.blocks)


def test_docx_headings_paragraphs_and_table_rows() -> None:
    doc = extract(docs.docx_bytes(), max_unpacked_bytes=LIMIT)
    assert doc.kind is DocumentKind.DOCX
    assert ("heading", "Emergency care") in [(b.kind, b.text) for b in doc.blocks]
    assert any(b.kind == "row" and b.text == "Day: Sunday; On call: Dr. Moreno" for b in doc.blocks)


def test_html_main_text_without_navigation_or_footer() -> None:
    doc = extract(docs.HTML, max_unpacked_bytes=LIMIT)
    assert doc.kind is DocumentKind.HTML
    text = " ".join(b.text for b in doc.blocks)
    assert "Dr. Alice Moreno" in text
    assert "root canal" in text
    assert "All rights reserved" not in text


def test_plain_text_paragraphs() -> None:
    doc = extract(docs.PLAIN.encode(), max_unpacked_bytes=LIMIT)
    assert doc.kind is DocumentKind.TEXT
    assert len(doc.blocks) == 2


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        b"\x7fELF\x02\x01\x01" + b"\0" * 64,
        b"GIF89a" + b"\0" * 32,
        bytes(range(256)) * 4,
    ],
    ids=["png", "elf", "gif", "random-binary"],
)
def test_binary_content_is_refused_whatever_its_name(data: bytes) -> None:
    with pytest.raises(UnsupportedContentType):
        detect_kind(data)


def test_zip_that_is_not_docx_is_refused() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(UnsupportedContentType):
        extract(buffer.getvalue(), max_unpacked_bytes=LIMIT)


def test_docx_zip_bomb_is_refused_by_unpacked_size() -> None:
    bomb = docs.zip_bomb_docx(20_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(ContentTooLarge):
        extract(bomb, max_unpacked_bytes=5_000_000)


def test_truncated_pdf_fails_cleanly() -> None:
    with pytest.raises(ExtractionFailed):
        extract(b"%PDF-1.7\n garbage", max_unpacked_bytes=LIMIT)


def test_empty_text_has_nothing_to_extract() -> None:
    with pytest.raises(ExtractionFailed):
        extract(b"   \n\n  ", max_unpacked_bytes=LIMIT)
