"""Chooses the noise-aware training rate on validation, with the cheap plain fine-tune as the probe.

    python -m studies.noise_rate --rates 0,0.25,0.5 --seed 13 --out artifacts/noise_rate

For every rate the `finetune` baseline is trained (same plan, seed and steps; `--train-noise-rate` = the rate) and
scored on the first `--queries-per-language` validation queries of every language twice: as they are, and through
the `test_noisy` noise generators (a selection-only copy made here with its own seed; the validation split itself
is never noised, and training never sees it). The chosen rate maximises the mean of the clean and noisy macro
nDCG@10; LiRA then trains with the same rate (`python -m training --train-noise-rate R`), since a LiRA run per rate
costs ten times more.
"""

import argparse
import os

import numpy as np

from lira_utils.atomic import atomic_write_json
from evaluation.evaluator import score_system
from evaluation.systems import build_system

from lira_utils.dataset import load_corpus_rows, load_query_rows, parse_languages
from training.finetune import LiraFinetuneArguments, run_finetune
from lira_utils.defaults import LANGUAGES, SEED

SELECTION_SEED = 1013  # noise of the selection copy, distinct from the build's test_noisy seed


def noisy_copy(rows, corpus, seed=SELECTION_SEED):
    """Each row with its query rewritten by `QueryNoiser` (`noise` and `clean_query_id` set)."""
    from dataset_builder.noise import QueryNoiser

    vocabulary = [t for p in corpus for t in (p["title_en"], *(p.get("keywords_en") or []))]
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    noisers, out = {}, []
    for row in rows:
        lang = row["language"]
        noisers.setdefault(lang, QueryNoiser(lang, seed, forbidden_words=vocabulary))
        text, noise = noisers[lang](row["query_id"], row["query"], [titles[i] for i in row["relevant_ids"]
                                                                     if i in titles])
        out.append({**row, "query": text, "noise": noise, "clean_query_id": row["query_id"]})
    return out


def score_rate(finetune_dir, rows_by_lang, noisy_by_lang, corpus):
    """Macro and per-language validation nDCG@10 of one fine-tune, clean and noisy."""
    system = build_system("finetune", finetune_dir=finetune_dir, progress=False)
    out = {}
    for view, by_lang in (("clean", rows_by_lang), ("noisy", noisy_by_lang)):
        per_lang = {lang: score_system(system, rows, corpus)["ndcg@10"] for lang, rows in by_lang.items()}
        out[view] = float(np.mean(list(per_lang.values())))
        out[f"{view}_per_language"] = per_lang
    out["mean"] = (out["clean"] + out["noisy"]) / 2
    return out


def choose_rate(args):
    languages = parse_languages(args.languages)
    corpus = load_corpus_rows(args.dataset)
    rows = {lang: load_query_rows(args.dataset, [lang], "validation", args.queries_per_language)
            for lang in languages}
    noisy = {lang: noisy_copy(part, corpus) for lang, part in rows.items()}
    results = {}
    for rate in [float(r) for r in args.rates.split(",")]:
        out_dir = os.path.join(args.out, f"finetune-r{rate:g}")
        if not os.path.exists(os.path.join(out_dir, "config.json")):
            run_finetune(LiraFinetuneArguments(dataset=args.dataset, output_dir=out_dir, seed=args.seed,
                                               run_dir=os.path.join(args.out, "runs", f"r{rate:g}"),
                                               steps=args.steps, train_noise_rate=rate,
                                               late_fusion_queries_per_language=0))
        results[rate] = score_rate(out_dir, rows, noisy, corpus)
        print(f"rate {rate:g}: clean {results[rate]['clean']:.4f} noisy {results[rate]['noisy']:.4f} "
              f"mean {results[rate]['mean']:.4f}", flush=True)
    best = max(results, key=lambda r: results[r]["mean"])
    report = {"chosen_rate": best, "criterion": "max mean of clean and noisy macro validation nDCG@10",
              "seed": args.seed, "steps": args.steps, "queries_per_language": args.queries_per_language,
              "rates": {f"{r:g}": v for r, v in results.items()}}
    atomic_write_json(os.path.join(args.out, "noise_rate.json"), report)
    print("| rate | clean | noisy | mean |\n|---|---|---|---|")
    for r, v in results.items():
        print(f"| {r:g}{' (chosen)' if r == best else ''} | {v['clean']:.4f} | {v['noisy']:.4f} | {v['mean']:.4f} |")
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="artifacts/lira-products")
    parser.add_argument("--rates", default="0,0.25,0.5")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--steps", type=int, default=180)
    parser.add_argument("--languages", default=LANGUAGES)
    parser.add_argument("--queries-per-language", type=int, default=300)
    parser.add_argument("--out", default="artifacts/noise_rate")
    args = parser.parse_args(argv)
    for rate in args.rates.split(","):
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"--rates item {rate!r} must be a number in [0, 1].")
    return choose_rate(args)


if __name__ == "__main__":
    main()
