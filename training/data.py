"""Reads the `lira-products` layout for training: with `datasets` when installed, else straight from Parquet.

The GPU machine has no `datasets`; the Parquet files and README `configs:` are the same data, so the fallback
reads exactly what `load_dataset(folder, config, split=split)` would.
"""

import glob
import hashlib
import json
import os
import random

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
    import importlib.util

    if importlib.util.find_spec("datasets") is None:
        return _read_parquet_split(dataset_dir, config, split)
    from evaluation.data import load_split  # keys the Arrow cache by the folder's files, so a rebuild is never stale

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


def best_positives(row, known):
    """Highest-grade relevant product ids of a query row that are in `known` (the corpus)."""
    grades = [g for pid, g in zip(row["relevant_ids"], row["relevance"]) if pid in known]
    if not grades:
        return []
    return [pid for pid, g in zip(row["relevant_ids"], row["relevance"]) if pid in known and g == max(grades)]


def plan_batches(rows, corpus_ids, steps, batch_size, seed):
    """The whole run's (row index, positive id) pairs, `batch_size` per step, positives distinct within a batch.

    Args:
        rows (`list[dict]`): train query rows (`relevant_ids`, `relevance`).
        corpus_ids (`Iterable[str]`): product ids of the corpus.
        steps (`int`), batch_size (`int`), seed (`int`).

    Returns:
        `list[tuple[int, str]]` of length `steps * batch_size`.
    """
    known = set(corpus_ids)
    positives = {i: best for i, r in enumerate(rows) if (best := best_positives(r, known))}
    usable = list(positives)
    products = {pid for best in positives.values() for pid in best}
    if len(products) < batch_size:
        raise ValueError(f"only {len(products)} distinct positive products in the train rows, fewer than "
                         f"--batch-size {batch_size}; lower --batch-size.")
    rng = random.Random(seed)
    plan = []
    for _ in range(steps):
        batch, taken = [], set()
        while len(batch) < batch_size:
            i = rng.choice(usable)
            positive = rng.choice(positives[i])
            if positive not in taken:
                taken.add(positive)
                batch.append((i, positive))
        plan += batch
    return plan


def plan_digest(plan, rows):
    """SHA-1 of a plan as (query id, positive id) pairs: two runs with equal digests saw the same training pairs."""
    pairs = [(rows[i].get("query_id", i), positive) for i, positive in plan]
    return hashlib.sha1(json.dumps(pairs).encode("utf-8")).hexdigest()


class LiraQueryDataset(torch.utils.data.Dataset):
    """Query rows as a map-style dataset (the collator tokenises).

    Args:
        rows (`list[dict]`): query rows.
        plan (`list[tuple[int, str]]`, *optional*): planned (row index, positive product id) pairs from
            [`plan_batches`]; item i is then row `plan[i][0]` with `positive_id` set, read in order
            (`planned` is True, and [`LiraTrainer`] then uses a sequential sampler).
        noise (`callable`, *optional*): `fn(index, item) -> item` applied to every item, e.g.
            [`training.noise.LiraTrainNoise`]; only ever given to the train dataset.
    """

    def __init__(self, rows, plan=None, noise=None):
        if not rows:
            raise ValueError("no training queries: check --languages and the dataset split.")
        self.rows = rows
        self.plan = plan
        self.planned = plan is not None
        self.noise = noise

    def __len__(self):
        return len(self.rows) if self.plan is None else len(self.plan)

    def __getitem__(self, index):
        if self.plan is None:
            item = self.rows[index]
        else:
            i, positive = self.plan[index]
            item = {**self.rows[i], "positive_id": positive}
        return item if self.noise is None else self.noise(index, item)
