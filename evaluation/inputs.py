"""What the evaluator feeds a system: the requested languages checked against the dataset and the model, and the
`encode_queries` arguments of each candidate mode. Rows come from `lira_utils.dataset`.
"""

from lira_utils.dataset import dataset_configs, dataset_zero_shot_languages


def check_languages(dataset, languages, model_languages=None):
    """Raises `ValueError` unless every requested language is a dataset config and (if given) a model language,
    or a language the dataset marks as zero-shot (`dataset_zero_shot_languages`): a model evaluates those with
    the language unknown.

    Args:
        dataset (`str`): dataset folder or Hub id.
        languages (`list[str]`): requested language codes.
        model_languages (`list[str]`, *optional*): languages of the model (`config.lang2id`).

    Returns:
        `list[str]`: the requested zero-shot languages the model does not know (empty without `model_languages`);
        pass them to the system's `allow_unknown_languages`.
    """
    if not languages:
        raise ValueError("no languages requested; pass e.g. --languages vi th id ms fil ur bn.")
    configs = dataset_configs(dataset)
    missing = [lang for lang in languages if lang not in configs]
    if missing:
        have = [c for c in configs if c not in ("corpus", "default")]
        raise ValueError(f"dataset {dataset!r} has no config for {missing}; it has {have}. "
                         f"Request only those languages (--languages {' '.join(have)}) or rebuild the dataset.")
    if model_languages is None:
        return []
    zero_shot = dataset_zero_shot_languages(dataset)
    unknown = [lang for lang in languages if lang not in model_languages and lang not in zero_shot]
    if unknown:
        known = " ".join(lang for lang in languages if lang in model_languages or lang in zero_shot) or "<none>"
        shot = f" or one of its zero-shot languages {list(zero_shot)}" if zero_shot else ""
        raise ValueError(f"the model knows languages {list(model_languages)} but {unknown} were requested "
                         f"from dataset {dataset!r}: the model and the dataset do not match. Request only "
                         f"languages the model knows{shot} (--languages {known}) or evaluate a model trained with "
                         "those languages in config.lang2id.")
    return [lang for lang in languages if lang not in model_languages]


def query_inputs(rows, candidate_mode, titles_by_id):
    """The arguments of `encode_queries` for `rows` under a system's candidate mode.

    Args:
        rows (`list[dict]`): query rows.
        candidate_mode (`str`): `"none"`, `"noisy"` (the rows' candidates and critic scores) or `"oracle"`
            (the English title of the highest-graded relevant product, first on ties).
        titles_by_id (`dict[str, str]`): product id -> English title.

    Returns:
        `dict` with `texts`, `languages`, `candidates`, `critic_scores`.
    """
    texts = [r["query"] for r in rows]
    languages = [r["language"] for r in rows]
    if candidate_mode == "none":
        return {"texts": texts, "languages": languages, "candidates": None, "critic_scores": None}
    if candidate_mode == "noisy":
        cands = [list(r["candidates"] or []) for r in rows]
        scores = [[list(map(float, s)) for s in (r["critic_scores"] or [])] for r in rows]
        return {"texts": texts, "languages": languages, "candidates": cands, "critic_scores": scores}
    if candidate_mode == "oracle":
        cands = []
        for r in rows:
            best = max(range(len(r["relevant_ids"])), key=lambda i: (r["relevance"][i], -i))
            cands.append([titles_by_id[r["relevant_ids"][best]]])
        return {"texts": texts, "languages": languages, "candidates": cands, "critic_scores": None}
    raise ValueError(f"candidate_mode {candidate_mode!r} is not one of ['none', 'noisy', 'oracle'].")
