"""Collator: one batch = B queries followed by their B positive products, tokenised for one model forward."""

import random

import torch
import torch.nn.functional as F

ORACLE_SCORES = [10.0, 10.0, 10.0]  # a product's own English title, as its own candidate


def _pad_cat(a, b, value=0):
    """Concatenates two tensors on dim 0 after right-padding every other dim to the larger size."""
    shape = [max(x, y) for x, y in zip(a.shape[1:], b.shape[1:])]

    def pad(t):
        spec = []
        for have, want in reversed(list(zip(t.shape[1:], shape))):
            spec += [0, want - have]
        return F.pad(t, spec, value=value)

    return torch.cat([pad(a), pad(b)], dim=0)


class LiraRetrievalCollator:
    """Builds model inputs for B query rows and one positive product per query.

    Rows 0..B-1 of the returned tensors are queries (`query: ` prefix, their noisy candidates and critic scores),
    rows B..2B-1 the positive products (`passage: ` + English title, the title as the only candidate). A row's
    positive is its `positive_id` when the dataset planned one (see `training.data.plan_batches`), else a random
    highest-grade relevant product. Besides the
    model inputs it returns `doc_keys (B,)`, `relevant_keys (B, R)` and `relevant_grades (B, R)` so the loss can
    grade every in-batch or queued product for every query, and `parallel_rows (B,)`: which rows are parallel-text
    pairs (`training.data.load_parallel_rows`; their "product" is their English text).

    Args:
        processor ([`LiraProcessor`]).
        corpus (`list[dict]`): product rows (`product_id`, `title_en`).
        use_candidates (`bool`, *optional*, defaults to `True`): feed English candidates (False = LRL-only training,
            the "no translation" ablation).
        first_candidate_only (`bool`, *optional*, defaults to `False`): keep only candidate 1 (the "no actor"
            ablation).
        language_dropout (`float`, *optional*, defaults to 0.5): probability to hide a query's language id, so LaSR
            learns to use the soft (identified) language embedding too.
        use_language (`bool`, *optional*, defaults to `True`): False hides every language id (ablation).
        seed (`int`, *optional*, defaults to 0).
    """

    def __init__(self, processor, corpus, use_candidates=True, first_candidate_only=False, language_dropout=0.5,
                 use_language=True, seed=0):
        self.processor = processor
        self.keys = {p["product_id"]: i for i, p in enumerate(corpus)}
        self.titles = {p["product_id"]: p["title_en"] for p in corpus}
        self.use_candidates = use_candidates
        self.first_candidate_only = first_candidate_only
        self.language_dropout = language_dropout
        self.use_language = use_language
        self.rng = random.Random(seed)

    def _positive(self, row):
        if row.get("positive_id") is not None:  # planned by `plan_batches` (distinct within the batch)
            if row["positive_id"] not in self.keys:
                raise ValueError(f"planned positive {row['positive_id']!r} of query {row.get('query_id')!r} is not "
                                 f"in the corpus.")
            return row["positive_id"]
        grades = list(row["relevance"])
        best = max(grades)
        choices = [pid for pid, g in zip(row["relevant_ids"], grades) if g == best and pid in self.keys]
        if not choices:
            raise ValueError(f"query {row.get('query_id')!r} has no relevant product in the corpus.")
        return self.rng.choice(choices)

    def __call__(self, rows):
        positives = [self._positive(r) for r in rows]
        queries = [r["query"] for r in rows]
        languages = [r["language"] if self.use_language and self.rng.random() >= self.language_dropout else None
                     for r in rows]
        q_kwargs, d_kwargs = {}, {}
        if self.use_candidates:
            cands = [list(r["candidates"] or []) for r in rows]
            scores = [[list(map(float, s)) for s in (r["critic_scores"] or [])] for r in rows]
            if self.first_candidate_only:
                cands, scores = [c[:1] for c in cands], [s[:1] for s in scores]
            cands, scores = self.processor.keep_best_candidates(cands, scores)
            q_kwargs = {"candidates": cands, "critic_scores": scores}
            d_kwargs = {"candidates": [[self.titles[p]] for p in positives],
                        "critic_scores": [[ORACLE_SCORES] for _ in positives]}
        q = self.processor(queries, languages=languages, text_type="query", **q_kwargs)
        d = self.processor([self.titles[p] for p in positives], languages=["en"] * len(rows), text_type="passage",
                           **d_kwargs)
        batch = {}
        for name in q:
            fill = 5.5 if name == "critic_scores" else 0
            batch[name] = _pad_cat(q[name], d[name], value=fill)
        lang2id = self.processor.lang2id
        gold = torch.tensor([lang2id.get(r["language"], -100) for r in rows] + [lang2id.get("en", -100)] * len(rows))
        batch["language_labels"] = gold
        width = max(len(r["relevant_ids"]) for r in rows)
        rel_keys = torch.full((len(rows), width), -1, dtype=torch.long)
        rel_grades = torch.zeros(len(rows), width)
        for i, r in enumerate(rows):
            for j, (pid, g) in enumerate(zip(r["relevant_ids"], r["relevance"])):
                rel_keys[i, j] = self.keys.get(pid, -1)
                rel_grades[i, j] = float(g)
        batch["doc_keys"] = torch.tensor([self.keys[p] for p in positives])
        batch["parallel_rows"] = torch.tensor([bool(r.get("parallel")) for r in rows])  # (B,) parallel-text pairs
        batch["relevant_keys"] = rel_keys
        batch["relevant_grades"] = rel_grades
        return batch
