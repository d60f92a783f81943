"""The paper's ablations on our data, in one command: full LiRA vs without actor / queues / consistency / language,
plus what our default leaves out put back: the paper's DocQueue (`with_doc_queue`), LaSR's residual in LRL-only
mode (`with_lrl_residual`) and the English-teacher score distillation (`with_distillation`).

    python -m studies.ablations --stage2-steps 80 --max-queries 150 --out artifacts/ablations
    python -m studies.ablations --seeds 13 14 15 --out artifacts/ablations  # mean over 3 training seeds

Each variant is trained from the same start (`--model`) with the same seed, data and steps, then evaluated on the
same test queries in LRL-only mode and in the noisy-candidate mode (no in-training validation: every variant is
compared at its last step). "Without actor" trains and evaluates with
candidate 1 only (what a pipeline without Arca's actor would feed). With `--seeds`, each variant is trained once
per seed (`<out>/<variant>-s<seed>`) and every number is the mean over the seeds. Prints a Markdown table and writes
JSON (with the per-query nDCG@10 of each variant, averaged over the seeds); when `full` is among the variants the
table also gives each variant's change in LRL-only and noisy nDCG@10 against `full`, with a paired bootstrap 95 %
interval stratified by language (`evaluation.stats.macro_paired_bootstrap`).
"""

import argparse
import dataclasses
import os

import numpy as np

from lira_utils.atomic import atomic_write_json, atomic_write_text
from lira_utils.dataset import load_corpus, load_queries
from evaluation.evaluator import score_system
from evaluation.lira_system import LiraSystem
from evaluation.stats import check_same_queries, macro_paired_bootstrap, mean_over_seeds

from lira_utils.dataset import parse_languages
from training.train import LiraAblation, LiraRunArguments, run_training
from lira_utils.defaults import BATCH_SIZE, LANGUAGES, STAGE1_STEPS, STAGE2_STEPS

# "full" is the default recipe (CorrQueue on, DocQueue off, see `LiraConfig.doc_queue_size`); "with_doc_queue" adds
# the paper's DocQueue of past document embeddings; "no_queues" drops the CorrQueue too
VARIANTS = {
    "full": {},
    "no_actor": {"ablation": LiraAblation(no_actor=True)},
    "with_doc_queue": {"config_overrides": "doc_queue_size=256"},
    "no_queues": {"ablation": LiraAblation(no_queues=True)},
    "no_consistency": {"ablation": LiraAblation(no_consistency=True)},
    "no_language": {"ablation": LiraAblation(no_language=True)},
    "with_distillation": {"config_overrides": "distillation_weight=1"},
    "with_lrl_residual": {"config_overrides": "lrl_residual=true"},
}
MODES = ("lrl", "noisy")
BASELINE_ROW = "simple_baselines"  # finetune in the lrl columns, late_fusion in the noisy ones
COLUMNS = ["lrl_ndcg@10", "lrl_recall@10", "noisy_ndcg@10", "noisy_recall@10"]


def _first_candidate(rows):
    return [dict(r, candidates=list(r["candidates"])[:1], critic_scores=list(r["critic_scores"])[:1]) for r in rows]


def evaluate_variant(folder, dataset, languages, max_queries, first_candidate_only=False, systems=None):
    """Macro-averaged nDCG@10 / Recall@10 of a trained folder in `lrl` and `noisy` modes, with per-language
    nDCG@10 and per-query nDCG@10 (`<mode>_per_query`: language -> {`query_id`, `ndcg@10`}).

    `systems` (mode -> evaluation system) replaces the LiRA folder's two modes, e.g. the simple baselines."""
    corpus = load_corpus(dataset)
    out = {}
    for mode in MODES:
        system = systems[mode] if systems else LiraSystem(folder, mode=mode, progress=False)
        per_lang = {}
        for lang in languages:
            rows = load_queries(dataset, lang, "test", max_queries)
            if first_candidate_only and mode == "noisy":
                rows = _first_candidate(rows)
            per_lang[lang] = score_system(system, rows, corpus)
        for metric in ("ndcg@10", "recall@10"):
            out[f"{mode}_{metric}"] = float(np.mean([m[metric] for m in per_lang.values()]))
        out[f"{mode}_per_language_ndcg@10"] = {lang: m["ndcg@10"] for lang, m in per_lang.items()}
        out[f"{mode}_per_query"] = {lang: {"query_id": list(m["per_query"]["query_id"]),
                                           "ndcg@10": list(m["per_query"]["ndcg@10"])} for lang, m in per_lang.items()}
    return out


def mean_over_seed_runs(per_seed):
    """One variant's results over seeds: every number and per-language nDCG@10 averaged, per-query nDCG@10 averaged
    query by query (`evaluation.stats.mean_over_seeds`).

    Args:
        per_seed (`dict[int, dict]`): seed -> `evaluate_variant` output.

    Returns:
        `dict`: the `evaluate_variant` keys, averaged, plus `seeds` and `per_seed` (seed -> the four macro numbers).
    """
    runs = list(per_seed.values())
    out = {c: float(np.mean([r[c] for r in runs])) for c in COLUMNS}
    for mode in MODES:
        key = f"{mode}_per_language_ndcg@10"
        out[key] = {lang: float(np.mean([r[key][lang] for r in runs])) for lang in runs[0][key]}
        key = f"{mode}_per_query"
        out[key] = {lang: mean_over_seeds([r[key][lang] for r in runs]) for lang in runs[0][key]}
    out["seeds"] = list(per_seed)
    out["per_seed"] = {str(seed): {c: r[c] for c in COLUMNS} for seed, r in per_seed.items()}
    return out


def delta_vs_full(results, name, mode, num_samples=2000, seed=0):
    """Change of `name`'s macro nDCG@10 in `mode` against the `full` variant, with a stratified paired bootstrap
    interval (`{delta, low, high, per_language}`), or None when either lacks per-query scores."""
    key = f"{mode}_per_query"
    full, other = results["full"].get(key), results[name].get(key)
    if not full or not other:
        return None
    for lang, pq in other.items():
        check_same_queries(pq["query_id"], full.get(lang, {}).get("query_id", []), what=f"variant {name} on {lang}")
    return macro_paired_bootstrap({lang: pq["ndcg@10"] for lang, pq in full.items()},
                                  {lang: pq["ndcg@10"] for lang, pq in other.items()}, num_samples, seed)


def _delta_cell(results, name, mode):
    if name == "full":
        return "(reference)"
    interval = delta_vs_full(results, name, mode)
    if interval is None:
        return f"{results[name][f'{mode}_ndcg@10'] - results['full'][f'{mode}_ndcg@10']:+.3f} [-]"
    return f"{interval['delta']:+.3f} [{interval['low']:+.3f}, {interval['high']:+.3f}]"


def markdown(results):
    """Markdown table: one row per variant, macro numbers (mean over seeds), and when `full` is present the change
    of LRL-only and noisy nDCG@10 against it with a 95 % paired bootstrap interval."""
    num_seeds = max(len(res.get("seeds", [None])) for res in results.values())
    first = "variant" if num_seeds == 1 else f"variant (mean of {num_seeds} seeds)"
    deltas = [f"{mode} nDCG@10 vs full (delta [95% CI])" for mode in MODES] if "full" in results else []
    lines = [f"| {first} | " + " | ".join(COLUMNS + deltas) + " |", "|---|" + "---|" * len(COLUMNS + deltas)]
    for name, res in results.items():
        cells = [f"{res[c]:.3f}" for c in COLUMNS] + [_delta_cell(results, name, mode) for mode in MODES if deltas]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="artifacts/lira-small")
    parser.add_argument("--dataset", default="artifacts/lira-products")
    parser.add_argument("--languages", default=LANGUAGES)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--stage1-steps", type=int, default=STAGE1_STEPS)
    parser.add_argument("--stage2-steps", type=int, default=STAGE2_STEPS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--max-queries", type=int, default=150, help="test queries per language")
    parser.add_argument("--seeds", type=int, nargs="+", default=[13],
                        help="training seeds; each variant is trained once per seed and the table shows the mean")
    parser.add_argument("--out", default="artifacts/ablations")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the `simple_baselines` row (plain fine-tune in LRL-only mode, late fusion with "
                             "candidates), trained per seed on the same data and number of pairs")
    parser.add_argument("--backbones", default="artifacts/backbones")
    args = parser.parse_args(argv)
    languages = parse_languages(args.languages)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for name in args.variants:
        per_seed, runs = {}, []
        for seed in args.seeds:
            folder = os.path.join(args.out, f"{name}-s{seed}")
            run = LiraRunArguments(model=args.model, dataset=args.dataset, output_dir=folder,
                                   run_dir=os.path.join(args.out, "runs", f"{name}-s{seed}"),
                                   languages=args.languages, stage1_steps=args.stage1_steps,
                                   stage2_steps=args.stage2_steps, batch_size=args.batch_size,
                                   eval_steps=args.stage2_steps, seed=seed,
                                   validate=False, language_probe_per_language=0,  # retrieval is what is compared,
                                   english_scale_queries_per_language=0,  # at the end of training, as trained
                                   **{k: v for k, v in VARIANTS[name].items() if k != "ablation"})
            ablation = VARIANTS[name].get("ablation", LiraAblation())
            if not os.path.exists(os.path.join(folder, "model.safetensors")):  # a rerun only trains what is missing
                run_training(run, ablation)
            per_seed[seed] = evaluate_variant(folder, args.dataset, languages, args.max_queries,
                                              first_candidate_only=ablation.no_actor)
            runs.append(run)
        results[name] = mean_over_seed_runs(per_seed)
        results[name]["args"] = {**dataclasses.asdict(runs[0]), **dataclasses.asdict(ablation)}  # first seed's
        _write(results, args.out)
    if not args.no_baseline:
        results[BASELINE_ROW] = mean_over_seed_runs({seed: evaluate_baselines(args, seed, languages)
                                                     for seed in args.seeds})
        _write(results, args.out)
    print(markdown(results))


def evaluate_baselines(args, seed, languages):
    """Trains (if missing) the plain fine-tune with LiRA's budget and seed, then scores `finetune` (LRL-only) and
    `late_fusion` (candidates) like a variant."""
    from evaluation.systems import build_system

    from training.finetune import LiraFinetuneArguments, run_finetune

    folder = os.path.join(args.out, f"finetune-s{seed}")
    if not os.path.exists(os.path.join(folder, "late_fusion.json")):
        run_finetune(LiraFinetuneArguments(
            model=os.path.join(args.backbones, "multilingual-e5-small"), dataset=args.dataset, output_dir=folder,
            run_dir=os.path.join(args.out, "runs", f"finetune-s{seed}"), languages=args.languages, seed=seed,
            steps=args.stage1_steps + args.stage2_steps, batch_size=args.batch_size,
            english_encoder=os.path.join(args.backbones, "all-MiniLM-L6-v2")))
    systems = {"lrl": build_system("finetune", backbones_dir=args.backbones, finetune_dir=folder, progress=False),
               "noisy": build_system("late_fusion", backbones_dir=args.backbones, finetune_dir=folder,
                                     progress=False)}
    return evaluate_variant(folder, args.dataset, languages, args.max_queries, systems=systems)


def _write(results, out):
    """After every variant, atomically: an interrupted run keeps what it measured and never half a file."""
    atomic_write_json(os.path.join(out, "ablations.json"), results)
    atomic_write_text(os.path.join(out, "ablations.md"), markdown(results) + "\n")


if __name__ == "__main__":
    main()
