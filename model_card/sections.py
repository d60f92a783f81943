"""The card's sections as template variables, computed from what [`facts`] and [`eval_results`] read.

Each function returns plain values (or a dict of template kwargs) for one part of the card, in the card's order: the
languages, the sentence-transformers prompts, the evaluation (per-language tables, leak meter, robustness), one table
per mode, the training summary and the limits. `build` renders them into the templates.
"""

import json

from .constants import LIMITS
from .eval_results import (METRIC_NAMES, MODES, SYSTEM_DESCRIPTIONS, load_eval_json, mode_system, mode_table,
                           ordered_metrics, pick_system, results_table, system_legend, to_eval_results)
from .facts import read_st_prompts
from .widget import LANGUAGE_NAMES, LANGUAGES

# Systems whose robustness-per-noise tables the evaluation page shows, in this order when present.
ROBUSTNESS_SYSTEMS = ("lira_lrl", "lira_noisy", "backbone", "finetune", "translate_test", "late_fusion")
MODE_TITLES = {"lrl": "LRL-only mode: the query alone, no translator",
               "full": "Full mode: the query with English candidate translations and critic scores"}
# Training rows the card itself shows in one line (the page has them all), in this order when present.
TRAINING_SUMMARY_KEYS = ("train_queries", "stage1_steps", "stage2_steps", "max_steps", "num_train_epochs", "batch_size",
                         "per_device_train_batch_size", "learning_rate", "lora_r", "seed", "best validation nDCG@10")
POOLING_NAMES = {"mean": "mean", "cls": "CLS", "lasttoken": "last-token"}  # sentence-transformers' modes, in prose


def model_languages(config):
    """Low-resource languages of the model in card order (config.lang2id without English), else the default 7."""
    codes = [c for c in (config.get("lang2id") or {}) if c != "en"]
    return [c for c in LANGUAGES if c in codes] + [c for c in codes if c not in LANGUAGES] or list(LANGUAGES)


def language_list(languages):
    """``"Vietnamese (`vi`), Thai (`th`), ..."`` for the card's prose."""
    return ", ".join(f"{LANGUAGE_NAMES.get(code, code)} (`{code}`)" for code in languages)


def quoted(text):
    """A prefix as a one-line quoted string for the card's prose (an instruction prefix may hold a line break)."""
    return json.dumps(text, ensure_ascii=False)


def prompt_section(st_dir):
    """The export's prompts for the cards: names and texts for queries and documents, the default prompt and the
    pooling mode; the export's defaults when no folder is given."""
    prompts, default, pooling = read_st_prompts(st_dir)
    query = "query" if "query" in prompts else None
    doc = next((n for n in ("document", "passage", "corpus") if n in prompts), None)
    return {"st_query_prompt": query, "st_doc_prompt": doc, "st_prompts": sorted(prompts),
            "st_query_text": quoted(prompts.get(query, "")), "st_doc_text": quoted(prompts.get(doc, "")),
            "st_default_prompt": default if default in prompts else None, "st_pooling": pooling,
            "st_pooling_name": POOLING_NAMES.get(pooling or "mean", pooling)}


def evaluation_section(eval_json, eval_system, dataset_id, dataset_name, languages, strict_system=True):
    """Template kwargs, model-index entries and the loaded file for an evaluation file (or the 'not evaluated yet'
    state: ``({"has_eval": False}, None, None)``)."""
    if eval_json is None:
        return {"has_eval": False}, None, None
    evaluation = load_eval_json(eval_json)
    if eval_system is None and not strict_system:
        return {"has_eval": False}, None, None
    system = pick_system(evaluation, eval_system)
    columns = [lang for lang in languages if any(lang in per_lang for per_lang in evaluation["results"].values())]
    tables = [(METRIC_NAMES.get(m, m), results_table(evaluation, columns, m)) for m in ordered_metrics(evaluation)]
    kwargs = {"has_eval": True, "eval_split": evaluation["split"], "eval_system": system, "eval_tables": tables,
              "eval_legend": system_legend(evaluation)}
    if evaluation.get("leak_meter"):
        from evaluation.leak import leak_table

        kwargs["leak_table"] = leak_table(evaluation["leak_meter"])
    by_noise = evaluation.get("robustness_by_language_noise") or {}
    if by_noise:
        from evaluation.report import noise_language_table

        shown = [name for name in ROBUSTNESS_SYSTEMS if name in by_noise]
        kwargs["robustness_tables"] = [noise_language_table(name, by_noise[name]) for name in shown]
    return kwargs, to_eval_results(evaluation, system, dataset_id, dataset_name, languages) or None, evaluation


def mode_section(evaluation, languages, metric="ndcg@10"):
    """The card's evaluation: one table per mode (LRL-only, full) with paired intervals, and the legend of the
    systems they show."""
    tables, shown = [], []
    for mode, (_, alternatives) in MODES.items():
        system = mode_system(evaluation, mode)
        table = mode_table(evaluation, system, alternatives, languages, metric) if system else None
        if table:
            tables.append((f"{MODE_TITLES[mode]} (`{system}`)", table))
            shown += [system] + [a for a in alternatives if a in evaluation["results"]]
    first = evaluation["results"].get(shown[0], {}) if shown else {}
    langs = [lang for lang in languages if metric in first.get(lang, {})]
    per_query = (evaluation.get("per_query") or {}).get(shown[0], {}) if shown else {}
    counts = [len(per_query[lang].get("query_id", [])) for lang in langs if isinstance(per_query.get(lang), dict)]
    queries = None
    if counts and len(counts) == len(langs):
        queries = (f"{counts[0]:,} queries per language" if len(set(counts)) == 1
                   else f"{sum(counts):,} queries, {min(counts):,} to {max(counts):,} per language")
    return {"mode_tables": tables, "mode_metric": METRIC_NAMES.get(metric, metric), "mode_languages": langs,
            "mode_queries": queries,
            "mode_legend": [(s, SYSTEM_DESCRIPTIONS[s]) for s in shown if s in SYSTEM_DESCRIPTIONS]}


def training_summary(rows):
    """One line of the key training facts (``train_queries`` 700, ``seed`` 13, ...) for the card."""
    values = dict(rows)
    keys = [k for k in TRAINING_SUMMARY_KEYS if k in values] or [k for k, _ in rows[:6]]
    return ", ".join(f"`{k}` {values[k]}" for k in keys)


def limits(dataset_id, critic):
    """The card's limits (`constants.LIMITS`) with the dataset id and the critic's sentence filled in."""
    return [limit.format(dataset_id=dataset_id, critic=critic) for limit in LIMITS]
