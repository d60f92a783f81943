"""Accuracy for classification, e.g. language identification (predicted vs gold language code)."""

import datasets
import evaluate

_DESCRIPTION = "Share of predictions equal to the reference label; labels are strings (e.g. language codes)."

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): predicted labels.
    references (`list[str]`): gold labels.
Returns:
    dict with `accuracy` (float in [0, 1]) and `num_examples`.
Examples:
    >>> m = evaluate.load("evaluation/metrics/accuracy")
    >>> m.compute(predictions=["vi", "th"], references=["vi", "id"])["accuracy"]
    0.5
"""

_CITATION = ""


class Accuracy(evaluate.Metric):
    """`evaluate` module computing accuracy over string labels."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        if not references:
            raise ValueError("no examples to score: pass at least one prediction/reference pair.")
        correct = sum(1 for p, r in zip(predictions, references) if p == r)
        return {"accuracy": correct / len(references), "num_examples": len(references)}
