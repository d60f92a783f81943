"""Validates a built ``lira-products`` folder against ``dataset_builder/schema.py`` before it is published.

Checks, all local (Parquet footers and one column per shard are read, never the whole table):

* ``lira_build.json`` (the build statistics the card is rendered from) and ``README.md`` exist;
* every Parquet shard sits at a known path (``corpus/…`` or ``data/<lang>/<split>-…``) with a schema language and
  split, and its ``datasets.Features`` equal ``CORPUS_FEATURES`` / ``QUERY_FEATURES`` exactly;
* the ``language`` column of a query shard holds only its folder's language; row counts match the build stats;
* every ``configs`` path of a card matches at least one shard, every shard is reachable from a config, and exactly
  one config is the default.

Example::

    >>> shards, stats = validate_dataset_folder("artifacts/lira-products")
    >>> check_card_configs(card, shards)
"""

import fnmatch
import json
import os
import re

_QUERY_SHARD = re.compile(r"^data/(?P<lang>[^/]+)/(?P<split>[^/]+?)-\d{5}-of-\d{5}\.parquet$")
_CORPUS_SHARD = re.compile(r"^corpus/[^/]+\.parquet$")


def _features(path):
    import pyarrow.parquet as pq
    from datasets import Features

    return Features.from_arrow_schema(pq.read_schema(path))


def _diff(found, expected):
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    changed = sorted(k for k in set(found) & set(expected) if found[k] != expected[k])
    return f"missing columns {missing}, unexpected columns {extra}, different types {changed}"


def _check_shard(dataset_dir, rel, stats):
    import pyarrow.parquet as pq
    from dataset_builder.schema import CORPUS_FEATURES, LANGUAGES, QUERY_FEATURES, QUERY_SPLITS

    path = os.path.join(dataset_dir, *rel.split("/"))
    query = _QUERY_SHARD.match(rel)
    if query:
        lang, split = query.group("lang"), query.group("split")
        zero_shot = stats.get("zero_shot_languages") or []  # test-only configs of a `--zero-shot-languages` build
        if (lang not in LANGUAGES and lang not in zero_shot) or split not in QUERY_SPLITS:
            raise ValueError(f"{rel}: language {lang!r} / split {split!r} is not in the schema "
                             f"(languages {list(LANGUAGES)}, splits {list(QUERY_SPLITS)}); rebuild the dataset.")
        expected = QUERY_FEATURES
    elif _CORPUS_SHARD.match(rel):
        expected = CORPUS_FEATURES
    else:
        raise ValueError(f"{rel} is not a shard path of the LiRA layout (corpus/*.parquet or "
                         "data/<lang>/<split>-NNNNN-of-NNNNN.parquet); remove it or rebuild the dataset.")
    found = _features(path)
    if found != expected:
        raise ValueError(f"{rel} does not match dataset_builder/schema.py: {_diff(found, expected)}; rebuild it "
                         "with `python -m dataset_builder build`.")
    rows = pq.ParquetFile(path).metadata.num_rows
    if query:
        languages = set(pq.read_table(path, columns=["language"]).column("language").unique().to_pylist())
        if languages - {lang}:
            raise ValueError(f"{rel} holds rows of languages {sorted(languages)}; only {lang!r} belongs there.")
        expected_rows = stats["queries"].get(lang, {}).get(split, {}).get("rows")
    else:
        expected_rows = stats["products"]["total"]
    if expected_rows is not None and rows != expected_rows:
        raise ValueError(f"{rel} has {rows} rows but lira_build.json says {expected_rows}; the folder was changed "
                         "after the build. Rebuild it.")


def validate_dataset_folder(dataset_dir):
    """Checks a built dataset folder; returns ``(shards, stats)``.

    Args:
        dataset_dir (`str`): folder written by ``python -m dataset_builder build``.

    Returns:
        `tuple[list[str], dict]`: the Parquet shards (relative POSIX paths, sorted) and ``lira_build.json``.

    Raises:
        `ValueError`: the first problem found, naming the file and how to fix it.
    """
    from dataset_builder.writer import BUILD_MARKER

    if not os.path.isdir(dataset_dir):
        raise ValueError(f"--dataset-dir {dataset_dir!r} is not a directory; build it with "
                         "`python -m dataset_builder build --out artifacts/lira-products`.")
    marker = os.path.join(dataset_dir, BUILD_MARKER)
    if not os.path.isfile(marker):
        raise ValueError(f"{dataset_dir!r} has no {BUILD_MARKER}, so it is not a LiRA dataset build; build it with "
                         "`python -m dataset_builder build --out DIR`.")
    with open(marker, encoding="utf-8") as f:
        stats = json.load(f)
    shards = sorted(os.path.relpath(os.path.join(r, n), dataset_dir).replace(os.sep, "/")
                    for r, _, names in os.walk(dataset_dir) for n in names if n.endswith(".parquet"))
    if not shards:
        raise ValueError(f"{dataset_dir!r} holds no Parquet shards; rebuild it.")
    for rel in shards:
        _check_shard(dataset_dir, rel, stats)
    return shards, stats


def check_card_configs(card, shards):
    """Checks the ``configs`` of a ``DatasetCard`` against the shards that will be uploaded.

    Raises:
        `ValueError`: a config path matching no shard, a shard in no config, or not exactly one default config.
    """
    configs = card.data.to_dict().get("configs") or []
    defaults = [c["config_name"] for c in configs if c.get("default") or c["config_name"] == "default"]
    if len(defaults) != 1:
        raise ValueError(f"the card must mark exactly one default config, found {defaults}; "
                         "`load_dataset(repo)` fails otherwise.")
    reached = set()
    for config in configs:
        data_files = config.get("data_files") or []
        for entry in data_files if isinstance(data_files, list) else [data_files]:
            patterns = entry.get("path") if isinstance(entry, dict) else entry
            for pattern in patterns if isinstance(patterns, list) else [patterns]:
                matched = fnmatch.filter(shards, pattern)
                if not matched:
                    raise ValueError(f"config {config['config_name']!r} points to {pattern!r}, which matches no "
                                     "shard; rebuild the dataset or fix the card.")
                reached.update(matched)
    orphans = sorted(set(shards) - reached)
    if orphans:
        raise ValueError(f"shards {orphans} are in no config of the card, so the Hub would not show them.")
