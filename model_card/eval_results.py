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
        "robustness_by_language_noise": {system: [rows]}, "per_query": {system: {lang: {"query_id": [...],
        metric: [...]}}}}`` with non-numeric result entries dropped (`leak_meter`, the robustness rows and
        `per_query`, the per-query scores at ``split``, are empty when the file has none).

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
    split = str(data.get("split", "test"))
    per_query = (data.get("per_query") or {}).get(split) if isinstance(data.get("per_query"), dict) else None
    return {"split": split, "results": clean, "leak_meter": meter,
            "robustness_by_language_noise": by_noise if isinstance(by_noise, dict) else {},
            "per_query": per_query if isinstance(per_query, dict) else {}}


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


# The two ways to run this model, as the card's two tables: the LiRA system of the mode (the first one present) and
# the simple alternatives that need the same inputs, in row order.
MODES = {
    "lrl": (("lira_lrl",), ("finetune", "backbone", "use_m3", "minilm_query")),
    "full": (("lira_noisy", "lira_top", "lira"), ("late_fusion", "translate_test", "translate_test_first")),
}


def mode_system(evaluation, mode):
    """The LiRA system of ``mode`` (``"lrl"`` or ``"full"``) present in the file, or `None`."""
    return next((name for name in MODES[mode][0] if name in evaluation["results"]), None)


def _query_scores(evaluation, system, languages, metric):
    """language -> (query ids, per-query ``metric``) of ``system``, or `None` when the file lacks any of them."""
    out = {}
    for lang in languages:
        found = (evaluation.get("per_query") or {}).get(system, {}).get(lang)
        if not isinstance(found, dict) or metric not in found or "query_id" not in found:
            return None
        out[lang] = (list(found["query_id"]), [float(x) for x in found[metric]])
    return out


def _interval(ci):
    return f"[{ci['low']:+.3f}, {ci['high']:+.3f}]" if ci else "[–]"


def _verdict(per_language, languages):
    """"ahead in ur, bn; behind in vi" from per-language paired intervals that exclude 0 (or "–" without them)."""
    if not per_language:
        return "–"
    ahead = [lang for lang in languages if per_language[lang]["low"] > 0]
    behind = [lang for lang in languages if per_language[lang]["high"] < 0]
    parts = ([f"ahead in {', '.join(ahead)}"] if ahead else []) + ([f"behind in {', '.join(behind)}"] if behind else [])
    return "; ".join(parts) or "tied in every language"


def mode_table(evaluation, system, alternatives, languages, metric="ndcg@10", num_samples=2000, seed=0):
    """Markdown table of one mode: ``system`` (this model) and each alternative present, macro ``metric`` over
    ``languages`` with a 95 % bootstrap interval over queries, and ``system``'s paired delta against each alternative
    with its paired bootstrap 95 % interval (stratified by language, `evaluation.stats.macro_paired_bootstrap`) and
    the languages whose paired interval lies above or below 0.

    Point values are the file's own per-language numbers averaged over languages; intervals come from the file's
    ``per_query`` scores and are ``[–]`` for files written without them. An alternative scored on fewer languages
    is compared on the shared ones, and its row says which.

    Args:
        evaluation (`dict`): output of [`load_eval_json`].
        system (`str`): the LiRA system of the mode (see [`mode_system`]).
        alternatives (`list[str]`): systems to compare it with; those not in the file are left out.
        languages (`list[str]`): languages in card order.
        metric (`str`, *optional*, defaults to ``"ndcg@10"``).
        num_samples (`int`, *optional*), seed (`int`, *optional*): bootstrap settings.

    Returns:
        `str` or `None` (``system`` has no ``metric`` in any of ``languages``).

    Raises:
        `ValueError`: two systems of the file were scored on different queries of a language.
    """
    from evaluation.stats import check_same_queries, macro_bootstrap, macro_paired_bootstrap

    results = evaluation["results"]
    langs = [lang for lang in languages if metric in results.get(system, {}).get(lang, {})]
    if not langs:
        return None
    name = METRIC_NAMES.get(metric, metric)

    def mean(of, shared):
        return sum(results[of][lang][metric] for lang in shared) / len(shared)

    mine = _query_scores(evaluation, system, langs, metric)
    own = macro_bootstrap({lang: s for lang, (_, s) in mine.items()}, num_samples, seed) if mine else None
    lines = [f"| system | {name}, macro [95 % CI] | `{system}` minus system [paired 95 % CI] | per language (paired CI "
             "excludes 0) |",
             "|---|---|---|---|",
             f"| **`{system}` (this model)** | **{mean(system, langs):.3f}** {_interval(own).replace('+', '')} | | |"]
    for alt in alternatives:
        shared = [lang for lang in langs if metric in results.get(alt, {}).get(lang, {})]
        if not shared:
            continue
        theirs = _query_scores(evaluation, alt, shared, metric)
        alone = paired = None
        if mine and theirs:
            for lang in shared:
                check_same_queries(theirs[lang][0], mine[lang][0], what=f"{alt} on {lang}")
            alone = macro_bootstrap({lang: theirs[lang][1] for lang in shared}, num_samples, seed)
            paired = macro_paired_bootstrap({lang: theirs[lang][1] for lang in shared},
                                            {lang: mine[lang][1] for lang in shared}, num_samples, seed)
        label = f"`{alt}`" + ("" if shared == langs else f" ({', '.join(shared)} only)")
        delta = mean(system, shared) - mean(alt, shared)
        lines.append(f"| {label} | {mean(alt, shared):.3f} {_interval(alone).replace('+', '')} | "
                     f"{delta:+.3f} {_interval(paired)} | "
                     f"{_verdict(paired['per_language'] if paired else None, shared)} |")
    return "\n".join(lines)
