"""The one atomic writer of LiRA's tools: output folders and files that a failure never leaves half-written, and
that never replace a folder LiRA did not write.

Every CLI that writes a folder (dataset build, training, fine-tune, staging, exports) goes through `atomic_folder`;
every file written outside such a folder (results, caches, reports) through `atomic_write_bytes` / `_text` /
`_json`. The rules:

* the result is built in a hidden temporary folder (or file) next to the target and renamed into place only when
  complete; on any error the temporary copy is removed and the target is untouched;
* an existing folder is replaced only when it is empty or LiRA wrote it: it holds the marker file `MARKER` (written
  into every folder `atomic_folder` creates) or, for folders written before the marker existed, one of
  `LEGACY_MARKERS` (a dataset build's `lira_build.json`, a training run's `training_facts.json`, a fine-tune's
  `late_fusion.json`); anything else is refused with a `ValueError` that names the folder and the fix;
* folders and files get the modes the process's umask gives (`tempfile` would leave them 0700 / 0600).

Only stdlib; lives in the ground floor that every room already imports.
"""

import contextlib
import json
import os
import shutil
import tempfile

MARKER = ".lira-output.json"
LEGACY_MARKERS = ("lira_build.json", "training_facts.json", "late_fusion.json")


def _umask():
    """The process's umask (read without changing it where /proc allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fix_modes(path):
    """Gives `path` (and, for a folder, everything under it) the modes a plain `open` / `mkdir` would have."""
    mask = _umask()
    if os.path.isdir(path) and not os.path.islink(path):
        for root, dirs, files in os.walk(path):
            os.chmod(root, 0o777 & ~mask)
            for name in files:
                file = os.path.join(root, name)
                if not os.path.islink(file) and os.stat(file).st_mode & 0o777 == 0o600:  # mkstemp's
                    os.chmod(file, 0o666 & ~mask)
    elif os.path.isfile(path):
        os.chmod(path, 0o666 & ~mask)


def written_by_lira(folder):
    """Whether `folder` holds `MARKER` or one of `LEGACY_MARKERS` (LiRA wrote it, so it may be replaced)."""
    return any(os.path.isfile(os.path.join(folder, name)) for name in (MARKER, *LEGACY_MARKERS))


def check_output_folder(out_dir, overwrite=True, what="output folder"):
    """Raises `ValueError` unless `out_dir` is absent, an empty folder, or (with `overwrite`) a folder LiRA wrote.

    Args:
        out_dir (`str` or `os.PathLike`): the folder a tool is about to write.
        overwrite (`bool`, *optional*, defaults to `True`): whether a previous LiRA output there may be replaced.
        what (`str`, *optional*): how the error names the folder (e.g. `"--output-dir"`).
    """
    out_dir = os.fspath(out_dir)
    if not os.path.lexists(out_dir):
        return
    if not os.path.isdir(out_dir) or os.path.islink(out_dir):
        raise ValueError(f"{what} {out_dir!r} exists and is not a folder; choose another path or remove it yourself.")
    if not os.listdir(out_dir):
        return
    if not written_by_lira(out_dir):
        raise ValueError(
            f"{what} {out_dir!r} already holds files that LiRA did not write (no {MARKER}); refusing to replace it. "
            "Choose another (new or empty) folder, or remove this one yourself.")
    if not overwrite:
        raise ValueError(f"{what} {out_dir!r} already holds a LiRA output; remove it or pass overwrite=True "
                         "(--overwrite).")


@contextlib.contextmanager
def atomic_folder(out_dir, overwrite=True, what="output folder", prefix=".tmp-lira-"):
    """Yields a temporary folder next to `out_dir` that replaces it when the block succeeds.

    Args:
        out_dir (`str` or `os.PathLike`): the final folder.
        overwrite (`bool`, *optional*, defaults to `True`): replace a previous LiRA output at `out_dir`.
        what (`str`, *optional*): how errors name the folder (e.g. the CLI flag that chose it).
        prefix (`str`, *optional*): prefix of the hidden temporary folders.

    Raises:
        `ValueError`: `out_dir` exists and may not be replaced (see `check_output_folder`); checked before the block
            runs and again before the swap.
    """
    out_dir = os.path.abspath(os.fspath(out_dir))
    check_output_folder(out_dir, overwrite, what)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=prefix, dir=parent)
    old = None
    try:
        yield tmp
        with open(os.path.join(tmp, MARKER), "w", encoding="utf-8") as f:
            json.dump({"written_by": "lira", "note": "LiRA may replace this folder when asked to write here again"},
                      f)
        _fix_modes(tmp)
        check_output_folder(out_dir, overwrite, what)  # the folder may have changed while the block ran
        if os.path.lexists(out_dir):
            old = tempfile.mkdtemp(prefix=prefix + "old-", dir=parent)
            os.replace(out_dir, os.path.join(old, "previous"))
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old:
            shutil.rmtree(old, ignore_errors=True)


def atomic_write_bytes(path, data):
    """Writes `data` to `path` through a temporary file in the same folder and `os.replace` (umask modes).

    Raises:
        `ValueError`: `path` is an existing folder.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"cannot write the file {path!r}: a folder of that name exists; choose another path.")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        _fix_modes(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def atomic_write_text(path, text):
    """UTF-8 text version of `atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, obj, sort_keys=False):
    """Writes `obj` as indented UTF-8 JSON (trailing newline; `default=str` for paths and the like), atomically."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=sort_keys, default=str) + "\n"
    return atomic_write_text(path, text)


__all__ = ["MARKER", "LEGACY_MARKERS", "atomic_folder", "atomic_write_bytes", "atomic_write_json",
           "atomic_write_text", "check_output_folder", "written_by_lira"]
