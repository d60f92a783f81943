"""One `results.json` from several evaluations, each system renamed `system@LABEL`, so `evaluation.compare` can pair
systems that were scored in different runs on the same queries (e.g. LiRA anchored to two English encoders):

    python -m evaluation.merge minilm=artifacts/eval/results.json mpnet=artifacts/eval-mpnet/results.json \\
        --out artifacts/eval-english/results.json
    python -m evaluation.compare artifacts/eval-english/results.json \\
        --pairs lira_lrl@minilm:lira_lrl@mpnet late_fusion@mpnet:lira_noisy@mpnet

Only the per-system scores travel (`results`, `splits`, `macro_average`, `seconds`, `per_query`); the runs must share
the dataset, languages and query counts, and `evaluation.compare` checks the query ids of every pair it reads.
"""

import argparse
import json
import os

from lira_utils.arguments import run_cli
from lira_utils.atomic import atomic_write_json

SYSTEM_KEYED = ("splits", "macro_average", "seconds", "per_query")  # split -> system -> ...


def _labelled(values):
    """`["a=path", ...]` -> `[("a", "path"), ...]`, each label once."""
    out = []
    for value in values:
        label, sep, path = value.partition("=")
        if not sep or not label.strip() or not path.strip() or "@" in label or ":" in label:
            raise ValueError(f"{value!r} is not LABEL=results.json (a label without '@' or ':'); write e.g. "
                             "mpnet=artifacts/eval-mpnet/results.json.")
        if label in [lab for lab, _ in out]:
            raise ValueError(f"label {label!r} is given twice; give each run its own label.")
        out.append((label.strip(), path.strip()))
    return out


def merge_results(runs):
    """Merges evaluation reports, renaming each system to `system@label`.

    Args:
        runs (`list[tuple[str, dict]]`): `(label, results)` pairs, `results` as written by `python -m evaluation`.

    Returns:
        `dict`: a report `evaluation.compare` reads.

    Raises:
        `ValueError`: the runs differ in dataset, languages, splits or query counts.
    """
    if not runs:
        raise ValueError("give at least one LABEL=results.json.")
    first_label, first = runs[0]
    merged = {"split": first.get("split"), "languages": first.get("languages"), "dataset": first.get("dataset"),
              "num_queries": first.get("num_queries"), "corpus_size": first.get("corpus_size"), "systems": [],
              "results": {}, "merged_from": {}, **{key: {} for key in SYSTEM_KEYED}}
    for label, results in runs:
        for key in ("dataset", "languages", "num_queries", "corpus_size", "split"):
            if results.get(key) != first.get(key):
                raise ValueError(f"run {label!r} has {key}={str(results.get(key))[:120]}, run {first_label!r} "
                                 f"{str(first.get(key))[:120]}; merge runs of one dataset, languages and "
                                 "--max-queries.")
        renamed = {name: f"{name}@{label}" for name in results.get("systems", [])}
        merged["systems"] += list(renamed.values())
        merged["results"].update({renamed[n]: v for n, v in results.get("results", {}).items() if n in renamed})
        for key in SYSTEM_KEYED:
            for split, by_system in results.get(key, {}).items():
                merged[key].setdefault(split, {}).update(
                    {renamed[n]: v for n, v in by_system.items() if n in renamed})
        merged["merged_from"][label] = {"model": results.get("model"), "systems": list(renamed)}
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m evaluation.merge", description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=results.json")
    parser.add_argument("--out", required=True, help="merged results.json to write")
    args = parser.parse_args(argv)
    runs = []
    for label, path in _labelled(args.runs):
        if not os.path.isfile(path):
            raise ValueError(f"{path!r} (run {label!r}) is not a file; pass the results.json of an evaluation.")
        with open(path, encoding="utf-8") as f:
            runs.append((label, json.load(f)))
    merged = merge_results(runs)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    atomic_write_json(args.out, merged)
    print(f"wrote {args.out}: {len(merged['systems'])} systems ({', '.join(merged['systems'])})")


if __name__ == "__main__":
    run_cli(main)
