"""Writes evaluation results as JSON, a Markdown table (language x system) and one PNG bar chart per metric."""

import os

import numpy as np

from lira_utils.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text

TABLE_METRICS = ("ndcg@10", "recall@10", "mrr@10")
METRIC_LABELS = {"ndcg@10": "nDCG@10", "recall@10": "Recall@10", "mrr@10": "MRR@10", "recall@1": "Recall@1"}
SPLIT_TITLES = {"test": "clean test", "test_noisy": "noise-amplified test", "validation": "validation",
                "train": "train", "cldr_names": "CLDR short-name benchmark"}


def _order(results_split):
    systems = list(results_split)
    langs = []
    for by_lang in results_split.values():
        langs += [lang for lang in by_lang if lang not in langs]
    return langs, systems


def macro_average(results_split, metric):
    """Unweighted mean over languages of `metric`, per system (system -> language -> metrics input)."""
    return {s: float(np.mean([m[metric] for m in by_lang.values()])) for s, by_lang in results_split.items()}


def markdown_table(results_split, metrics=TABLE_METRICS, signed=False):
    """One Markdown table: rows = languages (+ macro average), columns = systems, cells = `m1 / m2 / m3`.

    Args:
        results_split (`dict`): system -> language -> metrics.
        metrics (`tuple[str]`, *optional*): metrics shown in each cell, in order.
        signed (`bool`, *optional*): print a sign (for drops/deltas).

    Returns:
        `str`
    """
    langs, systems = _order(results_split)
    fmt = "{:+.3f}" if signed else "{:.3f}"
    head = "| language | " + " | ".join(systems) + " |"
    lines = [head, "|" + "---|" * (len(systems) + 1)]

    def cell(scores):
        return " / ".join(fmt.format(scores[m]) for m in metrics) if scores else "-"

    for lang in langs:
        lines.append(f"| {lang} | " + " | ".join(cell(results_split[s].get(lang)) for s in systems) + " |")
    avg = {m: macro_average(results_split, m) for m in metrics}
    lines.append("| **macro avg** | " + " | ".join(
        "**" + " / ".join(fmt.format(avg[m][s]) for m in metrics) + "**" for s in systems) + " |")
    return "\n".join(lines)


def noise_table(by_noise):
    """Markdown table: rows = noise types, columns = systems, cells = `clean -> noisy (drop)` nDCG@10."""
    systems = list(by_noise)
    types = sorted({t for v in by_noise.values() for t in v})
    lines = ["| noise type (paired queries) | " + " | ".join(systems) + " |", "|" + "---|" * (len(systems) + 1)]
    for t in types:
        pairs = next(v[t]["pairs"] for v in by_noise.values() if t in v)
        cells = ["-" if t not in v else
                 f"{v[t]['clean']:.3f} → {v[t]['noisy']:.3f} ({v[t]['noisy'] - v[t]['clean']:+.3f})"
                 for v in by_noise.values()]
        lines.append(f"| {t} ({pairs}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_drop(d):
    if d.get("low") is None:
        return f"{d['delta']:+.3f}"
    return f"{d['delta']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"


def noise_language_table(system, rows):
    """Markdown table of one system's `noise_by_language` rows: clean, noisy, drop [95 % CI], share kept."""
    lines = [f"**{system}**", "", "| language | noise | pairs | clean | noisy | drop [95 % CI] | kept |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['language']} | {r['noise']} | {r['pairs']} | {r['clean']:.3f} | {r['noisy']:.3f} | "
              f"{format_drop(r['drop'])} | {'-' if r['kept'] is None else format(r['kept'], '.0%')} |" for r in rows]
    return "\n".join(lines)


def markdown_report(report, title="LiRA evaluation", metrics=TABLE_METRICS):
    """The full Markdown report: one table per split, then the clean-to-noisy drop."""
    legend = " / ".join(METRIC_LABELS.get(m, m) for m in metrics)
    parts = [f"# {title}", "", f"Cells: {legend}. Corpus: {report.get('corpus_size', '?')} products."]
    for split, res in report["splits"].items():
        n = report.get("num_queries", {}).get(split, {})
        parts += ["", f"## {SPLIT_TITLES.get(split, split)} (`{split}`; queries per language: "
                  + ", ".join(f"{k} {v}" for k, v in n.items()) + ")", "", markdown_table(res, metrics)]
    if report.get("leak_meter"):
        from .leak import leak_table

        parts += ["", f"## Leak meter (`{report['split']}`): is the critic's top candidate the answer?", "",
                  leak_table(report["leak_meter"])]
    if report.get("robustness"):
        parts += ["", "## Robustness: drop from clean to noisy (clean minus noisy; positive = worse when noisy)", "",
                  markdown_table(report["robustness"], signed=True)]
    if report.get("robustness_by_noise"):
        parts += ["", "## Robustness by noise type: nDCG@10 of the clean query → its noisy variant (change), "
                  "macro over languages", "", noise_table(report["robustness_by_noise"])]
    if report.get("robustness_by_language_noise"):
        parts += ["", "## Robustness per language and noise type: nDCG@10 of the paired clean and noisy queries, "
                  "the drop (clean - noisy) with its paired bootstrap 95 % interval, and the share kept"]
        for system, rows in report["robustness_by_language_noise"].items():
            parts += ["", noise_language_table(system, rows)]
    return "\n".join(parts) + "\n"


def bar_chart(path, report, metric):
    """Writes a grouped bar chart of `metric`: one panel per split, languages (+ average) on x, one bar per system.

    Args:
        path (`str`): PNG file to write.
        report (`dict`): output of `run_evaluation`.
        metric (`str`): e.g. `"ndcg@10"`.
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = list(report["splits"])
    fig, axes = plt.subplots(len(splits), 1, figsize=(12, 3.6 * len(splits)), squeeze=False)
    for ax, split in zip(axes[:, 0], splits):
        res = report["splits"][split]
        langs, systems = _order(res)
        avg = macro_average(res, metric)
        groups = langs + ["avg"]
        width = 0.8 / max(len(systems), 1)
        cmap = plt.get_cmap("tab10")
        for j, system in enumerate(systems):
            vals = [res[system][l][metric] if l in res[system] else np.nan for l in langs] + [avg[system]]
            xs = np.arange(len(groups)) + (j - (len(systems) - 1) / 2) * width
            ax.bar(xs, vals, width, label=system, color=cmap(j % 10))
        ax.set_xticks(np.arange(len(groups)), groups)
        ax.set_ylim(0, 1)
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        ax.set_title(f"{METRIC_LABELS.get(metric, metric)}: {SPLIT_TITLES.get(split, split)} ({split})")
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="system")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def write_report(report, out_dir, title="LiRA evaluation", metrics=TABLE_METRICS):
    """Writes `results.json`, `results.md` and `<metric>.png` for each metric into `out_dir`.

    Returns:
        `dict[str, str]`: what was written (`json`, `markdown`, and one entry per metric).
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = {"json": os.path.join(out_dir, "results.json"), "markdown": os.path.join(out_dir, "results.md")}
    atomic_write_json(paths["json"], report)
    atomic_write_text(paths["markdown"], markdown_report(report, title, metrics))
    for metric in metrics:
        paths[metric] = os.path.join(out_dir, metric.replace("@", "_at_") + ".png")
        bar_chart(paths[metric], report, metric)
    return paths
