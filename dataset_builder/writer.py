"""Atomic writing of the Hub layout: everything goes to a hidden temporary folder next to the target, which is
renamed into place only when complete. A failed build leaves neither a half dataset nor its temporary folder.

Layout::

    README.md                                   dataset card (YAML `configs:`)
    lira_build.json                             build parameters and counts (no timings: builds are byte-stable)
    corpus/corpus-00000-of-00001.parquet        products
    data/<lang>/<split>-00000-of-00001.parquet  queries, split in train, validation, test, test_noisy
"""

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

BUILD_MARKER = "lira_build.json"


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
    """Refuses to replace a folder that is not a previous LiRA build (or any folder when `overwrite` is off)."""
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return
    if not overwrite:
        raise ValueError(f"Output folder {out_dir} already exists; remove it or pass overwrite=True (--overwrite).")
    if not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / BUILD_MARKER).is_file()):
        raise ValueError(
            f"Output folder {out_dir} exists and is not a LiRA dataset build (no {BUILD_MARKER}); "
            "refusing to replace it. Choose another --out or remove it yourself."
        )


@contextlib.contextmanager
def atomic_output(out_dir, overwrite=True):
    """Context manager yielding a temporary folder that replaces `out_dir` when the block succeeds.

    Args:
        out_dir (`str` or `Path`): final folder.
        overwrite (`bool`, *optional*, defaults to `True`): replace a previous LiRA build at `out_dir`.

    Raises:
        `ValueError`: `out_dir` exists and may not be replaced (checked before anything is written).
    """
    out_dir = Path(out_dir).resolve()
    check_target(out_dir, overwrite)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
        old = None
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / out_dir.name)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path, obj):
    """Deterministic JSON (sorted keys, UTF-8, trailing newline)."""
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
