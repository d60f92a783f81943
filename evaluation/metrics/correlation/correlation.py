"""Pearson and Spearman correlation between predicted similarities and reference scores.

Spearman is Pearson on average ranks (ties share the mean rank), as in ``scipy.stats.spearmanr``.
"""

import datasets
import evaluate
import numpy as np
from scipy import stats

_DESCRIPTION = "Pearson's r and Spearman's rho between predicted similarity scores and reference scores."

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[float]`): predicted similarity per pair (e.g. cosine).
    references (`list[float]`): reference score per pair (e.g. a human or critic rating).
Returns:
    dict with `pearson`, `spearman` (floats in [-1, 1]) and `num_pairs`.
Examples:
    >>> m = evaluate.load("evaluation/metrics/correlation")
    >>> m.compute(predictions=[1, 2, 3], references=[2, 4, 7])["spearman"]
    1.0
"""

_CITATION = "Spearman (1904); Pearson (1895)."


class Correlation(evaluate.Metric):
    """`evaluate` module computing Pearson and Spearman correlation."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("float64"), "references": datasets.Value("float64")}
            ),
        )

    def _compute(self, predictions, references):
        x = np.asarray(predictions, dtype=np.float64)
        y = np.asarray(references, dtype=np.float64)
        if len(x) < 2:
            raise ValueError(f"got {len(x)} pair(s); correlation needs at least 2 pairs.")
        if np.std(x) == 0 or np.std(y) == 0:
            raise ValueError("predictions or references are constant; correlation is undefined. "
                             "Pass inputs that vary.")
        return {
            "pearson": float(stats.pearsonr(x, y)[0]),
            "spearman": float(stats.spearmanr(x, y)[0]),
            "num_pairs": int(len(x)),
        }
