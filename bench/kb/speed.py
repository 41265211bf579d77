"""Ingest and search speed at 10,000 and 100,000 chunks on SQLite and PostgreSQL.

Run: .venv/bin/python -m bench.kb.speed [--sizes 10000 100000] [--corpus zipf|uniform]
     [--no-sqlite] [--no-postgres]

Embedding 100,000 chunks with the CPU model takes most of an hour, so the model's
throughput is measured once on 2,000 chunks, and the sets are stored through
`store_prepared` with those vectors reused (brute-force vector search costs the same
whatever the values): the ingest figure printed is storage only (insert, FTS index,
version bump), to be combined with the embedding figure.
"""

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kb.chunking import ChunkDraft
from kb.embedding import Embedder
from kb.models import SourceType
from kb.schema import create_kb_schema, drop_kb_schema
from kb.settings import KbSettings
from kb.store import KnowledgeStore
from kb.vectors import sketch, top_k

PROJECT = "prj_speed"
WORDS = [
    "appointment",
    "booking",
    "invoice",
    "refund",
    "warranty",
    "delivery",
    "shipping",
    "return",
    "exchange",
    "pricing",
    "discount",
    "subscription",
    "renewal",
    "cancellation",
    "membership",
    "parking",
    "opening",
    "hours",
    "weekend",
    "holiday",
    "emergency",
    "insurance",
    "coverage",
    "deductible",
    "payment",
    "installment",
    "deposit",
    "license",
    "permit",
    "inspection",
    "repair",
    "maintenance",
    "service",
    "technician",
    "installation",
    "battery",
    "engine",
    "tire",
    "brake",
    "filter",
    "oil",
    "coolant",
    "warranty",
    "clinic",
    "dentist",
    "cleaning",
    "whitening",
    "filling",
    "crown",
    "implant",
    "vaccine",
    "checkup",
    "prescription",
    "pharmacy",
    "lab",
    "result",
    "portal",
    "password",
    "account",
    "login",
    "email",
    "phone",
    "address",
    "location",
    "branch",
    "downtown",
    "suburb",
    "airport",
    "hotel",
    "room",
    "breakfast",
    "checkout",
    "luggage",
    "shuttle",
    "reservation",
    "table",
    "menu",
    "vegetarian",
    "allergy",
    "gluten",
    "delivery",
    "pizza",
]
QUERIES = [
    "how much is a tire replacement",
    "do you open on the weekend",
    "refund for a cancelled order",
    "is breakfast included with the room",
    "can I pay in installments",
    "where is the branch",
    "what does insurance cover for implants",
    "how do I reset my portal password",
    "gluten free menu options",
    "airport shuttle reservation",
    "battery warranty length",
    "emergency dentist on holidays",
]


# Function words that real text is full of; they fill the head of the Zipf distribution.
FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "for",
    "is",
    "on",
    "that",
    "by",
    "this",
    "with",
    "you",
    "it",
    "not",
    "or",
    "be",
    "are",
    "from",
    "at",
    "as",
    "your",
    "all",
    "have",
    "new",
    "more",
    "an",
    "was",
    "we",
    "will",
    "can",
    "us",
    "about",
    "if",
    "our",
    "has",
    "but",
    "one",
    "other",
    "do",
    "no",
    "time",
    "they",
    "he",
    "up",
    "may",
    "what",
    "which",
    "their",
    "out",
    "use",
    "any",
    "there",
    "see",
    "only",
    "so",
    "his",
    "when",
    "here",
    "also",
    "now",
    "help",
    "get",
]
VOCABULARY_SIZE = 30_000
ZIPF_EXPONENT = 1.07  # close to what English corpora show


def _pseudo_word(rng: random.Random) -> str:
    syllables = [
        rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") + rng.choice(["", "n", "r", "s"])
        for _ in range(rng.randint(2, 4))
    ]
    return "".join(syllables)


class Corpus:
    """Synthetic ~400-character chunks.

    `zipf` (the default, the realistic case): a 30,000-word vocabulary with Zipf-distributed
    frequencies; function words take the top ranks, the business words of WORDS sit at
    random ranks between 100 and 5,000, the rest are pronounceable pseudo-words.
    `uniform` (the worst case for full-text search, the corpus of the first measurements):
    only the 120-word business vocabulary, drawn uniformly, so every query term occurs in
    about a third of all chunks.
    """

    def __init__(self, kind: str, seed: int) -> None:
        self.kind = kind
        self._rng = random.Random(seed)
        self._np_rng = np.random.default_rng(seed)
        words: list[str] = list(dict.fromkeys(FUNCTION_WORDS))
        business = list(dict.fromkeys(WORDS))
        seen = set(words) | set(business)
        while len(words) + len(business) < VOCABULARY_SIZE:
            word = _pseudo_word(self._rng)
            if word not in seen:
                seen.add(word)
                words.append(word)
        for word in business:
            words.insert(self._rng.randint(100, 5000), word)
        self._vocabulary = np.array(words)
        weights = 1.0 / np.arange(1, len(words) + 1) ** ZIPF_EXPONENT
        self._p = weights / weights.sum()
        self._drawn: list[str] = []
        self._next = 0

    def _zipf_words(self, count: int) -> list[str]:
        # Drawing in large batches: one choice() call per sentence would redo the O(V) setup.
        if self._next + count > len(self._drawn):
            batch = self._np_rng.choice(self._vocabulary, size=1_000_000, p=self._p)
            self._drawn, self._next = batch.tolist(), 0
        self._next += count
        return self._drawn[self._next - count : self._next]

    def chunk(self, i: int) -> str:
        rng = self._rng
        sentences: list[str] = []
        while sum(len(s) for s in sentences) < 380:
            count = rng.randint(6, 12)
            uniform = self.kind == "uniform"
            words = rng.sample(WORDS, count) if uniform else self._zipf_words(count)
            words.insert(rng.randint(0, len(words)), f"{rng.randint(1, 999)}")
            sentences.append(" ".join(words).capitalize() + ".")
        return f"Item {i}. " + " ".join(sentences)


async def make_engine(url: str | None, tmp: Path) -> AsyncEngine:
    engine = create_async_engine(url or f"sqlite+aiosqlite:///{tmp / 'speed.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(drop_kb_schema)
        await conn.run_sync(create_kb_schema)
    return engine


def _files_size(tmp: Path) -> int:
    return sum(p.stat().st_size for p in tmp.glob("speed.db*"))


async def index_size(engine: AsyncEngine, tmp: Path) -> str:
    if engine.dialect.name == "sqlite":
        size = await asyncio.to_thread(_files_size, tmp)
        return f"{size / 1e6:.0f} MB (database file incl. FTS5 and embeddings)"
    async with engine.connect() as conn:
        table = await conn.scalar(text("SELECT pg_total_relation_size('kb_chunks')"))
        gin = await conn.scalar(text("SELECT pg_relation_size('ix_kb_chunks_search_vector')"))
    return f"{table / 1e6:.0f} MB (kb_chunks with indexes; GIN {gin / 1e6:.0f} MB)"


async def run(
    size: int, url: str | None, embedder: Embedder, pool: np.ndarray, corpus_kind: str
) -> None:
    corpus = Corpus(corpus_kind, seed=size)
    texts = [corpus.chunk(i) for i in range(size)]
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        engine = await make_engine(url, tmp)

        store = KnowledgeStore(engine, embedder, KbSettings())
        base = await store.create_knowledge_base(PROJECT, name=f"speed-{size}")
        per_doc = 1000
        started = time.perf_counter()
        for d in range(0, size, per_doc):
            batch = texts[d : d + per_doc]
            drafts = [ChunkDraft(i, f"doc-{d}", None, t) for i, t in enumerate(batch)]
            vectors = pool[np.arange(d, d + len(batch)) % len(pool)]
            await store.store_prepared(
                PROJECT,
                base.id,
                source_name=f"doc-{d}",
                source_type=SourceType.TEXT,
                chunks=drafts,
                vectors=vectors,
                total_chars=sum(map(len, batch)),
            )
        how = "storage only (precomputed vectors, 1,000-chunk documents)"
        elapsed = time.perf_counter() - started
        total = (await store.get_knowledge_base(PROJECT, base.id)).chunk_count
        print(
            f"[{engine.dialect.name} {size}] {total} chunks, ingest {total / elapsed:.0f} "
            f"chunks/s {how}, {elapsed:.0f} s"
        )
        await store.search(PROJECT, "warm up", [base.id])  # loads the vector matrix once
        for mode in ("hybrid",):
            timings = []
            for _ in range(5):
                for query in QUERIES:
                    t0 = time.perf_counter()
                    await store.search(PROJECT, query, [base.id], top_k=5)
                    timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(
                f"[{engine.dialect.name} {size}] search {mode}: p50 "
                f"{statistics.median(timings):.1f} ms, p95 {p95:.1f} ms "
                f"({len(timings)} queries)"
            )
        print(f"[{engine.dialect.name} {size}] index size: {await index_size(engine, tmp)}")
        print(f"[{engine.dialect.name} {size}] load average: {os.getloadavg()[0]:.1f}", flush=True)
        await engine.dispose()


def two_pass_agreement(pool: np.ndarray, queries: np.ndarray, settings: KbSettings) -> str:
    """How often the two-pass vector search (kb.vectors) returns the exact top 10.

    Only real embeddings can tell, and only the 2,000-chunk pool is embedded, so the pool is
    searched with the share of rows the default setting rescores at 100,000 chunks
    (5,000 of 100,000 = 5 %, here 100 rows). A fixed top 10 is a smaller share of a larger
    base, so this understates the agreement at 100k. Queries: the bench's questions and 200
    pool chunks (each searching the pool without itself).
    """
    rescore = max(10, len(pool) * settings.vector_rescore_candidates // 100_000)
    top1 = recall = total = 0
    for q, query in enumerate(queries):
        vectors = pool if q < len(QUERIES) else np.delete(pool, q - len(QUERIES), axis=0)
        exact = [int(i) for i in np.argsort(-(vectors @ query))[:10]]
        parts = [(vectors, sketch(vectors, settings.vector_sketch_dims))]
        approximate = [i for i, _ in top_k(parts, query, 10, rescore)]
        top1 += exact[0] == approximate[0]
        recall += len(set(exact) & set(approximate))
        total += 1
    return (
        f"two-pass vector search vs exact on {len(pool)} real embeddings, {rescore} rescored, "
        f"{total} queries: top-1 equal {top1 / total:.3f}, "
        f"top-10 recall {recall / (10 * total):.3f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--corpus", choices=["zipf", "uniform"], default="zipf")
    args = parser.parse_args()
    embedder = Embedder()
    corpus = Corpus(args.corpus, seed=0)
    t0 = time.perf_counter()
    sample = [corpus.chunk(i) for i in range(2000)]
    pool = await embedder.aembed(sample)
    print(
        f"embedding: {len(sample) / (time.perf_counter() - t0):.1f} chunks/s "
        f"(~400-char chunks, {os.cpu_count()} CPUs)"
    )
    print(f"corpus: {args.corpus}")
    queries = np.concatenate([await embedder.aembed(QUERIES), pool[:200]])
    print(two_pass_agreement(pool, queries, KbSettings()), flush=True)
    if not args.no_sqlite:
        for size in args.sizes:
            await run(size, None, embedder, pool, args.corpus)
    if args.no_postgres:
        return
    from tests.services import postgres_server

    with postgres_server() as admin_url:
        url = admin_url.replace("postgresql://", "postgresql+asyncpg://")
        for size in args.sizes:
            await run(size, url, embedder, pool, args.corpus)


if __name__ == "__main__":
    asyncio.run(main())
