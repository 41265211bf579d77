"""Retrieval quality: recall@1, recall@5 and MRR for full-text, vector and hybrid search.

Run: .venv/bin/python -m bench.kb.quality [--set test|test2|test3|heldout|dev]

`test` (the default) is the retrieval set of bench/kb/quality_data.py (a clinic) and `test2`
the one of bench/kb/quality_data2.py (a self-storage company); neither was used to choose
anything. `test3` is the one of bench/kb/quality_data3.py (a pet boarding and grooming
business), likewise sealed. `heldout` runs all three, each in its own knowledge base, and
reports each set and all their questions pooled. `dev` is the garage, the first of the
development sets in bench/kb/dev_data.py that the fusion was chosen on
(bench/kb/fusion_dev.py runs all of them).
"""

import argparse
import asyncio
import io
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from fpdf import FPDF
from sqlalchemy.ext.asyncio import create_async_engine

from bench.kb import dev_data, quality_data, quality_data2, quality_data3
from kb.embedding import Embedder
from kb.schema import create_kb_schema
from kb.search import SearchMode
from kb.settings import KbSettings
from kb.store import KnowledgeStore

PROJECT = "prj_bench"
MODES = (SearchMode.TEXT, SearchMode.VECTOR, SearchMode.HYBRID)
Question = tuple[str, str]


def sections_pdf(title: str, sections: Sequence[tuple[str, str]]) -> bytes:
    """A PDF of headed sections: bold heading, then body text."""
    pdf = FPDF()
    pdf.set_title(title)
    pdf.add_page()
    for heading, body in sections:
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(5)
    return bytes(pdf.output())


def sections_docx(title: str, sections: Sequence[tuple[str, str]]) -> bytes:
    """A DOCX of headed sections: a title, then a level-1 heading and a paragraph each."""
    document = Document()
    document.core_properties.title = title
    document.add_heading(title, level=0)
    for heading, body in sections:
        document.add_heading(heading, level=1)
        document.add_paragraph(body)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_set() -> tuple[dict[str, bytes], list[Question]]:
    files = {
        "faq.md": quality_data.CLINIC_FAQ.encode(),
        "prices.csv": quality_data.PRICE_LIST_CSV.encode(),
        "policy.pdf": sections_pdf("Patient Policy", quality_data.POLICY_SECTIONS),
    }
    return files, quality_data.QUESTIONS


def test2_set() -> tuple[dict[str, bytes], list[Question]]:
    files = {
        "faq.md": quality_data2.STORAGE_FAQ.encode(),
        "prices.csv": quality_data2.STORAGE_PRICES_CSV.encode(),
        "terms.docx": sections_docx("Rental Terms", quality_data2.STORAGE_TERMS_SECTIONS),
    }
    return files, quality_data2.QUESTIONS


def test3_set() -> tuple[dict[str, bytes], list[Question]]:
    files = {
        "faq.html": quality_data3.PET_FAQ_HTML.encode(),
        "prices.csv": quality_data3.PET_PRICES_CSV.encode(),
        "terms.pdf": sections_pdf("Boarding and Grooming Terms", quality_data3.PET_TERMS_SECTIONS),
    }
    return files, quality_data3.QUESTIONS


def dev_set() -> tuple[dict[str, bytes], list[Question]]:
    files = {
        "faq.md": dev_data.GARAGE_FAQ.encode(),
        "prices.csv": dev_data.GARAGE_PRICES_CSV.encode(),
        "terms.md": dev_data.GARAGE_TERMS.encode(),
    }
    return files, dev_data.DEV_QUESTIONS


SETS = {"test": test_set, "test2": test2_set, "test3": test3_set, "dev": dev_set}


@dataclass
class LoadedSet:
    store: KnowledgeStore
    kb_id: str
    questions: list[Question]
    # question phrase -> id of the one chunk holding the answer
    answers: dict[str, str]


@asynccontextmanager
async def loaded(
    files: dict[str, bytes], questions: list[Question], engine_url: str | None = None
) -> AsyncIterator[LoadedSet]:
    """The files in one new knowledge base: in a temporary SQLite file, or in the empty
    database at `engine_url`."""
    with tempfile.TemporaryDirectory() as tmp:
        url = engine_url or f"sqlite+aiosqlite:///{Path(tmp) / 'quality.db'}"
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(create_kb_schema)
        store = KnowledgeStore(engine, Embedder(), KbSettings())
        base = await store.create_knowledge_base(PROJECT, name="bench")
        for name, data in files.items():
            await store.ingest_upload(PROJECT, base.id, data, source_name=name)
        chunks = (await store.list_chunks(PROJECT, base.id, per_page=100, preview_chars=None)).items
        answers: dict[str, str] = {}
        for _, phrase in questions:
            owners = [c.id for c in chunks if phrase in c.content]
            assert len(owners) == 1, f"phrase {phrase!r} is in {len(owners)} chunks"
            answers[phrase] = owners[0]
        print(f"{len(chunks)} chunks, {len(questions)} questions")
        try:
            yield LoadedSet(store, base.id, questions, answers)
        finally:
            await engine.dispose()


def answer_ranks(rankings: Sequence[Sequence[str]], loaded_set: LoadedSet) -> list[int | None]:
    """The 1-based rank of each question's answer in its best-first id list, None if absent."""
    ranks: list[int | None] = []
    for ids, (_, phrase) in zip(rankings, loaded_set.questions, strict=True):
        answer = loaded_set.answers[phrase]
        ranks.append(list(ids).index(answer) + 1 if answer in ids else None)
    return ranks


def scores(ranks: Sequence[int | None]) -> tuple[float, float, float]:
    """(recall@1, recall@5, MRR) over answer ranks."""
    found = [rank for rank in ranks if rank is not None]
    n = len(ranks)
    return (
        sum(rank == 1 for rank in found) / n,
        sum(rank <= 5 for rank in found) / n,
        sum(1 / rank for rank in found) / n,
    )


async def ranks_by_mode(
    files: dict[str, bytes], questions: list[Question]
) -> dict[SearchMode, list[int | None]]:
    """Each mode's answer ranks for one set, searched in its own knowledge base."""
    async with loaded(files, questions) as data:
        by_mode: dict[SearchMode, list[int | None]] = {}
        for mode in MODES:
            rankings = []
            for question, _ in questions:
                hits = await data.store.search(PROJECT, question, [data.kb_id], top_k=10, mode=mode)
                rankings.append([h.chunk_id for h in hits])
            by_mode[mode] = answer_ranks(rankings, data)
        return by_mode


def print_table(label: str, by_mode: dict[SearchMode, list[int | None]]) -> None:
    n = len(by_mode[MODES[0]])
    print(f"{label} ({n} questions)")
    print(f"{'mode':8} {'recall@1':>9} {'recall@5':>9} {'MRR':>6}")
    for mode in MODES:
        r1, r5, mrr = scores(by_mode[mode])
        print(f"{mode.value:8} {r1:9.2f} {r5:9.2f} {mrr:6.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--set", choices=["test", "test2", "test3", "heldout", "dev"], default="test"
    )
    args = parser.parse_args()
    names = ["test", "test2", "test3"] if args.set == "heldout" else [args.set]
    pooled: dict[SearchMode, list[int | None]] = {mode: [] for mode in MODES}
    for name in names:
        by_mode = await ranks_by_mode(*SETS[name]())
        print_table(name, by_mode)
        for mode in MODES:
            pooled[mode] += by_mode[mode]
    if len(names) > 1:
        print_table("pooled", pooled)


if __name__ == "__main__":
    asyncio.run(main())
