"""Chooses the `late_fusion` baseline's weight w on the validation split and saves it beside the fine-tune.

    python -m training.late_fusion --finetune artifacts/finetune --dataset artifacts/lira-products

score = cos_ft(query, title) + w x cos_en(critic's top candidate, title) (`evaluation.fusion`). The halves are encoded
once and every w of the grid is scored exactly; the w with the best macro validation nDCG@10 (noisy candidates, the
reference-free critic of the dataset) is written to `<finetune>/late_fusion.json`, where the evaluator reads it.
`run_finetune` calls this after training.
"""

import argparse
import json
import os

import numpy as np

from lira_utils.atomic import atomic_write_json
from evaluation.fusion import LateFusionSystem, late_fusion_file, score_fusion_grid
from evaluation.inputs import query_inputs

from lira_utils.dataset import load_corpus_rows, load_query_rows, parse_languages
from lira_utils.defaults import LANGUAGES

DEFAULT_GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


def calibrate_late_fusion(finetune_dir, english_dir, dataset, languages, queries_per_language=200,
                          grid=DEFAULT_GRID, progress=False):
    """Picks w on validation and writes `late_fusion.json` into `finetune_dir` (atomically).

    Args:
        finetune_dir (`str`): the plain fine-tune folder.
        english_dir (`str`): the English encoder folder (all-MiniLM-L6-v2).
        dataset (`str`): the `lira-products` folder.
        languages (`list[str]`): validation languages.
        queries_per_language (`int`, *optional*, defaults to 200): first N validation queries per language.
        grid (`tuple[float]`, *optional*): candidate weights w >= 0.
        progress (`bool`, *optional*, defaults to `False`): tqdm bars while encoding.

    Returns:
        `dict`: `weight` (chosen), `macro_ndcg@10` (w -> value), `per_language_ndcg@10` of the chosen w,
        `queries_per_language`.
    """
    grid = [float(w) for w in grid]
    if not grid or any(not np.isfinite(w) or w < 0 for w in grid):
        raise ValueError(f"late-fusion grid {grid!r} must hold finite numbers >= 0, e.g. 0,0.5,1,2,4.")
    if queries_per_language < 1:
        raise ValueError(f"queries_per_language={queries_per_language} must be >= 1.")
    system = LateFusionSystem(finetune_dir, english_dir, weight=0.0, progress=progress)
    corpus = load_corpus_rows(dataset)
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    rows = {lang: load_query_rows(dataset, [lang], "validation", queries_per_language) for lang in languages}
    queries = {}
    for lang, part in rows.items():
        inputs = query_inputs(part, "noisy", titles)
        queries[lang] = system.query_halves(inputs["texts"], inputs["candidates"], inputs["critic_scores"])
    doc_ft, doc_en = system.document_halves(corpus)
    by_scale = score_fusion_grid(doc_ft, doc_en, queries, rows, [p["product_id"] for p in corpus],
                                 [np.sqrt(w) for w in grid])
    per_w = dict(zip(grid, by_scale.values()))
    macro = {w: float(np.mean(list(v.values()))) for w, v in per_w.items()}
    best = max(grid, key=lambda w: (round(macro[w], 6), -w))  # ties: the smaller weight
    result = {"weight": best, "macro_ndcg@10": macro, "per_language_ndcg@10": per_w[best],
              "queries_per_language": queries_per_language, "english_encoder": os.path.basename(english_dir)}
    atomic_write_json(os.path.join(finetune_dir, late_fusion_file(english_dir)), result)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--finetune", default="artifacts/finetune", help="plain fine-tune folder")
    parser.add_argument("--english-encoder", default="artifacts/backbones/all-MiniLM-L6-v2")
    parser.add_argument("--dataset", default="artifacts/lira-products")
    parser.add_argument("--languages", default=LANGUAGES)
    parser.add_argument("--queries-per-language", type=int, default=200)
    args = parser.parse_args(argv)
    result = calibrate_late_fusion(args.finetune, args.english_encoder, args.dataset, parse_languages(args.languages),
                                   args.queries_per_language, progress=True)
    print(json.dumps({"weight": result["weight"], "macro_ndcg@10": result["macro_ndcg@10"]}, indent=1))


if __name__ == "__main__":
    main()
