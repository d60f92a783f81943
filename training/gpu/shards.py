"""Splitting a folder into size-limited shard groups and putting it back together, checked by SHA-256.

The device tool moves at most 64 MiB per call and returns files of at most 16 MiB, so a payload larger than one call
travels as several groups of shards (one group per call) that the remote side gathers in a folder outside the work
tree. `reassemble` refuses any missing or altered shard and writes the folder atomically.
"""

import json
import os

from lira_utils.atomic import atomic_folder
from lira_utils.hashing import file_digest as sha256

MANIFEST = "manifest.json"


def _files(folder):
    out = []
    for root, _, names in os.walk(folder):
        out += [os.path.relpath(os.path.join(root, n), folder) for n in names]
    return sorted(out)


def split_folder(src, out_dir, shard_bytes, group_bytes):
    """Cuts every file of `src` into shards of at most `shard_bytes` and packs them into groups of at most
    `group_bytes` (`out_dir/group-0`, `group-1`, ...). `out_dir/group-0/manifest.json` lists every file with its
    SHA-256 and shards.

    Args:
        src (`str`): the folder to send.
        out_dir (`str`): created; must not exist.
        shard_bytes (`int`): largest shard (e.g. 15 MiB).
        group_bytes (`int`): largest group (what one call may carry beside the work tree).

    Returns:
        `list[int]`: the size in bytes of each group.
    """
    if shard_bytes < 1 or group_bytes < shard_bytes:
        raise ValueError(f"shard_bytes={shard_bytes} and group_bytes={group_bytes}: need 1 <= shard <= group.")
    if os.path.exists(out_dir):
        raise ValueError(f"{out_dir!r} exists; remove it or choose another folder.")
    manifest, groups, sizes = {"files": []}, [[]], [0]
    shard_id = 0
    for rel in _files(src):
        path, entry = os.path.join(src, rel), {"path": rel, "sha256": None, "shards": []}
        entry["sha256"] = sha256(path)
        with open(path, "rb") as f:
            while True:
                data = f.read(shard_bytes)
                if not data and entry["shards"]:
                    break
                if sizes[-1] + len(data) > group_bytes:
                    groups.append([])
                    sizes.append(0)
                name = f"shard-{shard_id:05d}"
                shard_id += 1
                groups[-1].append((name, data))
                sizes[-1] += len(data)
                entry["shards"].append(name)
                if len(data) < shard_bytes:
                    break
        manifest["files"].append(entry)
    for i, group in enumerate(groups):
        folder = os.path.join(out_dir, f"group-{i}")
        os.makedirs(folder)
        for name, data in group:
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
    with open(os.path.join(out_dir, "group-0", MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
    return sizes


def _checked_path(rel, manifest_file):
    """The manifest entry `rel` as a normalized relative path that stays inside the rebuilt folder.

    Args:
        rel (`str`): a `path` of `manifest.json`.
        manifest_file (`str`): the manifest it came from (named in the error).

    Returns:
        `str`: `os.path.normpath(rel)`.

    Raises:
        `ValueError`: `rel` is not a non-empty string without NUL characters, is absolute, or resolves outside the
            rebuilt folder (`..`).
    """
    norm = os.path.normpath(rel) if isinstance(rel, str) and rel and "\0" not in rel else None
    if norm is None or os.path.isabs(norm) or norm == os.curdir or norm.split(os.sep)[0] == os.pardir:
        raise ValueError(f"{manifest_file}: file path {rel!r} is not a relative path inside the rebuilt folder (it "
                         "is absolute, leaves it through '..', is empty or holds a NUL); re-split the payload with "
                         "`training.gpu.shards.split_folder`.")
    return norm


def reassemble(shard_dirs, dest):
    """Rebuilds the split folder into `dest` (atomically) from the folders holding its shards.

    Args:
        shard_dirs (`list[str]`): folders with shards; one of them holds `manifest.json`.
        dest (`str`): the rebuilt folder.

    Returns:
        `int`: number of files rebuilt, each checked against its SHA-256.

    Raises:
        `ValueError`: no manifest, a manifest path that is absolute or leaves `dest`, a missing shard, or a file
            whose SHA-256 differs.
    """
    where, manifest, manifest_file = {}, None, None
    for folder in shard_dirs:
        for name in os.listdir(folder):
            if name == MANIFEST:
                manifest_file = os.path.join(folder, name)
                with open(manifest_file, encoding="utf-8") as f:
                    manifest = json.load(f)
            else:
                where[name] = os.path.join(folder, name)
    if manifest is None:
        raise ValueError(f"no {MANIFEST} in {shard_dirs}; pass the folder of group-0 too.")
    for entry in manifest["files"]:
        entry["path"] = _checked_path(entry["path"], manifest_file)
    missing = [s for e in manifest["files"] for s in e["shards"] if s not in where]
    if missing:
        raise ValueError(f"{len(missing)} shards are missing (first: {missing[0]}); send every group first.")
    with atomic_folder(dest) as tmp:
        for entry in manifest["files"]:
            path = os.path.join(tmp, entry["path"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as out:
                for shard in entry["shards"]:
                    with open(where[shard], "rb") as f:
                        out.write(f.read())
            if sha256(path) != entry["sha256"]:
                raise ValueError(f"{entry['path']} does not match its SHA-256 after reassembly; resend the shards.")
    return len(manifest["files"])
