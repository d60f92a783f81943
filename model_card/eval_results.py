"""Reads the evaluation JSON written by ``evaluation/`` and turns it into card tables and model-index entries.

Shape read (``evaluation.evaluator.run_evaluation``; extra keys such as ``splits``, ``robustness`` are ignored)::

    {"split": "test",
     "results": {"<system>": {"<lang>": {"ndcg@10": 0.41, "recall@10": 0.63, "mrr@10": 0.37, ...}}}}

Only numbers that are in the file reach the card: nothing is averaged, rounded into new claims or filled in.
"""

import json
import math
import re

# What each system name of evaluation/ means (shown under the results table for the names present).
SYSTEM_DESCRIPTIONS = {
    "lira_noisy": "this model, full mode: queries carry the dataset's noisy English candidates and critic scores",
    "lira_lrl": "this model, low-resource-language path only (no candidates)",
    "lira_oracle": "this model with the relevant product's English title as the only candidate (upper bound)",
    "backbone": "untrained multilingual-e5-small (query:/passage: prefixes, mean pooling)",
    "use_m3": "Google USE-multilingual-v3",
    "minilm_query": "all-MiniLM-L6-v2 on the raw low-resource query",
    "translate_test": "all-MiniLM-L6-v2 on the candidate with the best critic semantic score",
    "translate_test_first": "all-MiniLM-L6-v2 on candidate 1 (a translator's own first output, no critic)",
    "finetune": "plain InfoNCE fine-tune of multilingual-e5-small on the same train split and number of "
                "(query, product) pairs (`python -m training.finetune`)",
    "late_fusion": "fine-tune score + w x all-MiniLM-L6-v2 score of the critic's top candidate, w chosen on "
                   "validation (`training/late_fusion.py`)",
}
# Which system is "this model" when the caller does not say: the realistic full mode first.
SYSTEM_PREFERENCE = ("lira_noisy", "lira", "lira_lrl")

# Numeric bookkeeping fields that are not metrics.
NOT_METRICS = {"seconds", "time", "queries"}

# Order and display names of the metrics the card shows first; other numeric metrics follow alphabetically.
METRIC_NAMES = {
    "ndcg@10": "nDCG@10", "recall@10": "Recall@10", "mrr@10": "MRR@10", "recall@100": "Recall@100",
    "map@10": "MAP@10", "precision@10": "P@10", "accuracy": "Accuracy",
}


def metric_type(name):
    """Hub metric id for a metric key, e.g. ``"ndcg@10"`` -> ``"ndcg_at_10"`` (the MTEB model-index spelling)."""
    return re.sub(r"[^0-9a-z_]+", "_", name.lower().replace("@", "_at_")).strip("_")


def load_eval_json(path):
    """Loads and checks an evaluation JSON file.

    Args:
        path (`str`): path of ``results.json`` written by ``evaluation/``.

    Returns:
        `dict`: ``{"split": str, "results": {system: {lang: {metric: float}}}, "leak_meter": {lang: {...}},
        "robustness_by_language_noise": {system: [rows]}}`` with non-numeric result entries dropped (`leak_meter`
        and the robustness rows are empty when the file has none).

    Raises:
        `ValueError`: when the file does not have a ``results`` mapping of systems to languages to metrics.
    """
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict) or not results:
        raise ValueError(
            f"{path} has no 'results' mapping (got keys {sorted(data) if isinstance(data, dict) else type(data)}); "
            "expected {'split': 'test', 'results': {system: {lang: {'ndcg@10': float, ...}}}} as written by "
            "evaluation/."
        )
    clean = {}
    for system, per_lang in results.items():
        if not isinstance(per_lang, dict):
            raise ValueError(f"{path}: results[{system!r}] must map languages to metrics, got {per_lang!r}.")
        clean[system] = {}
        for lang, metrics in per_lang.items():
            if not isinstance(metrics, dict):
                continue
            numbers = {k: float(v) for k, v in metrics.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))
                       and not k.startswith("num_") and k not in NOT_METRICS}
            if numbers:
                clean[system][lang] = numbers
    meter = data.get("leak_meter") if isinstance(data.get("leak_meter"), dict) else {}
    by_noise = data.get("robustness_by_language_noise")
    return {"split": str(data.get("split", "test")), "results": clean, "leak_meter": meter,
            "robustness_by_language_noise": by_noise if isinstance(by_noise, dict) else {}}


def pick_system(evaluation, system=None):
    """Name of the system that is this model: ``system`` if given, else the only one, else the first of
    ``lira_noisy``, ``lira``, ``lira_lrl`` present.

    Raises:
        `ValueError`: when ``system`` is not in the file or the choice is ambiguous.
    """
    systems = list(evaluation["results"])
    if system is not None:
        if system not in evaluation["results"]:
            raise ValueError(f"eval system {system!r} is not in the evaluation file; choose one of {systems}.")
        return system
    if len(systems) == 1:
        return systems[0]
    for name in SYSTEM_PREFERENCE:
        if name in evaluation["results"]:
            return name
    raise ValueError(f"cannot tell which of {systems} is this model; pass eval_system=<one of them>.")


def ordered_metrics(evaluation):
    """Metric keys present in the file, known ones first (nDCG@10, Recall@10, MRR@10, ...)."""
    present = {m for per_lang in evaluation["results"].values() for ms in per_lang.values() for m in ms}
    known = [m for m in METRIC_NAMES if m in present]
    return known + sorted(present - set(known))


def results_table(evaluation, languages, metric):
    """Markdown rows ``| system | vi | th | ... |`` for one metric; missing cells are shown as ``–``."""
    header = "| System | " + " | ".join(languages) + " |"
    rule = "|---|" + "---:|" * len(languages)
    rows = [header, rule]
    for system, per_lang in evaluation["results"].items():
        cells = [f"{per_lang[lang][metric]:.4f}" if metric in per_lang.get(lang, {}) else "–" for lang in languages]
        rows.append(f"| {system} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def to_eval_results(evaluation, system, dataset_id, dataset_name, languages):
    """``huggingface_hub.EvalResult`` list (model-index) for one system: one entry per language and metric.

    Args:
        evaluation (`dict`): output of [`load_eval_json`].
        system (`str`): the system that is this model (see [`pick_system`]).
        dataset_id (`str`): Hub id of the evaluation dataset, e.g. ``"org/lira-products"``.
        dataset_name (`str`): pretty name of the dataset.
        languages (`list[str]`): languages to report, in card order.
    """
    from huggingface_hub import EvalResult

    out = []
    for lang in languages:
        metrics = evaluation["results"][system].get(lang, {})
        for metric in ordered_metrics(evaluation):
            if metric not in metrics:
                continue
            out.append(EvalResult(
                task_type="text-retrieval", task_name="Product retrieval",
                dataset_type=dataset_id, dataset_name=f"{dataset_name} ({lang})", dataset_config=lang,
                dataset_split=evaluation["split"], metric_type=metric_type(metric),
                metric_name=METRIC_NAMES.get(metric, metric), metric_value=round(metrics[metric], 4),
            ))
    return out


def system_legend(evaluation):
    """``[(system, description)]`` for the systems of the file that evaluation/ documents."""
    return [(s, SYSTEM_DESCRIPTIONS[s]) for s in evaluation["results"] if s in SYSTEM_DESCRIPTIONS]
