"""Choose the rank-fusion weights on the development set (never on the retrieval set).

Run: .venv/bin/python -m bench.kb.fusion_dev

Takes each retriever's candidate list once per question (what hybrid search fuses), then
prints recall@1, recall@5 and MRR of weighted reciprocal rank fusion over a grid of
full-text weights (the vector list weighs 1) and RRF constants k.
"""

import asyncio

from bench.kb.quality import PROJECT, dev_set, loaded, scores
from kb.search import SearchMode, reciprocal_rank_fusion

TEXT_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)
KS = (1, 5, 10, 20, 60)
CANDIDATES = 50


async def main() -> None:
    files, questions = dev_set()
    async with loaded(files, questions) as data:
        lists: dict[SearchMode, list[list[str]]] = {}
        for mode in (SearchMode.VECTOR, SearchMode.TEXT):
            lists[mode] = []
            for question, _ in questions:
                hits = await data.store.search(
                    PROJECT, question, [data.kb_id], top_k=CANDIDATES, mode=mode
                )
                lists[mode].append([h.chunk_id for h in hits])
        for mode, rankings in lists.items():
            print(f"{mode.value:>18}: r@1 %.2f r@5 %.2f MRR %.3f" % scores(rankings, data))
        print(f"{'text weight':>11} {'k':>3} {'r@1':>5} {'r@5':>5} {'MRR':>6}")
        for k in KS:
            for weight in TEXT_WEIGHTS:
                fused = [
                    [i for i, _ in reciprocal_rank_fusion([v, t], [1.0, weight], k)][:10]
                    for v, t in zip(lists[SearchMode.VECTOR], lists[SearchMode.TEXT], strict=True)
                ]
                r1, r5, mrr = scores(fused, data)
                print(f"{weight:11.1f} {k:3d} {r1:5.2f} {r5:5.2f} {mrr:6.3f}")


if __name__ == "__main__":
    asyncio.run(main())
