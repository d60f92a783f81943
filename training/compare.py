"""Before/after table from an evaluation `results.json`: does the trained LiRA beat its backbone?

    python -m training.compare artifacts/eval/results.json

Rows are languages; columns compare (a) LRL-only LiRA (`lira_lrl`) with the untrained backbone
multilingual-e5-small (`backbone`, identical to the untrained lira-small by construction), and (b) the full mode with
noisy candidates (`lira_noisy`) with translate-test (`translate_test`: all-MiniLM-L6-v2 on the critic's top
candidate; `translate_test_first`: on candidate 1, a translator's own first output, when evaluated).
"""

import argparse
import json

PAIRS = [("backbone", "lira_lrl"), ("translate_test", "lira_noisy"), ("translate_test_first", "lira_noisy")]
METRICS = ("ndcg@10", "recall@10")


def comparison_table(results, split=None, pairs=PAIRS, metrics=METRICS):
    """Markdown table (one row per language + macro average) of before -> after (delta) per pair and metric."""
    split_results = results["splits"][split] if split else results["results"]
    langs = sorted({lang for sys in split_results.values() for lang in sys})
    present = [(a, b) for a, b in pairs if a in split_results and b in split_results]
    if not present:
        raise ValueError(f"results have systems {sorted(split_results)}; need one of the pairs {pairs}.")
    header = ["language"] + [f"{m} {a} -> {b}" for a, b in present for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    sums = {}
    for lang in langs + ["macro avg"]:
        cells = [lang]
        for a, b in present:
            for m in metrics:
                if lang == "macro avg":
                    before, after = (sums[(a, b, m, i)] / len(langs) for i in (0, 1))
                else:
                    before, after = split_results[a][lang][m], split_results[b][lang][m]
                    sums[(a, b, m, 0)] = sums.get((a, b, m, 0), 0.0) + before
                    sums[(a, b, m, 1)] = sums.get((a, b, m, 1), 0.0) + after
                cells.append(f"{before:.3f} -> {after:.3f} ({after - before:+.3f})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results")
    parser.add_argument("--split", default=None, help="e.g. test_noisy (default: the file's first split)")
    args = parser.parse_args(argv)
    with open(args.results, encoding="utf-8") as f:
        results = json.load(f)
    print(comparison_table(results, args.split))


if __name__ == "__main__":
    main()
