"""Content hashes used as cache keys: model weight files and the exact inputs of an encoding run."""

import functools
import glob
import hashlib
import json
import os

import numpy as np

WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.npz", "*.model", "tokenizer.json", "config.json", "*.py",
                   "query_normalizer.json")  # the processor rewrites queries with it


@functools.lru_cache(maxsize=None)
def _file_digest(path, size, mtime_ns):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path):
    """sha256 of one file, memoised per (path, size, mtime) within the process.

    Args:
        path (`str`): file to hash.

    Returns:
        `str`: hex digest.
    """
    st = os.stat(path)
    return _file_digest(os.path.abspath(path), st.st_size, st.st_mtime_ns)


def folder_digest(folder, patterns=WEIGHT_PATTERNS):
    """Hash of every file in `folder` (top level) matching `patterns`: weights, tokenizer, config and code.

    Args:
        folder (`str`): a model folder.
        patterns (`tuple[str]`, *optional*): glob patterns of the files that define the model's outputs.

    Returns:
        `str`: a 16-hex-character digest; changes when any matching file's bytes change.
    """
    if not os.path.isdir(folder):
        raise ValueError(f"model folder {folder!r} does not exist; build it first "
                         "(e.g. `python -m lira_utils.backbones --out artifacts/backbones`).")
    files = sorted({p for pat in patterns for p in glob.glob(os.path.join(folder, pat))})
    if not files:
        raise ValueError(f"no weight/config files matching {patterns} in {folder!r}; is it a model folder?")
    h = hashlib.sha256()
    for p in files:
        h.update(os.path.basename(p).encode())
        h.update(file_digest(p).encode())
    return h.hexdigest()[:16]


def _default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    raise TypeError(f"cannot hash object of type {type(obj).__name__}")


def content_hash(obj):
    """Stable hash of a JSON-serialisable object (lists, dicts, strings, numbers, numpy arrays).

    Args:
        obj: the inputs to fingerprint.

    Returns:
        `str`: a 16-hex-character digest.
    """
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=_default)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
