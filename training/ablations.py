"""The paper's ablations on our data, in one command: full LiRA vs without actor / queues / consistency / language,
plus the paper's DocQueue put back (`with_doc_queue`; our default trains without it).

    python -m training.ablations --stage2-steps 80 --max-queries 150 --out artifacts/ablations

Each variant is trained from the same start (`--model`) with the same seed, data and steps, then evaluated on the
same test queries in LRL-only mode and in the noisy-candidate mode (no in-training validation: every variant is
compared at its last step). "Without actor" trains and evaluates with
candidate 1 only (what a pipeline without Arca's actor would feed). Prints a Markdown table and writes JSON.
"""

import argparse
import dataclasses
import os

import numpy as np

from evaluation.cache import atomic_write_json, atomic_write_text
from evaluation.data import load_corpus, load_queries
from evaluation.evaluator import score_system
from evaluation.lira_system import LiraSystem

from .data import parse_languages
from .train import LiraRunArguments, run_training

# "full" is the default recipe (CorrQueue on, DocQueue off, see `LiraConfig.doc_queue_size`); "with_doc_queue" adds
# the paper's DocQueue of past document embeddings; "no_queues" drops the CorrQueue too
VARIANTS = {
    "full": {},
    "no_actor": {"no_actor": True},
    "with_doc_queue": {"config_overrides": "doc_queue_size=256"},
    "no_queues": {"no_queues": True},
    "no_consistency": {"no_consistency": True},
    "no_language": {"no_language": True},
}


def _first_candidate(rows):
    return [dict(r, candidates=list(r["candidates"])[:1], critic_scores=list(r["critic_scores"])[:1]) for r in rows]


def evaluate_variant(folder, dataset, languages, max_queries, first_candidate_only=False):
    """Macro-averaged nDCG@10 / Recall@10 of a trained folder in `lrl` and `noisy` modes."""
    corpus = load_corpus(dataset)
    out = {}
    for mode in ("lrl", "noisy"):
        system = LiraSystem(folder, mode=mode, progress=False)
        per_lang = {}
        for lang in languages:
            rows = load_queries(dataset, lang, "test", max_queries)
            if first_candidate_only and mode == "noisy":
                rows = _first_candidate(rows)
            per_lang[lang] = score_system(system, rows, corpus)
        for metric in ("ndcg@10", "recall@10"):
            out[f"{mode}_{metric}"] = float(np.mean([m[metric] for m in per_lang.values()]))
        out[f"{mode}_per_language_ndcg@10"] = {lang: m["ndcg@10"] for lang, m in per_lang.items()}
    return out


def markdown(results):
    cols = ["lrl_ndcg@10", "lrl_recall@10", "noisy_ndcg@10", "noisy_recall@10"]
    lines = ["| variant | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, res in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{res[c]:.3f}" for c in cols) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="artifacts/lira-small")
    parser.add_argument("--dataset", default="artifacts/lira-products")
    parser.add_argument("--languages", default="vi,th,id,ms,fil,ur,bn")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--stage1-steps", type=int, default=20)
    parser.add_argument("--stage2-steps", type=int, default=80)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-queries", type=int, default=150, help="test queries per language")
    parser.add_argument("--out", default="artifacts/ablations")
    args = parser.parse_args(argv)
    languages = parse_languages(args.languages)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for name in args.variants:
        folder = os.path.join(args.out, name)
        run = LiraRunArguments(model=args.model, dataset=args.dataset, output_dir=folder,
                               run_dir=os.path.join(args.out, "runs", name), languages=args.languages,
                               stage1_steps=args.stage1_steps, stage2_steps=args.stage2_steps,
                               batch_size=args.batch_size, eval_steps=args.stage2_steps,
                               validate=False, language_probe_per_language=0,  # retrieval is what is compared,
                               english_scale_queries_per_language=0,  # at the end of training, as trained
                               **VARIANTS[name])
        if not os.path.exists(os.path.join(folder, "model.safetensors")):  # a rerun only trains what is missing
            run_training(run)
        results[name] = evaluate_variant(folder, args.dataset, languages, args.max_queries,
                                         first_candidate_only=VARIANTS[name].get("no_actor", False))
        results[name]["args"] = dataclasses.asdict(run)
        table = markdown(results)
        # after every variant, atomically: an interrupted run keeps what it measured and never half a file
        atomic_write_json(os.path.join(args.out, "ablations.json"), results)
        atomic_write_text(os.path.join(args.out, "ablations.md"), table + "\n")
    print(table)


if __name__ == "__main__":
    main()
