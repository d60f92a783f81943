"""Training data: the labelled budget, parallel anchor text, the batch plan and the `torch` dataset over it.

Rows come from `lira_utils.dataset` (the one reader; it works without `datasets` on the GPU machine).
"""

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Optional

import torch

from lira_utils.dataset import load_corpus_rows, load_query_rows, read_split


@dataclass
class LiraDataArguments:
    """The training-data flags LiRA (`python -m training`) and the fine-tunes (`python -m training.finetune`) share,
    so both read the same rows and plan for the same values (the budget study relies on it)."""

    train_queries_per_language: Optional[int] = field(default=None, metadata={
        "help": "Label budget: a seeded sample of N labelled train queries per language (`sample_train_rows`; the "
                "same rows for LiRA and the fine-tunes with the same --seed); 0 = none, train on --parallel-dataset "
                "alone; unset = all."})
    parallel_dataset: str = field(default="", metadata={
        "help": "Parallel text folder (`python -m dataset_builder anchor-text`): local/English pairs without a "
                "product label, mixed into every batch. LiRA's anchor pulls each local text toward its English "
                "(LiraConfig.parallel_anchor_weight); the fine-tune reads them as InfoNCE pairs."})
    parallel_share: float = field(default=0.5, metadata={
        "help": "Share of every batch taken by parallel pairs when labelled queries exist (all of it otherwise)."})


def sample_train_rows(rows, per_language, seed):
    """A label budget: `per_language` rows of every language drawn with `seed`, in dataset order.

    Every system trained with the same seed and budget gets the same rows (LiRA and both fine-tunes of
    `studies.label_budget`); another seed draws another subset. `None` keeps every row, 0 keeps none.

    Args:
        rows (`list[dict]`): query rows with a `language` field.
        per_language (`int`, *optional*): rows kept per language.
        seed (`int`): draw seed.

    Returns:
        `list[dict]`: the kept rows, in their original order.
    """
    if per_language is None:
        return list(rows)
    if per_language < 0:
        raise ValueError(f"train queries per language must be >= 0 (or unset for all), got {per_language}.")
    by_language = {}
    for i, row in enumerate(rows):
        by_language.setdefault(row["language"], []).append(i)
    keep = set()
    for lang, indices in sorted(by_language.items()):
        rng = random.Random(f"{seed}-{lang}")  # a string seed hashes the same in every process
        keep.update(rng.sample(indices, min(per_language, len(indices))))
    return [row for i, row in enumerate(rows) if i in keep]


def load_parallel_rows(parallel_dir, languages):
    """Parallel text (`dataset_builder anchor-text`): its query rows of `languages` and its English items.

    Each row is a local text whose only relevant item is its English text, and it carries that text as its one
    candidate, so LiRA's Arca anchor reads the pair and a fine-tune reads it as an InfoNCE pair.

    Returns:
        `(list[dict], list[dict])`: train rows of every language, corpus items (`product_id`, `title_en`).
    """
    corpus = load_corpus_rows(parallel_dir)
    rows = []
    for lang in languages:
        rows.extend({**row, "parallel": True} for row in read_split(parallel_dir, lang, "train"))
    if not rows:
        raise ValueError(f"{parallel_dir!r} has no parallel rows for {languages}; rebuild it with "
                         "`python -m dataset_builder anchor-text`.")
    return rows, corpus


def plan_with_parallel(rows, corpus_ids, parallel_rows, parallel_ids, steps, batch_size, share, seed):
    """A plan whose every batch holds `round(share * batch_size)` parallel pairs and labelled pairs for the rest.

    Args:
        rows (`list[dict]`), corpus_ids (`Iterable[str]`): labelled train rows and product ids (may be empty:
            then every pair is parallel).
        parallel_rows (`list[dict]`), parallel_ids (`Iterable[str]`): parallel rows and their English item ids
            (disjoint from the product ids).
        steps (`int`), batch_size (`int`), share (`float` in (0, 1]), seed (`int`).

    Returns:
        `(list[dict], list[tuple[int, str]])`: `rows + parallel_rows` and the plan over them (`steps *
        batch_size` pairs, a step's positives distinct).
    """
    if not 0.0 < share <= 1.0:
        raise ValueError(f"--parallel-share must be in (0, 1], got {share}.")
    overlap = set(corpus_ids) & set(parallel_ids)
    if overlap:
        raise ValueError(f"parallel item ids also name products: {sorted(overlap)[:3]}; rebuild the parallel text.")
    n_parallel = batch_size if not rows else max(1, min(batch_size - 1, round(share * batch_size)))
    labelled = plan_batches(rows, corpus_ids, steps, batch_size - n_parallel, seed) if rows else []
    extra = plan_batches(parallel_rows, parallel_ids, steps, n_parallel, seed + 1)
    offset, width = len(rows), batch_size - n_parallel
    plan = []
    for step in range(steps):
        plan += labelled[step * width:(step + 1) * width]
        plan += [(offset + i, pid) for i, pid in extra[step * n_parallel:(step + 1) * n_parallel]]
    return list(rows) + list(parallel_rows), plan


def training_rows(dataset_dir, languages, corpus, steps, batch_size, seed, train_queries_per_language=None,
                  parallel_dataset=None, parallel_share=0.5, max_first=None):
    """Train rows, the corpus the collator reads, and the batch plan: one function for LiRA and the fine-tunes.

    Args:
        dataset_dir (`str`), languages (`list[str]`), corpus (`list[dict]`): lira-products folder and products.
        steps (`int`), batch_size (`int`), seed (`int`): the plan's size and seed.
        train_queries_per_language (`int`, *optional*): label budget (`sample_train_rows`); None = all.
        parallel_dataset (`str`, *optional*): parallel text folder mixed into every batch (`plan_with_parallel`).
        parallel_share (`float`, *optional*, defaults to 0.5): its share of a batch when labelled rows exist.
        max_first (`int`, *optional*): first N rows per language before the budget (the older
            `--max-train-queries-per-language`).

    Returns:
        `(rows, corpus, plan)`; `corpus` is the products followed by the parallel items.
    """
    rows = sample_train_rows(load_query_rows(dataset_dir, languages, "train", max_first), train_queries_per_language,
                             seed)
    if parallel_dataset:
        extra_rows, extra_items = load_parallel_rows(parallel_dataset, languages)
        rows, plan = plan_with_parallel(rows, [p["product_id"] for p in corpus], extra_rows,
                                        [p["product_id"] for p in extra_items], steps, batch_size, parallel_share,
                                        seed)
        return rows, list(corpus) + list(extra_items), plan
    if not rows:
        raise ValueError("no labelled train queries (--train-queries-per-language 0) and no --parallel-dataset: "
                         "there is nothing to train on; pass --parallel-dataset DIR or a budget above 0.")
    return rows, list(corpus), plan_batches(rows, [p["product_id"] for p in corpus], steps, batch_size, seed)


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
            [`training.train_noise.LiraTrainNoise`]; only ever given to the train dataset.
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
