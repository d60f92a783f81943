"""LiRA evaluation: local `evaluate` metric modules, baseline and LiRA systems, the products evaluator, the CLDR
short-name benchmark, and report writers. Command line: `python -m evaluation --help`."""

from .evaluator import evaluate_encoder, run_evaluation, score_system
from .metrics_loader import load_metric
from .systems import SYSTEM_NAMES, build_system

__all__ = ["SYSTEM_NAMES", "build_system", "evaluate_encoder", "load_metric", "run_evaluation", "score_system"]
