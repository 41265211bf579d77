"""Retrieval quality: recall@1, recall@5 and MRR for full-text, vector and hybrid search.

Run: .venv/bin/python -m bench.kb.quality [--set test|dev]

`test` (the default) is the retrieval set of bench/kb/quality_data.py, never used to choose
anything; `dev` is the garage, the first of the development sets in bench/kb/dev_data.py
that the fusion was chosen on (bench/kb/fusion_dev.py runs all of them).
"""

import argparse
import asyncio
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from sqlalchemy.ext.asyncio import create_async_engine

from bench.kb import dev_data, quality_data
from kb.embedding import Embedder
from kb.schema import create_kb_schema
from kb.search import SearchMode
from kb.settings import KbSettings
from kb.store import KnowledgeStore

PROJECT = "prj_bench"
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


def test_set() -> tuple[dict[str, bytes], list[Question]]:
    files = {
        "faq.md": quality_data.CLINIC_FAQ.encode(),
        "prices.csv": quality_data.PRICE_LIST_CSV.encode(),
        "policy.pdf": sections_pdf("Patient Policy", quality_data.POLICY_SECTIONS),
    }
    return files, quality_data.QUESTIONS


def dev_set() -> tuple[dict[str, bytes], list[Question]]:
    files = {
        "faq.md": dev_data.GARAGE_FAQ.encode(),
        "prices.csv": dev_data.GARAGE_PRICES_CSV.encode(),
        "terms.md": dev_data.GARAGE_TERMS.encode(),
    }
    return files, dev_data.DEV_QUESTIONS


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


def scores(rankings: Sequence[Sequence[str]], loaded_set: LoadedSet) -> tuple[float, ...]:
    """(recall@1, recall@5, MRR) of one best-first id list per question."""
    r1 = r5 = rr = 0.0
    for ids, (_, phrase) in zip(rankings, loaded_set.questions, strict=True):
        answer = loaded_set.answers[phrase]
        if answer in ids:
            rank = list(ids).index(answer) + 1
            r1 += rank == 1
            r5 += rank <= 5
            rr += 1 / rank
    n = len(loaded_set.questions)
    return r1 / n, r5 / n, rr / n


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=["test", "dev"], default="test")
    args = parser.parse_args()
    files, questions = test_set() if args.set == "test" else dev_set()
    async with loaded(files, questions) as data:
        print(f"{'mode':8} {'recall@1':>9} {'recall@5':>9} {'MRR':>6}")
        for mode in (SearchMode.TEXT, SearchMode.VECTOR, SearchMode.HYBRID):
            rankings = []
            for question, _ in questions:
                hits = await data.store.search(PROJECT, question, [data.kb_id], top_k=10, mode=mode)
                rankings.append([h.chunk_id for h in hits])
            r1, r5, mrr = scores(rankings, data)
            print(f"{mode.value:8} {r1:9.2f} {r5:9.2f} {mrr:6.3f}")


if __name__ == "__main__":
    asyncio.run(main())
