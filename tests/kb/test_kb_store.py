"""The knowledge store against real databases: every test runs on SQLite and PostgreSQL."""

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from kb.embedding import Embedder
from kb.errors import ContentTooLarge, ExtractionFailed, NotFound, UnsupportedContentType
from kb.fetch import UrlFetcher
from kb.ingest import IngestProgress
from kb.schema import create_kb_schema
from kb.search import SearchMode, rare_terms
from kb.settings import KbSettings
from kb.store import KnowledgeStore
from tests.kb import kb_documents as docs
from tests.kb.conftest import LocalHttpServer

pytestmark = pytest.mark.integration

P1, P2 = "prj_one", "prj_two"


async def test_every_file_type_is_ingested_and_searchable(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="Clinic")
    uploads = {
        "faq.md": docs.MARKDOWN.encode(),
        "prices.csv": docs.CSV.encode(),
        "insurance.json": docs.JSON_DOC.encode(),
        "policy.pdf": docs.pdf_bytes(docs.POLICY),
        "emergency.docx": docs.docx_bytes(),
        "team.html": docs.HTML,
        "about.txt": docs.PLAIN.encode(),
    }
    for name, data in uploads.items():
        result = await store.ingest_upload(P1, base.id, data, source_name=name)
        assert result.chunks_created >= 1
    expectations = {
        "where do I park my car": "faq.md",
        "how much does whitening cost": "prices.csv",
        "is Medicare accepted": "insurance.json",
        "what happens if I miss appointments": "policy.pdf",
        "who is on call on Sunday": "emergency.docx",
        "which dentist does implants": "team.html",
        "when was the practice founded": "about.txt",
    }
    for query, source in expectations.items():
        hits = await store.search(P1, query, [base.id], top_k=3)
        assert hits[0].source == source, query
    info = await store.get_knowledge_base(P1, base.id)
    assert info.document_count == len(uploads)
    assert info.indexing_status == "ready"
    assert info.last_indexed_at is not None


async def test_type_is_checked_from_content_not_name(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    with pytest.raises(UnsupportedContentType):
        await store.ingest_upload(
            P1, base.id, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, source_name="notes.txt"
        )


async def test_upload_over_the_limit_is_refused(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    with pytest.raises(ContentTooLarge):
        await store.ingest_upload(P1, base.id, b"a" * 200_001, source_name="big.txt")


async def test_reupload_replaces_chunks_instead_of_duplicating(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    await store.ingest_upload(P1, base.id, docs.MARKDOWN.encode(), source_name="faq.md")
    updated = docs.MARKDOWN.replace("$40 fee", "$55 fee")
    await store.ingest_upload(P1, base.id, updated.encode(), source_name="faq.md")
    chunks = await store.list_chunks(P1, base.id, preview_chars=None)
    assert chunks.total == 3
    assert sum("$55" in c.content for c in chunks.items) == 1
    assert not any("$40" in c.content for c in chunks.items)
    hits = await store.search(P1, "cancellation fee", [base.id], top_k=5)
    assert len({h.chunk_id for h in hits}) == len(hits) == 3
    assert "$55" in hits[0].content


async def test_failed_ingest_keeps_previous_chunks(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    await store.ingest_upload(P1, base.id, docs.MARKDOWN.encode(), source_name="faq.md")
    with pytest.raises(ExtractionFailed):
        await store.ingest_upload(P1, base.id, b"%PDF-1.4 broken", source_name="faq.md")
    assert (await store.list_chunks(P1, base.id)).total == 3
    assert (await store.search(P1, "parking", [base.id]))[0].title.endswith("Parking")


async def test_projects_are_isolated(store: KnowledgeStore) -> None:
    mine = await store.create_knowledge_base(P1, name="Mine")
    await store.ingest_text(P1, mine.id, "The secret door code is 4321.", source_name="codes")
    with pytest.raises(NotFound):
        await store.search(P2, "door code", [mine.id])
    with pytest.raises(NotFound):
        await store.get_knowledge_base(P2, mine.id)
    with pytest.raises(NotFound):
        await store.list_chunks(P2, mine.id)
    with pytest.raises(NotFound):
        await store.ingest_text(P2, mine.id, "intrusion", source_name="x")
    chunk = (await store.list_chunks(P1, mine.id)).items[0]
    with pytest.raises(NotFound):
        await store.update_chunk(P2, mine.id, chunk.id, content="changed")
    with pytest.raises(NotFound):
        await store.delete_chunk(P2, mine.id, chunk.id)
    with pytest.raises(NotFound):
        await store.delete_knowledge_base(P2, mine.id)
    assert (await store.list_knowledge_bases(P2)).total == 0
    assert (await store.list_knowledge_bases(P1)).total == 1


async def test_search_is_filtered_by_knowledge_base(store: KnowledgeStore) -> None:
    dental = await store.create_knowledge_base(P1, name="Dental")
    garage = await store.create_knowledge_base(P1, name="Garage")
    await store.ingest_text(P1, dental.id, "A cleaning costs $120.", source_name="d")
    await store.ingest_text(P1, garage.id, "An oil change costs $80.", source_name="g")
    hits = await store.search(P1, "how much does it cost", [garage.id])
    assert {h.knowledge_base_id for h in hits} == {garage.id}
    both = await store.search(P1, "how much does it cost", [garage.id, dental.id])
    assert {h.knowledge_base_id for h in both} == {garage.id, dental.id}


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_each_search_mode_finds_the_answer(store: KnowledgeStore, mode: SearchMode) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    await store.ingest_upload(P1, base.id, docs.MARKDOWN.encode(), source_name="faq.md")
    hits = await store.search(P1, "Saturday opening hours", [base.id], top_k=2, mode=mode)
    assert hits[0].title == "Sunrise Dental Clinic > Opening hours"
    assert hits[0].score > 0


async def test_edited_chunk_is_reembedded_and_searchable(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    await store.ingest_upload(P1, base.id, docs.MARKDOWN.encode(), source_name="faq.md")
    chunk = (await store.list_chunks(P1, base.id)).items[1]
    await store.update_chunk(P1, base.id, chunk.id, content="Bicycles can be locked at the rack.")
    hits = await store.search(P1, "bike storage", [base.id], top_k=1, mode=SearchMode.VECTOR)
    assert hits[0].chunk_id == chunk.id


async def test_inactive_and_deleted_chunks_are_not_returned(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    await store.ingest_upload(P1, base.id, docs.MARKDOWN.encode(), source_name="faq.md")
    first, second, _ = (await store.list_chunks(P1, base.id)).items
    await store.update_chunk(P1, base.id, first.id, is_active=False)
    await store.delete_chunk(P1, base.id, second.id)
    hits = await store.search(P1, "opening hours parking", [base.id], top_k=5)
    assert {h.chunk_id for h in hits}.isdisjoint({first.id, second.id})
    assert (await store.get_knowledge_base(P1, base.id)).chunk_count == 2


async def test_reindex_reembeds_every_chunk(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    await store.ingest_upload(P1, base.id, docs.CSV.encode(), source_name="prices.csv")
    seen: list[IngestProgress] = []
    assert await store.reindex(P1, base.id, progress=seen.append) == 1
    assert seen[-1].done == seen[-1].total == 1
    assert (await store.search(P1, "root canal price", [base.id]))[0].source == "prices.csv"


async def test_large_ingest_reports_progress_without_blocking_the_loop(
    store: KnowledgeStore,
) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    text = "\n\n".join(f"Paragraph {i} about subject {i}. " * 6 for i in range(300))
    seen: list[IngestProgress] = []
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    try:
        result = await store.ingest_text(
            P1, base.id, text, source_name="long", progress=seen.append
        )
    finally:
        beat.cancel()
    assert result.chunks_created > 50
    embedding = [p for p in seen if p.stage == "embedding"]
    assert len(embedding) > 2 and embedding[-1].done == result.chunks_created
    assert ticks > 20  # the loop kept running while the model worked


async def test_delete_knowledge_base_removes_everything(store: KnowledgeStore) -> None:
    base = await store.create_knowledge_base(P1, name="KB")
    await store.ingest_text(P1, base.id, "Hello there.", source_name="t")
    await store.delete_knowledge_base(P1, base.id)
    with pytest.raises(NotFound):
        await store.search(P1, "hello", [base.id])


async def test_a_second_replica_sees_changes(store: KnowledgeStore, kb_engine, embedder) -> None:  # type: ignore[no-untyped-def]
    replica = KnowledgeStore(kb_engine, embedder, KbSettings())
    base = await store.create_knowledge_base(P1, name="KB")
    await store.ingest_text(P1, base.id, "Our phone number is 555-0100.", source_name="a")
    assert len(await replica.search(P1, "phone", [base.id], mode=SearchMode.VECTOR)) == 1
    await store.ingest_text(P1, base.id, "Our fax number is 555-0199.", source_name="b")
    assert len(await replica.search(P1, "phone", [base.id], mode=SearchMode.VECTOR)) == 2


async def test_url_ingest_refreshes_only_when_content_changed(
    kb_engine,
    embedder,
    http_server: LocalHttpServer,  # type: ignore[no-untyped-def]
) -> None:
    settings = KbSettings(url_allowlist=[f"127.0.0.1:{http_server.port}"])
    fetcher = UrlFetcher(settings)
    store = KnowledgeStore(kb_engine, embedder, settings, fetcher)
    http_server.routes["/team"] = (200, {"Content-Type": "text/html"}, docs.HTML)
    url = f"{http_server.base}/team"
    try:
        base = await store.create_knowledge_base(P1, name="Web")
        first = await store.ingest_url(P1, base.id, url, refresh_interval_s=3600)
        assert first.changed and first.chunks_created >= 1
        assert await store.due_url_documents() == []
        again = await store.refresh_document(P1, base.id, first.document_id)
        assert not again.changed
        http_server.routes["/team"] = (200, {}, docs.HTML.replace(b"2012", b"2010"))
        changed = await store.refresh_document(P1, base.id, first.document_id)
        assert changed.changed and changed.document_id == first.document_id
        hits = await store.search(P1, "since when is Dr. Moreno lead dentist", [base.id], top_k=1)
        assert "2010" in hits[0].content
    finally:
        await fetcher.aclose()


async def test_hybrid_search_leaves_out_terms_found_in_many_chunks(
    kb_engine: AsyncEngine, embedder: Embedder
) -> None:
    store = KnowledgeStore(kb_engine, embedder, KbSettings(fulltext_common_term_docs=3))
    base = await store.create_knowledge_base(P1, name="KB")
    for i in range(4):
        await store.ingest_text(P1, base.id, f"Parking spot {i} is free.", source_name=f"p{i}")
    await store.ingest_text(P1, base.id, "The unicorn lives upstairs.", source_name="u")
    async with async_sessionmaker(kb_engine)() as session:
        assert await rare_terms(session, ["parking", "unicorn"], 3) == ["unicorn"]
    # Only common terms: full-text contributes nothing and the vector ranking still answers.
    hits = await store.search(P1, "parking", [base.id], top_k=5)
    assert len(hits) == 5
    assert hits[0].content.startswith("Parking")
    text_only = await store.search(P1, "parking", [base.id], top_k=5, mode=SearchMode.TEXT)
    assert len(text_only) == 4


async def test_two_pass_vector_search_finds_the_answer(
    kb_engine: AsyncEngine, embedder: Embedder
) -> None:
    settings = KbSettings(vector_two_pass_rows=1, vector_rescore_candidates=4)
    two_pass = KnowledgeStore(kb_engine, embedder, settings)
    base = await two_pass.create_knowledge_base(P1, name="KB")
    await two_pass.ingest_upload(P1, base.id, docs.CSV.encode(), source_name="prices.csv")
    await two_pass.ingest_upload(P1, base.id, docs.MARKDOWN.encode(), source_name="faq.md")
    hits = await two_pass.search(P1, "Saturday opening hours", [base.id], mode=SearchMode.VECTOR)
    assert hits[0].title == "Sunrise Dental Clinic > Opening hours"
    assert hits[0].similarity is not None


async def test_hybrid_search_on_one_shared_connection(embedder: Embedder) -> None:
    # In-memory SQLite hands every session the same connection: the retrievers take turns.
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    async with engine.begin() as conn:
        await conn.run_sync(create_kb_schema)
    memory_store = KnowledgeStore(engine, embedder, KbSettings())
    base = await memory_store.create_knowledge_base(P1, name="KB")
    await memory_store.ingest_upload(P1, base.id, docs.MARKDOWN.encode(), source_name="faq.md")
    hits = await memory_store.search(P1, "Saturday opening hours", [base.id], top_k=2)
    assert hits[0].title == "Sunrise Dental Clinic > Opening hours"
    await engine.dispose()
