"""Writing folders and JSON files so that a failure never leaves a half-written result behind."""

import contextlib
import json
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_folder(out_dir, prefix=".tmp-lira-"):
    """Yields a temporary folder next to `out_dir`; on success it replaces `out_dir`, on error it is removed.

    The previous `out_dir` (if any) is moved aside first and deleted only after the new folder is in place.
    """
    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=prefix, dir=parent)
    old = None
    try:
        yield tmp
        if os.path.exists(out_dir):
            old = tempfile.mkdtemp(prefix=prefix + "old-", dir=parent)
            os.replace(out_dir, os.path.join(old, "previous"))
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old:
            shutil.rmtree(old, ignore_errors=True)


def drop_json_keys(path, keys):
    """Removes `keys` from the JSON object stored at `path` (rewritten in place through a temp file)."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for key in keys:
        data.pop(key, None)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
    os.replace(tmp, path)


def write_json(path, data):
    """Writes `data` as indented JSON to `path` through a temp file, so a failure never leaves half a file."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False, default=str)
    os.replace(tmp, path)
    return path
