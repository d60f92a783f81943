"""The leak meter: how much of candidate mode's score comes from the critic knowing the answer.

Per language, over the rows of a split:

* `top_aligned`: share of queries whose critic-top candidate (highest semantic score, earliest on ties: what
  `translate_test` and `late_fusion` read) is an aligned one (`aligned_name`, `aligned_keyword`,
  `aligned_parts`: the human English of the query, the candidates a reference-based critic rewards by construction);
* `top_gold_title`: share whose critic-top candidate *is* the English title of a relevant product (the answer);
* `first_aligned`, `first_gold_title`: the same for candidate 1, the translator's own first output, the level a
  critic that adds nothing would leave;
* with evaluation results: `translate_test` (critic's top) and `translate_test_first` (candidate 1) nDCG@10.

A reference-reading critic pushes `top_gold_title` towards 1 (0.99 with the old default); an honest critic lands
between the candidate-1 level and 1, and the gap between the two translate-test scores is what its judgement is worth.
"""

from .texts import top_candidate

ALIGNED_PREFIX = "aligned_"
METER_KEYS = ("top_aligned", "top_gold_title", "first_aligned", "first_gold_title")


def leak_meter(rows, titles):
    """Leak shares of one language's rows.

    Args:
        rows (`list[dict]`): query rows (`query`, `candidates`, `candidate_sources`, `critic_scores`,
            `relevant_ids`).
        titles (`dict[str, str]`): product id -> English title.

    Returns:
        `dict`: the `METER_KEYS` shares (over rows that have candidates) and `rows_with_candidates`.
    """
    counts = dict.fromkeys(METER_KEYS, 0)
    n = 0
    for row in rows:
        cands = list(row.get("candidates") or [])
        if not cands:
            continue
        n += 1
        sources = list(row.get("candidate_sources") or [""] * len(cands))
        gold = {titles[pid].lower() for pid in row["relevant_ids"] if pid in titles}
        top = top_candidate(row["query"], cands, [list(s) for s in (row.get("critic_scores") or [])])
        top_source = sources[cands.index(top)] if top in cands else ""
        counts["top_aligned"] += top_source.startswith(ALIGNED_PREFIX)
        counts["top_gold_title"] += top.lower() in gold
        counts["first_aligned"] += sources[0].startswith(ALIGNED_PREFIX)
        counts["first_gold_title"] += cands[0].lower() in gold
    return {**{k: (v / n if n else 0.0) for k, v in counts.items()}, "rows_with_candidates": n}


def attach_scores(meter, results, metric="ndcg@10"):
    """Adds `translate_test` / `translate_test_first` scores of a split's results (system -> language -> metrics)."""
    out = {}
    for lang, shares in meter.items():
        extra = {name: results[name][lang][metric] for name in ("translate_test", "translate_test_first")
                 if name in results and lang in results[name]}
        out[lang] = {**shares, **extra}
    return out


def leak_table(meter):
    """Markdown table of a meter (language -> shares [+ translate-test scores]) with a macro row."""
    cols = list(METER_KEYS) + [c for c in ("translate_test", "translate_test_first")
                               if all(c in v for v in meter.values())]
    labels = {"top_aligned": "critic top is aligned", "top_gold_title": "critic top = gold title",
              "first_aligned": "cand. 1 is aligned", "first_gold_title": "cand. 1 = gold title",
              "translate_test": "TT nDCG@10 (critic top)", "translate_test_first": "TT nDCG@10 (cand. 1)"}
    lines = ["| language | " + " | ".join(labels[c] for c in cols) + " |", "|---|" + "---|" * len(cols)]
    for lang, v in meter.items():
        lines.append(f"| {lang} | " + " | ".join(f"{v[c]:.3f}" for c in cols) + " |")
    if meter:
        macro = [sum(v[c] for v in meter.values()) / len(meter) for c in cols]
        lines.append("| **macro** | " + " | ".join(f"**{x:.3f}**" for x in macro) + " |")
    return "\n".join(lines)
