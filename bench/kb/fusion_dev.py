"""Choose the full-text query and the rank fusion on the development sets (never on the
retrieval set).

Run: .venv/bin/python -m bench.kb.fusion_dev

Three development businesses (bench/kb/dev_data.py: a garage, a fitness club and a
guesthouse), each in its
own knowledge base. For each way of building the full-text query, each retriever's candidate
list is taken once per question (what hybrid search fuses); then recall@1, recall@5 and MRR
of weighted reciprocal rank fusion are printed over a grid of full-text weights (the vector
list weighs 1) and RRF constants k, per set and pooled over all questions.
"""

import asyncio
from collections.abc import Callable, Sequence

import kb.search
from bench.kb import dev_data
from bench.kb.quality import PROJECT, Question, dev_set, loaded
from kb.search import STOPWORDS, SearchMode, query_terms, reciprocal_rank_fusion

TEXT_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
KS = (1, 2, 3, 5, 10, 20, 60)
CANDIDATES = 50

# Conversational filler of spoken questions, beyond the usual English stop words: a generic
# list (politeness, question frames, vague quantities), not words picked from the questions.
FILLER = frozenset(
    [
        "please",
        "tell",
        "know",
        "want",
        "like",
        "get",
        "got",
        "go",
        "much",
        "many",
        "also",
        "ok",
        "okay",
        "hi",
        "hello",
        "thanks",
        "thank",
        "let",
        "us",
        "one",
        "anything",
        "something",
        "anyone",
        "someone",
        "ever",
        "really",
        "need",
        "would",
        "could",
        "just",
        "yes",
        "yeah",
        "well",
        "mean",
        "able",
    ]
)


def filler_terms(query: str, limit: int = 32) -> list[str]:
    words = query_terms(query, limit)
    kept = [w for w in words if w not in FILLER and w not in STOPWORDS]
    return kept or words


QUERY_BUILDERS: dict[str, Callable[[str, int], list[str]]] = {
    "stop words": query_terms,
    "stop words + filler": filler_terms,
}


def dev_sets() -> dict[str, tuple[dict[str, bytes], list[Question]]]:
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
    return {
        "garage": dev_set(),
        "gym": (gym, dev_data.GYM_QUESTIONS),
        "guesthouse": (guesthouse, dev_data.GUESTHOUSE_QUESTIONS),
    }


Lists = dict[SearchMode, list[list[str]]]


async def candidate_lists(
    files: dict[str, bytes], questions: list[Question]
) -> tuple[dict[str, Lists], list[str]]:
    """Candidate lists per query builder, and the answer chunk id of each question."""
    by_builder: dict[str, Lists] = {}
    async with loaded(files, questions) as data:
        answers = [data.answers[phrase] for _, phrase in questions]
        for name, builder in QUERY_BUILDERS.items():
            kb.search.query_terms = builder  # type: ignore[assignment]
            lists: Lists = {SearchMode.VECTOR: [], SearchMode.TEXT: []}
            for mode, rankings in lists.items():
                for question, _ in questions:
                    hits = await data.store.search(
                        PROJECT, question, [data.kb_id], top_k=CANDIDATES, mode=mode
                    )
                    rankings.append([h.chunk_id for h in hits])
            by_builder[name] = lists
        kb.search.query_terms = query_terms
    return by_builder, answers


def metrics(rankings: Sequence[Sequence[str]], answers: Sequence[str]) -> tuple[float, ...]:
    r1 = r5 = rr = 0.0
    for ids, answer in zip(rankings, answers, strict=True):
        if answer in ids:
            rank = list(ids).index(answer) + 1
            r1 += rank == 1
            r5 += rank <= 5
            rr += 1 / rank
    return r1 / len(answers), r5 / len(answers), rr / len(answers)


def fuse(lists: Lists, weight: float, k: int) -> list[list[str]]:
    return [
        [i for i, _ in reciprocal_rank_fusion([v, t], [1.0, weight], k)][:10]
        for v, t in zip(lists[SearchMode.VECTOR], lists[SearchMode.TEXT], strict=True)
    ]


async def main() -> None:
    sets = {name: await candidate_lists(*data) for name, data in dev_sets().items()}
    names = list(sets)
    fmt = "%.2f/%.2f/%.3f"
    for builder in QUERY_BUILDERS:
        print(f"\n== full-text query: {builder} (r@1/r@5/MRR per set, then pooled)")
        for mode in (SearchMode.VECTOR, SearchMode.TEXT):
            cells, pooled_r, pooled_a = [], [], []
            for name in names:
                by_builder, answers = sets[name]
                rankings = by_builder[builder][mode]
                cells.append(fmt % metrics(rankings, answers))
                pooled_r += rankings
                pooled_a += answers
            print(
                f"{mode.value:>8}: "
                + "  ".join(cells)
                + "  pooled "
                + fmt % metrics(pooled_r, pooled_a)
            )
        print(f"{'w_t':>4} {'k':>3}  " + "  ".join(f"{n:>14}" for n in names) + "  pooled")
        for k in KS:
            for weight in TEXT_WEIGHTS:
                cells, pooled_r, pooled_a = [], [], []
                for name in names:
                    by_builder, answers = sets[name]
                    fused = fuse(by_builder[builder], weight, k)
                    cells.append(fmt % metrics(fused, answers))
                    pooled_r += fused
                    pooled_a += answers
                print(
                    f"{weight:4.1f} {k:3d}  "
                    + "  ".join(cells)
                    + "  "
                    + fmt % metrics(pooled_r, pooled_a)
                )


if __name__ == "__main__":
    asyncio.run(main())
