"""Retrieval validation of an in-memory model during training, through the evaluation package's scorer."""

import numpy as np

from evaluation.evaluator import score_system
from evaluation.lira_system import LiraInMemorySystem


def make_validation(processor, query_rows_by_lang, corpus, modes=("lrl",)):
    """Returns `fn(model) -> dict` with macro-averaged metrics over languages (and per-language nDCG@10).

    The first mode's `ndcg@10` is reported as `ndcg@10` (the model-selection metric).
    """

    def validate(model):
        out = {}
        for i, mode in enumerate(modes):
            system = LiraInMemorySystem(model, processor, mode=mode)
            per_lang = {lang: score_system(system, rows, corpus) for lang, rows in query_rows_by_lang.items()}
            for metric in ("ndcg@10", "recall@10", "mrr@10"):
                value = float(np.mean([m[metric] for m in per_lang.values()]))
                out[metric if i == 0 else f"{mode}_{metric}"] = round(value, 4)
            if i == 0:
                out.update({f"ndcg@10_{lang}": round(m["ndcg@10"], 4) for lang, m in per_lang.items()})
        return out

    return validate
