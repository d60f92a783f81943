"""Aggregates over per-language results: macro averages, the clean-to-noisy drop, and the drop per noise type.

The noise-type breakdown pairs every `test_noisy` row with the clean row it was made from (`clean_query_id`, a
field `dataset_builder` adds; rows without it pair by `query_id`) and compares the per-query scores of the pair,
so each noise type (typo, no_diacritics, code_mix, romanized, ...) gets its own clean -> noisy numbers.
"""

import numpy as np

from .stats import paired_bootstrap

DROP_METRICS = ("ndcg@10", "recall@10", "mrr@10")


def macro_average(splits):
    """Unweighted mean over languages: split -> system -> metric -> value; a metric some languages lack (`langid_acc`
    of a zero-shot language) is the mean over the languages that have it."""
    def mean(by_lang, m):
        values = [v[m] for v in by_lang.values() if m in v]
        return float(sum(values) / len(values))

    return {split: {name: {m: mean(by_lang, m) for m in dict.fromkeys(k for v in by_lang.values() for k in v)}
                    for name, by_lang in res.items()} for split, res in splits.items()}


def robustness(splits, clean="test", noisy="test_noisy", metrics=DROP_METRICS):
    """Clean-minus-noisy drop per system and language (positive = worse on noisy queries).

    Args:
        splits (`dict`): split -> system -> language -> metrics.

    Returns:
        `dict`: system -> language -> metric -> drop; empty unless both splits are present.
    """
    if clean not in splits or noisy not in splits:
        return {}
    out = {}
    for name, by_lang in splits[clean].items():
        for lang, scores in by_lang.items():
            other = splits[noisy].get(name, {}).get(lang)
            if other:
                out.setdefault(name, {})[lang] = {m: scores[m] - other[m] for m in metrics}
    return out


def noise_breakdown(per_query, clean="test", noisy="test_noisy", metric="ndcg@10"):
    """Clean vs noisy `metric` per noise type, on paired queries, macro-averaged over languages.

    Args:
        per_query (`dict`): split -> system -> language -> {`query_id`, `clean_query_id`, `noise`, metric lists}
            (the `per_query` entries returned by `score_system`).

    Returns:
        `dict`: system -> noise type -> {`clean`, `noisy`, `drop`, `pairs`}; empty unless both splits are present.
    """
    if clean not in per_query or noisy not in per_query:
        return {}
    out = {}
    for name, by_lang in per_query[noisy].items():
        per_type = {}
        for lang, pq in by_lang.items():
            ref = per_query[clean].get(name, {}).get(lang)
            if not ref:
                continue
            clean_score = dict(zip(ref["query_id"], ref[metric]))
            for cid, noise, value in zip(pq["clean_query_id"], pq["noise"], pq[metric]):
                if cid in clean_score:
                    per_type.setdefault(noise, {}).setdefault(lang, []).append((clean_score[cid], value))
        for noise, langs in sorted(per_type.items()):
            means = np.array([np.mean(pairs, axis=0) for pairs in langs.values()])  # (languages, 2)
            c, n = means.mean(axis=0)
            out.setdefault(name, {})[noise] = {"clean": float(c), "noisy": float(n), "drop": float(c - n),
                                               "pairs": int(sum(len(p) for p in langs.values())),
                                               "languages": sorted(langs)}
    return out


def noise_pairs(clean_pq, noisy_pq, metric="ndcg@10"):
    """Per-query (clean, noisy) scores of one system, by language and noise type.

    Args:
        clean_pq (`dict`), noisy_pq (`dict`): language -> `per_query` entry of `score_system` on `test` and on
            `test_noisy` (`query_id`, `clean_query_id`, `noise`, metric lists).

    Returns:
        `dict`: language -> noise -> `(clean (n,), noisy (n,))` arrays over the noisy rows whose clean row exists.
    """
    out = {}
    for lang, noisy in noisy_pq.items():
        if lang not in clean_pq:
            continue
        clean = dict(zip(clean_pq[lang]["query_id"], clean_pq[lang][metric]))
        for cid, noise, value in zip(noisy["clean_query_id"], noisy["noise"], noisy[metric]):
            if cid in clean:
                out.setdefault(lang, {}).setdefault(noise, []).append((clean[cid], value))
    return {lang: {noise: (np.array([c for c, _ in v]), np.array([n for _, n in v])) for noise, v in by.items()}
            for lang, by in out.items()}


def noise_drop_table(pairs, num_samples=2000, seed=0):
    """Clean score, noisy score, drop (paired bootstrap 95 % interval) and share kept, per language and noise type,
    then one macro row per noise type over the languages where it exists.

    Args:
        pairs (`dict`): the output of `noise_pairs` (or arrays averaged over seeds in the same layout).

    Returns:
        `list[dict]`: rows with `language`, `noise`, `pairs`, `clean`, `noisy`, `drop` (`delta`, `low`, `high`;
        no interval on macro rows), `kept` (noisy / clean).
    """
    rows, by_noise = [], {}
    for lang in sorted(pairs):
        for noise in sorted(pairs[lang]):
            clean, noisy = pairs[lang][noise]
            drop = paired_bootstrap(noisy, clean, num_samples, seed)  # mean(clean - noisy)
            rows.append({"language": lang, "noise": noise, "pairs": len(clean), "clean": float(clean.mean()),
                         "noisy": float(noisy.mean()), "drop": drop,
                         "kept": float(noisy.mean() / clean.mean()) if clean.mean() > 0 else None})
            by_noise.setdefault(noise, []).append(rows[-1])
    for noise, part in sorted(by_noise.items()):
        clean, noisy = float(np.mean([r["clean"] for r in part])), float(np.mean([r["noisy"] for r in part]))
        rows.append({"language": "macro", "noise": noise, "pairs": sum(r["pairs"] for r in part), "clean": clean,
                     "noisy": noisy, "drop": {"delta": clean - noisy, "low": None, "high": None},
                     "kept": noisy / clean if clean > 0 else None})
    return rows


def noise_by_language(per_query, clean="test", noisy="test_noisy", metric="ndcg@10"):
    """system -> `noise_drop_table` rows, for every system scored on both splits; empty otherwise."""
    if clean not in per_query or noisy not in per_query:
        return {}
    return {name: noise_drop_table(noise_pairs(per_query[clean][name], by_lang, metric))
            for name, by_lang in per_query[noisy].items() if name in per_query[clean]}
