"""Recomputes only the language-identification accuracy of a LiRA model inside an existing `results.json`.

    python -m evaluation.langid_refresh --model artifacts/lira-small-final --results artifacts/eval-final/results.json

For a model whose language-id head was refit after evaluation (`python -m training.language_probe`): retrieval
vectors do not depend on that head when the language is given, so only `langid_acc` is stale. This recomputes it
for every LiRA system, language and split in the file (the same queries: the file's `num_queries` per language)
and rewrites the file atomically; a model whose other weights changed needs a full `python -m evaluation evaluate`.
"""

import argparse
import json

from .atomic import atomic_write_json
from .data import load_queries
from .lira_system import LiraSystem
from .metrics_loader import load_metric
from .robustness import macro_average


def refresh_langid(results, model, dataset, progress=True):
    """Updates `results` in place; returns `{split: {language: accuracy}}`."""
    system = LiraSystem(model, mode="lrl", progress=progress)
    accuracy = load_metric("accuracy")
    measured = {}
    for split, systems in results["splits"].items():
        lira = [name for name in systems if name.startswith("lira_")]
        if not lira:
            continue
        measured[split] = {}
        for lang in sorted({lang for name in lira for lang in systems[name]}):
            rows = load_queries(dataset, lang, split, results["num_queries"][split][lang])
            pred = system.predict_languages([r["query"] for r in rows])
            acc = accuracy.compute(predictions=pred, references=[r["language"] for r in rows])["accuracy"]
            measured[split][lang] = acc
            for name in lira:
                if lang in systems[name]:
                    systems[name][lang]["langid_acc"] = acc
    results["macro_average"] = macro_average(results["splits"])  # what the evaluator wrote, from the new values
    sync_primary_split(results)
    return measured


def sync_primary_split(results):
    """`results["results"]` mirrors the first split (`results["split"]`), which model cards read: keep it in step."""
    if results.get("split") in results.get("splits", {}):
        results["results"] = results["splits"][results["split"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--results", required=True, help="results.json written by `python -m evaluation evaluate`")
    parser.add_argument("--dataset", default=None, help="default: the dataset recorded in the results file")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    with open(args.results, encoding="utf-8") as f:
        results = json.load(f)
    measured = refresh_langid(results, args.model, args.dataset or results["dataset"], not args.no_progress)
    atomic_write_json(args.results, results)
    for split, accs in measured.items():
        print(split, " ".join(f"{lang} {acc:.3f}" for lang, acc in accs.items()))


if __name__ == "__main__":
    main()
