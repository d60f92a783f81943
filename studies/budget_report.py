"""The label-budget grid's tables: macro nDCG@10 per system and LiRA's paired deltas, mean over seeds.

    python -m studies.label_budget --report --out artifacts/studies/label-budget

Reads every `<out>/<cell>/cell.json` written by `studies.label_budget`, groups the cells by (budget, parallel text)
and writes `<out>/report.md` and `<out>/report.json`. A delta is `after - before` of the per-query nDCG@10 averaged
over the group's seeds, with the language-stratified paired bootstrap 95 % interval (`evaluation.stats`); "worst
language" is the lowest per-language delta, so a claim "no language below" can be read off one column.
"""

import glob
import json
import os

import numpy as np

from lira_utils.atomic import atomic_write_json, atomic_write_text
from evaluation.stats import macro_paired_bootstrap, mean_over_seeds


METRIC = "ndcg@10"
LABELS = ("backbone", "finetune", "finetune_lora", "lira_lrl", "translate_test", "late_fusion", "lira_noisy")
PAIRS = (("finetune", "lira_lrl"), ("finetune_lora", "lira_lrl"), ("backbone", "lira_lrl"),
         ("late_fusion", "lira_noisy"), ("translate_test", "lira_noisy"))


def cell_name(budget, parallel, seed):
    """Folder name of one grid cell, e.g. `b10-par-s13` (`ball` = every labelled query)."""
    return f"b{'all' if budget is None else budget}-{'par' if parallel else 'nopar'}-s{seed}"


def load_cells(out_dir):
    """Every finished cell of `out_dir`, sorted by (parallel, budget, seed); budget None (= all) last."""
    cells = []
    for path in sorted(glob.glob(os.path.join(out_dir, "*", "cell.json"))):
        with open(path, encoding="utf-8") as f:
            cells.append(json.load(f))
    return sorted(cells, key=lambda c: (c["parallel"], float("inf") if c["budget"] is None else c["budget"], c["seed"]))


def _per_query(cells, split, system, lang):
    runs = [c["splits"][split]["per_query"]["test"][system][lang] for c in cells]
    return mean_over_seeds(runs, metrics=[METRIC])[METRIC]


def summarize(cells, split, num_samples=2000):
    """One group's numbers on one split: macro means per system and every pair's paired macro delta."""
    first = cells[0]["splits"][split]
    langs = first["languages"]
    systems = [s for s in first["results"] if all(s in c["splits"][split]["results"] for c in cells)]
    means = {s: float(np.mean([np.mean([c["splits"][split]["results"][s][lang][METRIC] for c in cells])
                               for lang in langs])) for s in systems}
    pairs = {}
    for a, b in PAIRS:
        if a in systems and b in systems:
            per_a = {lang: _per_query(cells, split, a, lang) for lang in langs}
            per_b = {lang: _per_query(cells, split, b, lang) for lang in langs}
            ci = macro_paired_bootstrap(per_a, per_b, num_samples=num_samples)
            worst = min(ci["per_language"].items(), key=lambda kv: kv[1]["delta"])
            pairs[f"{b} - {a}"] = {"delta": ci["delta"], "low": ci["low"], "high": ci["high"],
                                   "worst_language": worst[0], "worst_delta": worst[1]["delta"],
                                   "per_language": ci["per_language"]}
    return {"seeds": [c["seed"] for c in cells], "languages": langs, "means": means, "pairs": pairs}


def build_report(out_dir):
    """`(markdown, json-able dict)` of every (budget, parallel) group and split."""
    cells = load_cells(out_dir)
    if not cells:
        raise ValueError(f"{out_dir!r} has no finished cell (cell.json); run `python -m studies.label_budget` first.")
    groups = {}
    for c in cells:
        groups.setdefault((c["budget"], c["parallel"]), []).append(c)
    report, lines = [], ["# Label budget x parallel text (mean over seeds; paired 95 % intervals)", ""]
    splits = list(cells[0]["splits"])
    for split in splits:
        lines += [f"## {split}", "", "| budget | parallel | seeds | " + " | ".join(LABELS) + " | LiRA LRL - best FT "
                  "[95 % CI] (worst lang) | LiRA cand. - late fusion [95 % CI] |", "|---" * (len(LABELS) + 5) + "|"]
        for (budget, parallel), group in groups.items():
            if any(split not in c["splits"] for c in group):
                continue
            s = summarize(group, split)
            report.append({"budget": budget, "parallel": parallel, "split": split, **s})
            best = max(("finetune", "finetune_lora"), key=lambda n: s["means"].get(n, -1))
            row = [("all" if budget is None else str(budget)), "yes" if parallel else "no", str(len(group))]
            row += [f"{s['means'][n]:.3f}" if n in s["means"] else "-" for n in LABELS]
            row += [_delta(s["pairs"].get(f"lira_lrl - {best}"), with_worst=True),
                    _delta(s["pairs"].get("lira_noisy - late_fusion"))]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    lines += _per_language_lines(report)
    seconds = {cell_name(c["budget"], c["parallel"], c["seed"]): c.get("train_seconds", {}) for c in cells}
    return "\n".join(lines), {"groups": report, "train_seconds": seconds}


def _per_language_lines(report):
    """Markdown: LiRA LRL-only minus each fine-tune, per language and macro, for every group and split."""
    rows = [g for g in report if any(f"lira_lrl - {ft}" in g["pairs"] for ft in ("finetune", "finetune_lora"))]
    if not rows:
        return []
    langs = list(dict.fromkeys(lang for g in rows for lang in g["languages"]))  # first group's order, then others
    lines = ["## Per language: LiRA LRL-only minus each fine-tune [95 % CI]", "",
             "| set | budget | parallel | seeds | vs | " + " | ".join(langs) + " | macro |",
             "|---" * (len(langs) + 6) + "|"]
    for g in rows:
        for ft, label in (("finetune_lora", "LoRA FT"), ("finetune", "full FT")):
            pair = g["pairs"].get(f"lira_lrl - {ft}")
            if pair is None:
                continue
            cells = [_delta(pair["per_language"].get(lang)) for lang in langs]  # "-": a group without it
            lines.append(f"| {g['split']} | {'all' if g['budget'] is None else g['budget']} | "
                         f"{'yes' if g['parallel'] else 'no'} | {len(g['seeds'])} | {label} | " + " | ".join(cells)
                         + f" | **{_delta(pair)}** |")
    return lines + [""]


def _delta(pair, with_worst=False):
    if not pair:
        return "-"
    text = f"{pair['delta']:+.3f} [{pair['low']:+.3f}, {pair['high']:+.3f}]"
    return text + (f" ({pair['worst_language']} {pair['worst_delta']:+.3f})" if with_worst else "")


def write_report(out_dir):
    """Writes `report.md` and `report.json` into `out_dir`; returns the markdown."""
    text, data = build_report(out_dir)
    atomic_write_text(os.path.join(out_dir, "report.md"), text + "\n")
    atomic_write_json(os.path.join(out_dir, "report.json"), data)
    return text
