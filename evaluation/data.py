"""Loading the `lira-products` dataset for evaluation: query splits per language, the corpus, and checks.

The dataset is loaded with `datasets.load_dataset(folder_or_id, <config>)`: one config per language (splits
`train`, `validation`, `test`, `test_noisy`) and `corpus` (split `corpus`); see `docs/interfaces.md`.
"""

import functools
import hashlib
import os

EVAL_SPLITS = ("test", "test_noisy", "validation", "train")


def folder_stamp(dataset):
    """Cheap fingerprint of a local dataset folder (relative path, size and mtime of every file); `""` for a Hub id.

    `datasets` names the Arrow cache of a README-declared config after the folder and config only, not the data
    files, so a folder rebuilt in place (or another folder with the same name) would silently load the old rows.
    Loading with `cache_dir=<HF cache>/lira_eval/<stamp>` keys the cache by this fingerprint instead.
    """
    if not os.path.isdir(dataset):
        return ""
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(dataset)):
        for name in sorted(files):
            path = os.path.join(root, name)
            st = os.stat(path)
            h.update(f"{os.path.relpath(path, dataset)}|{st.st_size}|{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def load_split(dataset, config, split):
    """`datasets.load_dataset` with the Arrow cache keyed by `folder_stamp` (shared by training and evaluation)."""
    import datasets

    stamp = folder_stamp(dataset)
    cache_dir = os.path.join(datasets.config.HF_DATASETS_CACHE, "lira_eval", stamp) if stamp else None
    return datasets.load_dataset(dataset, config, split=split, cache_dir=cache_dir)


def dataset_configs(dataset):
    """Config names of a dataset folder or Hub id (read from its README YAML, offline)."""
    return _dataset_configs(dataset, folder_stamp(dataset))


@functools.lru_cache(maxsize=8)
def _dataset_configs(dataset, stamp):
    import datasets

    try:
        return tuple(datasets.get_dataset_config_names(dataset))
    except Exception as err:
        raise ValueError(f"cannot read dataset {dataset!r} ({err}); build it first with "
                         "`python -m dataset_builder --out artifacts/lira-products` or pass its folder.") from err


def dataset_zero_shot_languages(dataset):
    """Languages the dataset marks as zero-shot (test-only, never trained; `--zero-shot-languages` of the build).

    Read from `zero_shot_languages` in the folder's `lira_build.json`, else in the card's YAML (`README.md` of the
    folder or of the Hub id, from the local HF cache when offline).

    Returns:
        `tuple[str, ...]`: empty for a dataset without them (or a card that cannot be read).
    """
    return _dataset_zero_shot_languages(dataset, folder_stamp(dataset))


@functools.lru_cache(maxsize=8)
def _dataset_zero_shot_languages(dataset, stamp):
    import json

    from huggingface_hub.repocard import metadata_load

    marker = os.path.join(dataset, "lira_build.json")
    if os.path.isfile(marker):
        with open(marker, encoding="utf-8") as f:
            found = json.load(f).get("zero_shot_languages")
        if found is not None:
            return tuple(found)
    readme = os.path.join(dataset, "README.md")
    try:
        if not os.path.isdir(dataset):
            from huggingface_hub import hf_hub_download

            readme = hf_hub_download(dataset, "README.md", repo_type="dataset")
        meta = metadata_load(readme) if os.path.isfile(readme) else None
    except Exception:  # an unreadable card, a Hub id not in the cache: no zero-shot language is known
        return ()
    return tuple((meta or {}).get("zero_shot_languages") or ())


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


def load_corpus(dataset):
    """The corpus as a tuple of dicts (product rows), in dataset order."""
    return _load_corpus(dataset, folder_stamp(dataset))


@functools.lru_cache(maxsize=4)
def _load_corpus(dataset, stamp):
    return tuple(load_split(dataset, "corpus", "corpus").to_list())


def load_queries(dataset, language, split="test", max_queries=None):
    """Query rows of one language and split, as a list of dicts.

    Args:
        dataset (`str`): dataset folder or Hub id.
        language (`str`): language config, e.g. `"vi"`.
        split (`str`, *optional*, defaults to `"test"`): `test`, `test_noisy`, `validation` or `train`.
        max_queries (`int`, *optional*): keep only the first N rows (dataset order), for quick runs.

    Returns:
        `list[dict]`
    """
    if split not in EVAL_SPLITS:
        raise ValueError(f"split {split!r} is not an evaluation split; use one of {list(EVAL_SPLITS)}.")
    ds = load_split(dataset, language, split)
    if max_queries is not None:
        if max_queries < 1:
            raise ValueError(f"max_queries={max_queries}; pass a positive number or omit it.")
        ds = ds.select(range(min(max_queries, len(ds))))
    return ds.to_list()


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
