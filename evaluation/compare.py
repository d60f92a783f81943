"""Before/after table from evaluation `results.json` files: does the trained LiRA beat its baselines?

    python -m evaluation.compare artifacts/eval/results.json
    python -m evaluation.compare run_seed13/results.json run_seed14/results.json --pairs backbone:lira_lrl

Rows are languages; columns compare (a) LRL-only LiRA (`lira_lrl`) with the untrained backbone
multilingual-e5-small (`backbone`, identical to the untrained lira-small by construction) and with the fine-tuned
backbone (`finetune`), and (b) the full mode with noisy candidates (`lira_noisy`) with translate-test
(`translate_test`: all-MiniLM-L6-v2 on the critic's top candidate; `translate_test_first`: on candidate 1, a
translator's own first output) and with `late_fusion`, for the systems that were evaluated.

Each cell is `before -> after (delta [low, high])`: the interval is a paired bootstrap 95 % confidence interval of
the delta over the queries (`evaluation.stats`; stratified by language for the macro row), computed from the
file's `per_query` scores; files written before those were saved get `[-]`. With several files (runs with
different training seeds) every number is the mean over the runs, and the interval bootstraps the per-query
scores averaged over the runs.
"""

import argparse
import json

import numpy as np

from evaluation.stats import (check_same_queries, macro_bootstrap, macro_paired_bootstrap, mean_over_seeds,
                              paired_bootstrap)

PAIRS = [("backbone", "lira_lrl"), ("finetune", "lira_lrl"), ("translate_test", "lira_noisy"),
         ("translate_test_first", "lira_noisy"), ("late_fusion", "lira_noisy"), ("late_fusion", "lira_top")]
METRICS = ("ndcg@10", "recall@10")


def parse_pairs(values):
    """`["backbone:lira_lrl", ...]` -> `[("backbone", "lira_lrl"), ...]`."""
    pairs = []
    for value in values:
        parts = value.split(":")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise ValueError(f"--pairs {value!r} is not BEFORE:AFTER; write e.g. backbone:lira_lrl.")
        pairs.append((parts[0].strip(), parts[1].strip()))
    return pairs


def _split_name(results, split):
    """The split a results dict is read at: `split`, else the file's first split (`results["split"]`)."""
    if split:
        if split not in results.get("splits", {}):
            raise ValueError(f"split {split!r} is not in the results (splits: {sorted(results.get('splits', {}))}).")
        return split
    return results.get("split")


def _ordered(results, langs):
    """`langs` in the evaluation's own language order (`results["languages"]`), the others sorted after them."""
    known = [lang for lang in results.get("languages", []) if lang in langs]
    return known + sorted(set(langs) - set(known))


def _scores(results, split):
    """system -> language -> metrics at `split` (the file's `results` when no split is named)."""
    return results["splits"][split] if split in results.get("splits", {}) else results["results"]


def _per_query(runs, splits, system, lang, metric):
    """Per-query `metric` of `system` on `lang` averaged over the runs, or None when a run did not save it."""
    found = [run.get("per_query", {}).get(split, {}).get(system, {}).get(lang) for run, split in zip(runs, splits)]
    if any(pq is None or metric not in pq for pq in found):
        return None
    return mean_over_seeds(found, metrics=[metric])


def _pair_queries(runs, splits, a, b, langs, metric):
    """(language -> per-query `metric` of `a`, same for `b`), or None when any run lacks them."""
    per_a, per_b = {}, {}
    for lang in langs:
        pa, pb = _per_query(runs, splits, a, lang, metric), _per_query(runs, splits, b, lang, metric)
        if pa is None or pb is None:
            return None
        check_same_queries(pb["query_id"], pa["query_id"], what=f"{b} on {lang}")
        per_a[lang], per_b[lang] = pa[metric], pb[metric]
    return per_a, per_b


def _cell(before, after, interval):
    ci = f"[{interval['low']:+.3f}, {interval['high']:+.3f}]" if interval else "[-]"
    return f"{before:.3f} -> {after:.3f} ({after - before:+.3f} {ci})"


def _pair_columns(runs, splits, a, b, langs, metric, num_samples, seed):
    """Cells (one per language, then the macro average) for one pair and metric."""
    before = {lang: float(np.mean([_scores(r, s)[a][lang][metric] for r, s in zip(runs, splits)])) for lang in langs}
    after = {lang: float(np.mean([_scores(r, s)[b][lang][metric] for r, s in zip(runs, splits)])) for lang in langs}
    queries = _pair_queries(runs, splits, a, b, langs, metric)
    intervals = {}
    if queries:
        per_a, per_b = queries
        intervals = {lang: paired_bootstrap(per_a[lang], per_b[lang], num_samples, seed) for lang in langs}
        intervals["macro avg"] = macro_paired_bootstrap(per_a, per_b, num_samples, seed)
    cells = [_cell(before[lang], after[lang], intervals.get(lang)) for lang in langs]
    macro = [float(np.mean(list(d.values()))) for d in (before, after)]
    return cells + [_cell(*macro, intervals.get("macro avg"))]


def comparison_table_runs(runs, split=None, pairs=PAIRS, metrics=METRICS, num_samples=2000, seed=0):
    """Markdown table (one row per language + macro average) of `before -> after (delta [low, high])`.

    Args:
        runs (`list[dict]`): `results.json` contents of one or more runs (seeds) of the same evaluation.
        split (`str`, *optional*): split to compare, e.g. `"test_noisy"` (default: each file's first split).
        pairs (`list[tuple[str, str]]`, *optional*): (before system, after system) pairs; pairs with a system
            missing from any run are skipped.
        metrics (`tuple[str]`, *optional*): metrics per pair.
        num_samples (`int`, *optional*, defaults to 2000): bootstrap resamples.
        seed (`int`, *optional*, defaults to 0): bootstrap seed.

    Returns:
        `str`: the table; the first header cell says `mean of N runs` when N > 1.

    Raises:
        `ValueError`: when no pair is present in every run, or the runs were scored on different queries.
    """
    runs = list(runs)
    if not runs:
        raise ValueError("no results to compare; pass at least one results.json.")
    splits = [_split_name(r, split) for r in runs]
    by_run = [_scores(r, s) for r, s in zip(runs, splits)]
    present = [(a, b) for a, b in pairs if all(a in res and b in res for res in by_run)]
    if not present:
        raise ValueError(f"results have systems {sorted(by_run[0])}; need one of the pairs {pairs}.")
    first = "language" if len(runs) == 1 else f"language (mean of {len(runs)} runs)"
    header = [first] + [f"{m} {a} -> {b} (delta [95% CI])" for a, b in present for m in metrics]
    columns = []
    for a, b in present:
        langs = sorted(set.intersection(*(set(res[a]) & set(res[b]) for res in by_run)))
        if not langs:
            raise ValueError(f"{a} and {b} share no language in every run; evaluate both on the same languages.")
        for m in metrics:
            columns.append(dict(zip(langs + ["macro avg"], _pair_columns(runs, splits, a, b, langs, m,
                                                                          num_samples, seed))))
    rows = _ordered(runs[0], {lang for col in columns for lang in col} - {"macro avg"}) + ["macro avg"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for lang in rows:
        lines.append("| " + " | ".join([lang] + [col.get(lang, "-") for col in columns]) + " |")
    return "\n".join(lines)


def systems_table(runs, split=None, metric="ndcg@10", num_samples=2000, seed=0):
    """Markdown table of every system's `metric` (rows) per language and macro (columns), mean over the runs, each
    with a bootstrap 95 % interval over queries (stratified by language for the macro column); `-` where a run
    saved no per-query scores.

    Args:
        runs (`list[dict]`): `results.json` contents of one or more runs (seeds).
        split (`str`, *optional*): split to read (default: each file's first split).
        metric (`str`, *optional*, defaults to `"ndcg@10"`).
        num_samples (`int`, *optional*), seed (`int`, *optional*): bootstrap settings.
    """
    runs = list(runs)
    splits = [_split_name(r, split) for r in runs]
    by_run = [_scores(r, s) for r, s in zip(runs, splits)]
    systems = [name for name in by_run[0] if all(name in res for res in by_run)]
    langs = _ordered(runs[0], set.intersection(*(set(by_run[0][name]) for name in systems)) if systems else set())
    first = "system" if len(runs) == 1 else f"system (mean of {len(runs)} runs)"
    lines = [f"| {first} | " + " | ".join(langs) + " | macro |", "|---|" + "---|" * (len(langs) + 1)]
    for name in systems:
        means = {lang: float(np.mean([res[name][lang][metric] for res in by_run])) for lang in langs}
        per_q = {lang: _per_query(runs, splits, name, lang, metric) for lang in langs}
        if all(per_q.values()):
            scores = {lang: pq[metric] for lang, pq in per_q.items()}
            ci = macro_bootstrap(scores, num_samples, seed)
            cells = [f"{means[lang]:.3f} [{ci['per_language'][lang]['low']:.3f}, "
                     f"{ci['per_language'][lang]['high']:.3f}]" for lang in langs]
            cells.append(f"**{np.mean(list(means.values())):.3f}** [{ci['low']:.3f}, {ci['high']:.3f}]")
        else:
            cells = [f"{means[lang]:.3f} [-]" for lang in langs] + [f"**{np.mean(list(means.values())):.3f}** [-]"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def comparison_table(results, split=None, pairs=PAIRS, metrics=METRICS, num_samples=2000, seed=0):
    """`comparison_table_runs` for one `results.json` dict (or a list of them, one per run)."""
    runs = results if isinstance(results, (list, tuple)) else [results]
    return comparison_table_runs(runs, split, pairs, metrics, num_samples, seed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+", help="results.json of one run, or of several runs (seeds) to average")
    parser.add_argument("--split", default=None, help="e.g. test_noisy (default: the file's first split)")
    parser.add_argument("--pairs", nargs="+", default=None,
                        help="BEFORE:AFTER system pairs, e.g. backbone:lira_lrl late_fusion:lira_noisy "
                             "(default: " + " ".join(f"{a}:{b}" for a, b in PAIRS) + ")")
    parser.add_argument("--num-samples", type=int, default=2000, help="bootstrap resamples")
    args = parser.parse_args(argv)
    pairs = parse_pairs(args.pairs) if args.pairs else PAIRS
    runs = []
    for path in args.results:
        with open(path, encoding="utf-8") as f:
            runs.append(json.load(f))
    print(f"nDCG@10 per system ({len(runs)} run(s); 95 % bootstrap interval over queries)\n")
    print(systems_table(runs, args.split, num_samples=args.num_samples))
    print("\nPairs: before -> after (delta [paired bootstrap 95 % interval])\n")
    print(comparison_table_runs(runs, args.split, pairs, num_samples=args.num_samples))


if __name__ == "__main__":
    main()
