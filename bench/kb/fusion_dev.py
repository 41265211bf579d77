"""Choose the fusion of full-text and vector search on the development sets (never on the
retrieval set).

Run: .venv/bin/python -m bench.kb.fusion_dev [--postgres]

Five development businesses (bench/kb/dev_data.py: a garage, a fitness club, a guesthouse, a
plumber and a restaurant), each in its own knowledge base, and then all of them in one base
("one base": 92 chunks, so the 50 candidates per retriever are a subset of the base, as in a
large base). Each retriever's candidate list is taken once per question (what hybrid search
fuses); then recall@1, recall@5 and MRR are printed per set and pooled over the five sets
for: each retriever alone, hybrid search as shipped, score fusion (kb.search.fuse_scores)
over a grid of full-text weights, and weighted reciprocal rank fusion (the fusion used
before) over a grid of weights and k. `--postgres` runs everything on a throwaway
PostgreSQL server (tests/services.py) instead of SQLite files.
"""

import argparse
import asyncio
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import asyncpg

from bench.kb import dev_data
from bench.kb.quality import PROJECT, Question, dev_set, loaded, sections_pdf
from kb.search import SearchMode, fuse_scores

CANDIDATES = 50
TEXT_WEIGHTS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.7, 1.0)
RRF_TEXT_WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.7, 1.0)
RRF_KS = (1, 5, 60)
ONE_BASE = "one base"

Scored = list[tuple[str, float]]
# (vector candidates, full-text candidates, hybrid search's ids) -> best-first ids
Ranker = Callable[[Scored, Scored, list[str]], list[str]]
DevSet = tuple[dict[str, bytes], list[Question]]


def dev_sets() -> dict[str, DevSet]:
    gym = {
        "faq.md": dev_data.GYM_FAQ.encode(),
        "prices.csv": dev_data.GYM_PRICES_CSV.encode(),
        "terms.md": dev_data.GYM_TERMS.encode(),
    }
    guesthouse = {
        "faq.md": dev_data.GUESTHOUSE_FAQ.encode(),
        "prices.csv": dev_data.GUESTHOUSE_PRICES_CSV.encode(),
        "policies.md": dev_data.GUESTHOUSE_POLICIES.encode(),
    }
    plumber = {
        "faq.md": dev_data.PLUMBER_FAQ.encode(),
        "prices.csv": dev_data.PLUMBER_PRICES_CSV.encode(),
        "terms.pdf": sections_pdf("Terms of Business", dev_data.PLUMBER_TERMS_SECTIONS),
    }
    restaurant = {
        "faq.md": dev_data.RESTAURANT_FAQ.encode(),
        "menu.csv": dev_data.RESTAURANT_MENU_CSV.encode(),
        "house-rules.txt": dev_data.RESTAURANT_POLICIES_TXT.encode(),
    }
    return {
        "garage": dev_set(),
        "gym": (gym, dev_data.GYM_QUESTIONS),
        "guesthouse": (guesthouse, dev_data.GUESTHOUSE_QUESTIONS),
        "plumber": (plumber, dev_data.PLUMBER_QUESTIONS),
        "restaurant": (restaurant, dev_data.RESTAURANT_QUESTIONS),
    }


def one_base(sets: dict[str, DevSet]) -> DevSet:
    files = {f"{name}-{file}": data for name, (f, _) in sets.items() for file, data in f.items()}
    return files, [q for _, questions in sets.values() for q in questions]


@dataclass
class Candidates:
    """Per question: the vector candidates with cosines, the full-text candidates with
    scores, the ids hybrid search returns, and the answer's chunk id."""

    vector: list[Scored]
    text: list[Scored]
    hybrid: list[list[str]]
    answers: list[str]


async def candidates(data: DevSet, engine_url: str | None) -> Candidates:
    files, questions = data
    result = Candidates([], [], [], [])
    async with loaded(files, questions, engine_url) as base:
        kb_ids = [base.kb_id]
        for question, phrase in questions:
            vector = await base.store.search(
                PROJECT, question, kb_ids, top_k=CANDIDATES, mode=SearchMode.VECTOR
            )
            result.vector.append([(h.chunk_id, h.similarity or 0.0) for h in vector])
            # A text-only search's scores are the full-text scores over the best one, a
            # scaling fuse_scores undoes, so they stand in for the raw scores.
            text = await base.store.search(
                PROJECT, question, kb_ids, top_k=CANDIDATES, mode=SearchMode.TEXT
            )
            result.text.append([(h.chunk_id, h.score) for h in text])
            hybrid = await base.store.search(
                PROJECT, question, kb_ids, top_k=10, mode=SearchMode.HYBRID
            )
            result.hybrid.append([h.chunk_id for h in hybrid])
            result.answers.append(base.answers[phrase])
    return result


def weighted_rrf(vector: Scored, text: Scored, text_weight: float, k: int) -> list[str]:
    """score(id) = 1 / (k + vector rank) + text_weight / (k + full-text rank)."""
    scores: dict[str, float] = {}
    for ranking, weight in ((vector, 1.0), (text, text_weight)):
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda chunk_id: scores[chunk_id], reverse=True)


def metrics(rankings: Sequence[Sequence[str]], answers: Sequence[str]) -> tuple[float, ...]:
    r1 = r5 = rr = 0.0
    for ids, answer in zip(rankings, answers, strict=True):
        if answer in ids:
            rank = list(ids).index(answer) + 1
            r1 += rank == 1
            r5 += rank <= 5
            rr += 1 / rank
    return r1 / len(answers), r5 / len(answers), rr / len(answers)


def cell(rankings: Sequence[Sequence[str]], answers: Sequence[str]) -> str:
    return "{:.2f}/{:.2f}/{:.3f}".format(*metrics(rankings, answers))


def ids(scored: Scored) -> list[str]:
    return [chunk_id for chunk_id, _ in scored]


def vector_only(vector: Scored, text: Scored, hybrid: list[str]) -> list[str]:
    return ids(vector)


def text_only(vector: Scored, text: Scored, hybrid: list[str]) -> list[str]:
    return ids(text)


def shipped(vector: Scored, text: Scored, hybrid: list[str]) -> list[str]:
    return hybrid


def score_fusion(weight: float) -> Ranker:
    return lambda vector, text, _: ids(fuse_scores(vector, text, weight))


def rank_fusion(weight: float, k: int) -> Ranker:
    return lambda vector, text, _: weighted_rrf(vector, text, weight, k)


def row(label: str, sets: dict[str, Candidates], rank: Ranker) -> str:
    """One line: r@1/r@5/MRR per set, pooled over the separate sets, then the one base."""
    cells, pooled, pooled_answers = [], [], []
    for name, data in sets.items():
        lists = zip(data.vector, data.text, data.hybrid, strict=True)
        rankings = [rank(v, t, h)[:10] for v, t, h in lists]
        cells.append(cell(rankings, data.answers))
        if name != ONE_BASE:
            pooled += rankings
            pooled_answers += data.answers
    cells.insert(-1, cell(pooled, pooled_answers))
    return f"{label:>18}  " + "  ".join(f"{c:>15}" for c in cells)


async def fresh_postgres_database(admin_url: str) -> str:
    name = f"fusion_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def collect(postgres: bool) -> dict[str, Candidates]:
    sets = dev_sets()
    sets[ONE_BASE] = one_base(sets)
    result: dict[str, Candidates] = {}
    with ExitStack() as stack:
        admin_url = None
        if postgres:
            from tests.services import postgres_server

            admin_url = stack.enter_context(postgres_server())
        for name, data in sets.items():
            url = await fresh_postgres_database(admin_url) if admin_url else None
            result[name] = await candidates(data, url)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    sets = await collect(args.postgres)
    names = [*[n for n in sets if n != ONE_BASE], "pooled", ONE_BASE]
    print("r@1/r@5/MRR per set, pooled over the five separate sets, then all in one base")
    print(f"{'':>18}  " + "  ".join(f"{n:>15}" for n in names))
    print(row("vector", sets, vector_only))
    print(row("text", sets, text_only))
    print(row("hybrid (shipped)", sets, shipped))
    print("score fusion (kb.search.fuse_scores), full-text weight:")
    for weight in TEXT_WEIGHTS:
        print(row(f"w_t {weight:.2f}", sets, score_fusion(weight)))
    print("weighted reciprocal rank fusion, full-text weight and k:")
    for k in RRF_KS:
        for weight in RRF_TEXT_WEIGHTS:
            print(row(f"w_t {weight:.1f} k {k}", sets, rank_fusion(weight, k)))


if __name__ == "__main__":
    asyncio.run(main())
