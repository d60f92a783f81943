"""`python -m evaluation mteb`: mteb itself scores the evaluator's systems on lira-products, offline.

    python -m evaluation mteb --model artifacts/lira-small-trained --dataset artifacts/lira-products \\
        --systems lira_lrl finetune backbone --out artifacts/eval-mteb --compare artifacts/eval/results.json

Every system is built as `python -m evaluation evaluate` builds it (same flags), wrapped for mteb
(`evaluation.mteb_model.mteb_encoder`) and run by `mteb.evaluate` on the lira-products task
(`evaluation.mteb_task`), so retrieval and nDCG@10 are mteb's code (its search and `pytrec_eval`), not ours. Written
into `--out`: mteb's own result JSON per system (`mteb/<system>/LiraProductsRetrieval.json`), `mteb_scores.json`
(split -> system -> language -> nDCG@10 / Recall@10 / MRR@10) and `mteb.md`; with `--compare results.json` (the
evaluator's output on the same queries) a per-language table of mteb's nDCG@10 beside ours, with the largest
absolute difference.

mteb is an optional extra (`pip install -e ".[mteb]"`); nothing else in the package imports it.
"""

import json
import os
import tempfile
import time
from pathlib import Path

from lira_utils.atomic import atomic_write_json, atomic_write_text

INSTALL_HINT = 'pip install "mteb>=2.26,<3"  (or, in a clone: pip install -e ".[mteb]")'
METRICS = {"ndcg@10": "ndcg_at_10", "recall@10": "recall_at_10", "mrr@10": "mrr_at_10"}


def require_mteb():
    """Imports mteb, or raises a `ValueError` that says how to install it (the CLI prints it as one line)."""
    try:
        import mteb
    except ImportError as err:
        raise ValueError(f"`python -m evaluation mteb` needs the optional package mteb, which is not installed "
                         f"here ({err}); install it with: {INSTALL_HINT}") from err
    return mteb


def add_arguments(parser):
    """The `mteb` subcommand's own flags (beside the evaluator's common ones)."""
    parser.add_argument("--dataset", default="artifacts/lira-products", help="lira-products folder")
    parser.add_argument("--languages", nargs="+", help="language subsets (default: every language config of the "
                                                       "dataset, zero-shot ones included)")
    parser.add_argument("--splits", "--split", nargs="+", default=["test"], choices=["test", "test_noisy"],
                        help="query splits (mteb evaluation splits of the task)")
    parser.add_argument("--compare", metavar="RESULTS_JSON",
                        help="results.json of `python -m evaluation evaluate` on the same queries: adds the table "
                             "of mteb's nDCG@10 beside ours")


def _write_task_result(task_result, path):
    """mteb's own JSON of one task result (`TaskResult.to_disk`), written atomically."""
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "result.json"
        task_result.to_disk(staged)
        atomic_write_text(path, staged.read_text(encoding="utf-8"))


def run_mteb(systems, dataset, languages=None, splits=("test",), max_queries=None, doc_field="title", out_dir=None,
             batch_size=64, progress=True):
    """Runs `mteb.evaluate` for every system on the lira-products task of `dataset`.

    Returns:
        `dict`: `scores` (split -> system -> language -> metrics), `num_queries` (split -> language -> n),
        `seconds` (system -> wall time), `task`, `languages`, `splits`, `mteb_version`.
    """
    import datasets

    mteb = require_mteb()
    from .mteb_task import lira_products_tasks

    tasks = lira_products_tasks(dataset, languages, splits, max_queries, doc_field)
    task = tasks[0]
    bars = not datasets.are_progress_bars_disabled()
    if not progress:  # mteb's dataloaders map the corpus with `datasets`, which shows a bar per subset otherwise
        datasets.disable_progress_bars()
    try:
        scores, seconds = _evaluate_all(mteb, systems, tasks, out_dir, batch_size, progress)
    finally:
        if bars:
            datasets.enable_progress_bars()
    counts = {split: {lang: task.num_queries(lang, split) for lang in task.hf_subsets} for split in task.eval_splits}
    return {"task": task.metadata.name, "dataset": dataset, "languages": list(task.hf_subsets),
            "splits": list(task.eval_splits), "scores": scores, "num_queries": counts, "seconds": seconds,
            "mteb_version": mteb.__version__}


def _evaluate_all(mteb, systems, tasks, out_dir, batch_size, progress):
    """`mteb.evaluate` per system: `(split -> system -> language -> metrics, system -> seconds)`."""
    from .mteb_model import mteb_encoder

    scores, seconds = {}, {}
    for system in systems:
        start = time.perf_counter()
        result = mteb.evaluate(mteb_encoder(system), tasks, cache=None, overwrite_strategy="always",
                               show_progress_bar=progress, encode_kwargs={"batch_size": batch_size})
        seconds[system.name] = round(time.perf_counter() - start, 1)
        task_result = result.task_results[0]
        if out_dir:
            _write_task_result(task_result, os.path.join(out_dir, "mteb", system.name, f"{task_result.task_name}.json"))
        for split, entries in task_result.scores.items():
            for entry in entries:
                scores.setdefault(split, {}).setdefault(system.name, {})[entry["hf_subset"]] = {
                    ours: float(entry[theirs]) for ours, theirs in METRICS.items()}
    return scores, seconds


def compare_with(report, results_path):
    """Rows `(split, system, language, mteb nDCG@10, ours, |difference|, n mteb, n ours)` against an evaluator
    `results.json`; `ours` is `None` where that run lacks the system, split or language."""
    with open(results_path, encoding="utf-8") as f:
        ours = json.load(f)
    splits = ours.get("splits") or {ours.get("split", "test"): ours.get("results", {})}
    rows = []
    for split, by_system in report["scores"].items():
        for system, by_lang in by_system.items():
            for lang, metrics in by_lang.items():
                theirs = splits.get(split, {}).get(system, {}).get(lang, {}).get("ndcg@10")
                n_ours = ours.get("num_queries", {}).get(split, {}).get(lang)
                diff = None if theirs is None else abs(metrics["ndcg@10"] - theirs)
                rows.append((split, system, lang, metrics["ndcg@10"], theirs, diff,
                             report["num_queries"][split][lang], n_ours))
    return rows


def markdown(report, rows=None, results_path=None):
    """`mteb.md`: mteb's nDCG@10 per language and system (one table per split), then the comparison if any."""
    lines = [f"# mteb {report['mteb_version']} on {report['task']} ({report['dataset']})", ""]
    for split, by_system in report["scores"].items():
        systems = list(by_system)
        lines += [f"## {split}: nDCG@10 (mteb)", "", "| language | n | " + " | ".join(systems) + " |",
                  "|" + "---|" * (len(systems) + 2)]
        for lang in report["languages"]:
            cells = [f"{by_system[s][lang]['ndcg@10']:.4f}" if lang in by_system[s] else "-" for s in systems]
            lines.append(f"| {lang} | {report['num_queries'][split][lang]} | " + " | ".join(cells) + " |")
        lines.append("")
    if rows is not None:
        diffs = [r[5] for r in rows if r[5] is not None]
        lines += [f"## mteb vs the project's evaluator ({results_path})", "",
                  "| split | system | language | n (mteb / ours) | mteb nDCG@10 | ours | abs. difference |",
                  "|---|---|---|---|---|---|---|"]
        for split, system, lang, theirs, ours, diff, n_mteb, n_ours in rows:
            flag = "" if n_ours in (None, n_mteb) else " (different queries)"
            lines.append(f"| {split} | {system} | {lang} | {n_mteb} / {n_ours if n_ours is not None else '-'}{flag} | "
                         f"{theirs:.6f} | {'-' if ours is None else f'{ours:.6f}'} | "
                         f"{'-' if diff is None else f'{diff:.6f}'} |")
        worst = max(diffs) if diffs else None
        lines += ["", f"max abs. difference: {'-' if worst is None else f'{worst:.6f}'} over {len(diffs)} "
                      f"(split, system, language) cells", ""]
    return "\n".join(lines)


def run_mteb_command(args, systems):
    """The CLI: runs mteb, writes `mteb_scores.json` and `mteb.md` (and mteb's JSON) into `args.out`, prints the
    table; returns the report (with `compare` rows and `max_abs_diff` when `--compare` is given)."""
    if args.compare and not os.path.isfile(args.compare):
        raise ValueError(f"--compare {args.compare!r} is not a file; pass the results.json of `python -m evaluation "
                         "evaluate` on the same dataset and queries.")
    os.makedirs(args.out, exist_ok=True)
    report = run_mteb(systems, args.dataset, args.languages, tuple(args.splits), args.max_queries, args.doc_field,
                      out_dir=args.out, batch_size=args.batch_size, progress=not args.no_progress)
    report["model"] = args.model
    rows = compare_with(report, args.compare) if args.compare else None
    if rows is not None:
        diffs = [r[5] for r in rows if r[5] is not None]
        report["compare"] = {"results": args.compare, "max_abs_diff": max(diffs) if diffs else None,
                             "rows": [dict(zip(("split", "system", "language", "mteb", "ours", "abs_diff", "n_mteb",
                                                "n_ours"), r)) for r in rows]}
    text = markdown(report, rows, args.compare)
    atomic_write_json(os.path.join(args.out, "mteb_scores.json"), report)
    atomic_write_text(os.path.join(args.out, "mteb.md"), text)
    print(text)
    print(f"wrote {os.path.join(args.out, 'mteb_scores.json')}, {os.path.join(args.out, 'mteb.md')}, "
          f"{os.path.join(args.out, 'mteb')}/")
    return report
