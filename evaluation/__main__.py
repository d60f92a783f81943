"""Command line: `python -m evaluation {evaluate,cldr-names,mteb} ...`.

Examples::

    # every system on the clean and noisy test splits of all 7 languages
    python -m evaluation evaluate --model artifacts/lira-small-trained --dataset artifacts/lira-products \\
        --out artifacts/eval
    # baselines only (no --model), two languages, 50 queries each
    python -m evaluation evaluate --dataset artifacts/lira-products --languages vi th --max-queries 50 \\
        --out artifacts/eval-quick
    # CLDR short-name benchmark
    python -m evaluation cldr-names --model artifacts/lira-small-trained --out artifacts/eval-cldr
    # mteb itself scores the same systems (optional extra `mteb`), beside the evaluator's results.json
    python -m evaluation mteb --model artifacts/lira-small-trained --dataset artifacts/lira-products \\
        --systems lira_lrl finetune --out artifacts/eval-mteb --compare artifacts/eval/results.json
"""

import argparse
import logging

from lira_utils.arguments import count, run_cli
from lira_utils.defaults import LANGUAGES

from .systems import (BASELINE_SYSTEMS, DEFAULT_BACKBONES_DIR, DEFAULT_FINETUNE_DIR, DOC_FIELDS, LIRA_SYSTEMS,
                      SYSTEM_NAMES, build_system)

ALL_LANGUAGES = tuple(LANGUAGES.split(","))


def _common(p):
    p.add_argument("--model", help="saved LiRA folder or Hub id (needed for the lira_* systems)")
    p.add_argument("--revision", help="Hub revision of --model (a 40-hex commit sha pins its remote code; a Hub id "
                                      "without one warns; ignored for a local folder)")
    p.add_argument("--systems", nargs="+", choices=SYSTEM_NAMES, metavar="SYSTEM",
                   help="systems to compare (default: the 3 LiRA modes + the 4 baselines; the baselines "
                        "only without --model)")
    p.add_argument("--out", required=True, help="output folder (results.json, results.md, PNGs, cache/)")
    p.add_argument("--max-queries", type=count(1), help="first N queries per language (and split) only")
    p.add_argument("--batch-size", type=count(1, 65_536), default=64)
    p.add_argument("--doc-field", choices=DOC_FIELDS, default="title",
                   help="document text: English title, or title + English keywords")
    p.add_argument("--backbones", default=DEFAULT_BACKBONES_DIR, help="folder from `python -m lira_utils.backbones`")
    p.add_argument("--english-encoder", help="English encoder folder of minilm_query, translate_test and late_fusion "
                                             "(default: all-MiniLM-L6-v2 in --backbones); pass the LiRA model's h")
    p.add_argument("--finetune", default=DEFAULT_FINETUNE_DIR,
                   help="plain fine-tune folder (python -m training.finetune) for the finetune / late_fusion systems")
    p.add_argument("--st-export", help="sentence-transformers export folder for the st_export / st_onnx / "
                                       "st_onnx_int8 systems (python -m push_scripts.export_onnx adds the ONNX files)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.add_argument("--query-normalizer", help="folder with query_normalizer.json (python -m dataset_builder.normalizer):"
                                              " every system reads the normalized query (same system names)")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="lira-products test splits, per language, every system")
    _common(ev)
    ev.add_argument("--dataset", default="artifacts/lira-products", help="dataset folder or Hub id")
    ev.add_argument("--languages", nargs="+", help="language configs (default: every language of the dataset but its "
                                                   "zero-shot ones, which LiRA reads with the language unknown)")
    ev.add_argument("--splits", "--split", nargs="+", default=["test", "test_noisy"],
                    help="query splits; test + test_noisy adds the clean-to-noisy robustness table")
    ev.add_argument("--index", default="auto", help="'exact', 'auto' or a FAISS string factory such as HNSW32")
    cl = sub.add_parser("cldr-names", help="CLDR short names: query in the language, find the English name")
    _common(cl)
    cl.add_argument("--languages", nargs="+", default=list(ALL_LANGUAGES))
    mt = sub.add_parser("mteb", help="mteb itself scores the systems on lira-products, offline (extra: mteb)")
    _common(mt)
    from .mteb_run import add_arguments as mteb_arguments  # imports no mteb: the subcommand checks it is installed

    mteb_arguments(mt)
    return parser.parse_args(argv)


def _systems(args):
    from .lira_system import check_revision

    check_revision(args.revision, "--revision")
    names = args.systems or list(LIRA_SYSTEMS if args.model else ()) + list(BASELINE_SYSTEMS)
    if args.model is None and any(n in LIRA_SYSTEMS for n in names):
        raise ValueError(f"systems {[n for n in names if n in LIRA_SYSTEMS]} need --model <LiRA folder or hub id>.")
    systems = [build_system(n, model=args.model, backbones_dir=args.backbones, doc_field=args.doc_field,
                            batch_size=args.batch_size, progress=not args.no_progress, finetune_dir=args.finetune,
                            revision=args.revision, english_encoder=args.english_encoder, st_export=args.st_export)
               for n in names]
    if args.query_normalizer:
        from .normalized import NormalizedQuerySystem, load_normalizer

        normalizer, digest = load_normalizer(args.query_normalizer)
        systems = [NormalizedQuerySystem(s, normalizer, digest) for s in systems]
    return systems


def main(argv=None):
    """Entry point; returns the report dict."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from .report import write_report

    if args.command == "mteb":
        from .mteb_run import require_mteb, run_mteb_command

        require_mteb()  # before any model loads: without mteb, say how to install it
        return run_mteb_command(args, _systems(args))
    systems = _systems(args)
    if args.command == "evaluate":
        from lira_utils.dataset import dataset_configs, dataset_zero_shot_languages
        from .evaluator import run_evaluation

        # default: the trained languages; zero-shot ones (test-only, read as unknown by LiRA) when asked by name
        languages = args.languages or [c for c in dataset_configs(args.dataset) if c not in ("corpus", "default")
                                       and c not in dataset_zero_shot_languages(args.dataset)]
        report = run_evaluation(systems, args.dataset, languages, tuple(args.splits), out_dir=args.out,
                                max_queries=args.max_queries, index=args.index, progress=not args.no_progress)
        report["dataset"] = args.dataset
        report["model"] = args.model
        report["revision"] = args.revision
        report["query_normalizer"] = args.query_normalizer
        paths = write_report(report, args.out, title="LiRA evaluation on lira-products")
    else:
        from .cldr_names import run_cldr_names

        report = run_cldr_names(systems, args.languages, out_dir=args.out, max_queries=args.max_queries,
                                progress=not args.no_progress)
        report["model"] = args.model
        report["revision"] = args.revision
        paths = write_report(report, args.out, title="CLDR short-name cross-lingual retrieval",
                             metrics=("recall@1", "mrr@10", "recall@10"))
    stats = report["cache"]
    print(f"cache: computed {stats.get('computed_results', 0)} results / {stats.get('computed_embeddings', 0)} "
          f"embedding sets, reused {stats.get('cached_results', 0)} results")
    print(open(paths["markdown"], encoding="utf-8").read())
    print("wrote " + ", ".join(paths.values()))
    return report


if __name__ == "__main__":
    run_cli(main)
