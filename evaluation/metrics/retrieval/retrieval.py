"""Ranked-retrieval metrics: nDCG@k, Recall@k, MRR@k and MAP, from per-query ranked ids and graded qrels.

Definitions (the ones used for LiRA's earlier fine-tune baseline, ``finetune_baseline.md``):

* nDCG@k: linear gain, log2 discount. ``DCG@k = sum_{i=1..k} g_i / log2(i + 1)`` where ``g_i`` is the grade of the
  document at rank ``i`` (0 if not relevant); the ideal DCG sorts all graded relevant ids by grade.
* Recall@k: ``|relevant ∩ top-k| / |relevant|`` (relevant = every reference id with grade > 0).
* MRR@k: ``1 / rank`` of the first relevant id within the top k, 0 if none.
* MAP: mean over queries of average precision over the *whole* ranked list passed in
  (``sum_{i: d_i relevant} P@i / |relevant|``); pass ``map_k`` to cut it at a depth, reported as ``map@k``.

Every score is the unweighted mean over queries (macro over queries).
"""

import math

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "nDCG@k, Recall@k, MRR@k and MAP for ranked retrieval with graded relevance."

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[list[str]]`): per query, the retrieved ids, best first.
    references (`list[list[str]]`): per query, the relevant ids.
    relevance (`list[list[int]]`, *optional*): per query, the grade of each reference id (same order as
        `references`); defaults to grade 1 for every reference. Grades <= 0 count as not relevant.
    k_values (`list[int]`, *optional*, defaults to `[1, 5, 10]`): cut-offs for nDCG, Recall and MRR.
    map_k (`int`, *optional*): cut MAP at this depth (key `map@k`); default uses the whole list (key `map`).
    return_per_query (`bool`, *optional*, defaults to `False`): also return `per_query`, a dict of lists.
Returns:
    dict with `ndcg@k`, `recall@k`, `mrr@k` for each k, `map` (or `map@k`) and `num_queries`.
Examples:
    >>> m = evaluate.load("evaluation/metrics/retrieval")
    >>> m.compute(predictions=[["a", "b"]], references=[["b"]], k_values=[1, 2])["mrr@2"]
    0.5
"""

_CITATION = "Jarvelin & Kekalainen (2002), Cumulated gain-based evaluation of IR techniques."


def _query_scores(ranked, refs, grades, k_values, map_k):
    gains = {r: float(g) for r, g in zip(refs, grades) if g > 0}
    out = {}
    if not gains:
        raise ValueError(f"query with references {refs!r} has no id with grade > 0; drop it or fix its grades.")
    seen = set()
    ranked_unique = [r for r in ranked if not (r in seen or seen.add(r))]
    ideal = sorted(gains.values(), reverse=True)
    for k in k_values:
        top = ranked_unique[:k]
        dcg = sum(gains.get(d, 0.0) / math.log2(i + 2) for i, d in enumerate(top))
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal[:k]))
        out[f"ndcg@{k}"] = dcg / idcg
        out[f"recall@{k}"] = sum(1 for d in top if d in gains) / len(gains)
        first = next((i for i, d in enumerate(top) if d in gains), None)
        out[f"mrr@{k}"] = 0.0 if first is None else 1.0 / (first + 1)
    depth = ranked_unique if map_k is None else ranked_unique[:map_k]
    hits, precision_sum = 0, 0.0
    for i, d in enumerate(depth):
        if d in gains:
            hits += 1
            precision_sum += hits / (i + 1)
    out["map" if map_k is None else f"map@{map_k}"] = precision_sum / len(gains)
    return out


class Retrieval(evaluate.Metric):
    """`evaluate` module computing nDCG@k, Recall@k, MRR@k and MAP (see the module docstring)."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string")),
                    "references": datasets.Sequence(datasets.Value("string")),
                }
            ),
        )

    def _compute(self, predictions, references, relevance=None, k_values=(1, 5, 10), map_k=None,
                 return_per_query=False):
        if relevance is None:
            relevance = [[1] * len(r) for r in references]
        if len(relevance) != len(references):
            raise ValueError(f"relevance has {len(relevance)} rows but references has {len(references)}; "
                             "pass one grade list per query.")
        k_values = [int(k) for k in k_values]
        if not k_values or min(k_values) < 1:
            raise ValueError(f"k_values={k_values!r}: pass positive cut-offs such as [1, 5, 10].")
        rows = []
        for ranked, refs, grades in zip(predictions, references, relevance):
            if len(grades) != len(refs):
                raise ValueError(f"references {refs!r} and grades {grades!r} differ in length; align them.")
            rows.append(_query_scores(list(ranked), list(refs), list(grades), k_values, map_k))
        if not rows:
            raise ValueError("no queries to score: pass at least one prediction/reference pair.")
        per_query = {key: [r[key] for r in rows] for key in rows[0]}
        result = {key: float(np.mean(vals)) for key, vals in per_query.items()}
        result["num_queries"] = len(rows)
        if return_per_query:
            result["per_query"] = per_query
        return result
