"""Reads the `lira-products` layout for training: with `datasets` when installed, else straight from Parquet.

The GPU machine has no `datasets`; the Parquet files and README `configs:` are the same data, so the fallback
reads exactly what `load_dataset(folder, config, split=split)` would.
"""

import glob
import os

import torch


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
    try:
        import datasets
    except ImportError:
        return _read_parquet_split(dataset_dir, config, split)
    return datasets.load_dataset(dataset_dir, config, split=split).to_list()


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


class LiraQueryDataset(torch.utils.data.Dataset):
    """Query rows as a map-style dataset (the collator tokenises)."""

    def __init__(self, rows):
        if not rows:
            raise ValueError("no training queries: check --languages and the dataset split.")
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]
