"""Atomic writing of the Hub layout: everything goes to a hidden temporary folder next to the target, which is
renamed into place only when complete (`lira_utils.atomic.atomic_folder`). A failed build leaves neither a half
dataset nor its temporary folder, and a folder that LiRA did not write is never replaced.

Layout::

    README.md                                   dataset card (YAML `configs:`)
    lira_build.json                             build parameters and counts (no timings: builds are byte-stable)
    corpus/corpus-00000-of-00001.parquet        products
    data/<lang>/<split>-00000-of-00001.parquet  queries, split in train, validation, test, test_noisy
"""

import contextlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lira_utils.atomic import atomic_folder, atomic_write_json, check_output_folder

BUILD_MARKER = "lira_build.json"  # one of `lira_utils.atomic.LEGACY_MARKERS`: older builds stay replaceable
_WHAT = "dataset output folder"


def shard_name(split):
    """File name of the single shard of a split."""
    return f"{split}-00000-of-00001.parquet"


def query_path(language, split):
    """Relative path of a language's split shard."""
    return f"data/{language}/{shard_name(split)}"


CORPUS_PATH = "corpus/corpus-00000-of-00001.parquet"


def write_parquet(path, rows, features):
    """Writes `rows` (list of dicts) with the exact Arrow schema of `features` (which carries the `datasets`
    features as metadata, so `load_dataset` restores them as declared)."""
    table = pa.Table.from_pylist(rows, schema=features.arrow_schema)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=20_000)


def check_target(out_dir, overwrite):
    """Refuses an `out_dir` that holds files LiRA did not write, or a previous build when `overwrite` is off
    (`lira_utils.atomic.check_output_folder`; an absent or empty folder is always fine).

    Raises:
        `ValueError`: naming the folder and the fix.
    """
    check_output_folder(out_dir, overwrite, what=_WHAT)


@contextlib.contextmanager
def atomic_output(out_dir, overwrite=True):
    """Context manager yielding a temporary folder (`Path`) that replaces `out_dir` when the block succeeds
    (`lira_utils.atomic.atomic_folder`).

    Args:
        out_dir (`str` or `Path`): final folder.
        overwrite (`bool`, *optional*, defaults to `True`): replace a previous LiRA build at `out_dir`.

    Raises:
        `ValueError`: `out_dir` exists and may not be replaced (see `check_target`; checked before anything is
            written and again before the swap).
    """
    name = os.path.basename(os.path.abspath(out_dir))
    with atomic_folder(out_dir, overwrite, what=_WHAT, prefix=f".{name}.tmp-") as tmp:
        yield Path(tmp)


def write_json(path, obj):
    """Deterministic JSON (sorted keys, UTF-8, trailing newline), written atomically."""
    atomic_write_json(path, obj, sort_keys=True)
