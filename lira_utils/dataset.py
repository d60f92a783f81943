"""The one reader of the `lira-products` layout (and of the parallel / OOD folders written in it).

Two ways in, the same rows:

* `load_split` / `load_queries` / `load_corpus`: `datasets.load_dataset(folder_or_id, <config>)`, with the Arrow
  cache keyed by the folder's files (`folder_stamp`), for evaluation and the Space;
* `read_split` / `load_query_rows` / `load_corpus_rows`: plain lists of dicts for training; through `load_split`
  when `datasets` is installed, else straight from the Parquet files the README `configs:` name (the GPU machine has
  no `datasets`; a test checks both give the same rows).

One config per language (splits `train`, `validation`, `test`, `test_noisy`) and `corpus` (split `corpus`); see
`docs/interfaces.md`.
"""

import functools
import glob
import hashlib
import importlib.util
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


def _yaml_configs(dataset_dir):
    import yaml

    path = os.path.join(dataset_dir, "README.md")
    if not os.path.exists(path):
        raise ValueError(f"{dataset_dir!r} has no README.md with `configs:`; build it with "
                         f"`python -m dataset_builder build --out {dataset_dir}`.")
    text = open(path, encoding="utf-8").read()
    if not text.startswith("---"):
        raise ValueError(f"{path} has no YAML front matter; rebuild the dataset.")
    meta = yaml.safe_load(text.split("---", 2)[1])
    return {c["config_name"]: c for c in meta.get("configs", [])}


def _read_parquet_split(dataset_dir, config, split):
    import pyarrow.parquet as pq

    configs = _yaml_configs(dataset_dir)
    if config not in configs:
        raise ValueError(f"config {config!r} is not in {dataset_dir!r}; available: {sorted(configs)}.")
    files = configs[config]["data_files"]
    entries = [f for f in files if f["split"] == split] if isinstance(files, list) else []
    if not entries:
        raise ValueError(f"split {split!r} is not in config {config!r} of {dataset_dir!r}.")
    rows = []
    for entry in entries:
        paths = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
        for pattern in paths:
            for path in sorted(glob.glob(os.path.join(dataset_dir, pattern))):
                rows.extend(pq.read_table(path).to_pylist())
    return rows


def read_split(dataset_dir, config, split):
    """Rows (list of dicts) of one config and split of a local `lira-products` folder."""
    if not os.path.isdir(dataset_dir):
        raise ValueError(f"dataset folder {dataset_dir!r} does not exist; build it with "
                         f"`python -m dataset_builder build --out {dataset_dir}`.")
    if importlib.util.find_spec("datasets") is None:
        return _read_parquet_split(dataset_dir, config, split)
    return load_split(dataset_dir, config, split).to_list()


def parse_languages(text):
    """`"vi, th,,id"` (the `--languages` flag) -> `["vi", "th", "id"]`; an empty list raises ValueError."""
    langs = [lang.strip() for lang in text.split(",") if lang.strip()]
    if not langs:
        raise ValueError(f"--languages {text!r} names no language; e.g. --languages vi,th.")
    return langs


def load_query_rows(dataset_dir, languages, split="train", max_per_language=None):
    """Query rows of several languages, concatenated (first `max_per_language` of each, dataset order)."""
    rows = []
    for lang in languages:
        part = read_split(dataset_dir, lang, split)
        rows.extend(part[:max_per_language] if max_per_language else part)
    return rows


def load_corpus_rows(dataset_dir):
    """Product rows of the `corpus` config."""
    return read_split(dataset_dir, "corpus", "corpus")
