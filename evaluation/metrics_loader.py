"""Loads LiRA's local ``evaluate`` metric modules by path, so nothing is fetched from the Hub.

``evaluate.load("accuracy")`` resolves a Hub Space at run time and fails offline; the modules kept in
``evaluation/metrics/<name>/<name>.py`` load from disk with ``evaluate.load(<absolute path>)``.
"""

import functools
import os

METRICS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics")
METRIC_NAMES = ("retrieval", "accuracy")


def metric_path(name):
    """Absolute path of the module script of metric `name`.

    Args:
        name (`str`): `retrieval` or `accuracy`.

    Returns:
        `str`: path to `evaluation/metrics/<name>/<name>.py`.
    """
    if name not in METRIC_NAMES:
        raise ValueError(f"unknown metric {name!r}; choose one of {list(METRIC_NAMES)}.")
    return os.path.join(METRICS_DIR, name, f"{name}.py")


@functools.lru_cache(maxsize=None)
def load_metric(name):
    """Loads a local metric module with `evaluate.load` (offline, no Hub access).

    Args:
        name (`str`): `retrieval` or `accuracy`.

    Returns:
        `evaluate.EvaluationModule`: call `.compute(predictions=..., references=..., **kwargs)`.
    """
    import evaluate

    return evaluate.load(metric_path(name))
