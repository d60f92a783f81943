"""Skipping a training run whose output already holds the same run: `--reuse-unchanged`.

A second `bash scripts/main_job.sh` used to retrain LiRA and the fine-tune from scratch (10 of its 15 minutes) though
nothing they read had changed. With `--reuse-unchanged` a run first fingerprints everything its output depends on
and returns the saved folder when that folder's facts carry the same fingerprint:

* the run's arguments (all of them but the ones that cannot change the weights: this flag, `--resume`, workers);
* the bytes of every input folder: the starting model (weights, tokenizer, config, remote code), the dataset and the
  parallel text, and for the fine-tune the English encoder of its late-fusion weight;
* the bytes of the code that trains and saves (`training`, `modeling_lira`, `lira_utils`, `dataset_builder`, which
  builds the query normalizer) and the versions of torch, transformers and peft.

Any difference retrains, and the message names what changed. Off by default: `python -m training` trains whenever
it is asked to.
"""

import glob
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field

from lira_utils.hashing import content_hash, file_digest, folder_digest

CODE_PACKAGES = ("training", "modeling_lira", "lira_utils", "dataset_builder")
IGNORED_ARGUMENTS = ("reuse_unchanged", "resume", "num_workers")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class LiraReuseArguments:
    """The flag LiRA's training (`python -m training`) and the fine-tunes (`python -m training.finetune`) share."""

    reuse_unchanged: bool = field(default=False, metadata={
        "help": "Keep --output-dir and skip training when it was trained from the same arguments, input bytes, code "
                "and library versions (training/reuse.py); the main job's second run uses it."})


def tree_digest(folder):
    """Hash of every file under `folder` (relative paths and bytes), or `""` when there is no such folder.

    Args:
        folder (`str`): e.g. a built dataset folder.

    Returns:
        `str`: a 16-hex-character digest.
    """
    if not folder or not os.path.isdir(folder):
        return ""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            h.update(os.path.relpath(path, folder).encode("utf-8"))
            h.update(file_digest(path).encode())
    return h.hexdigest()[:16]


def code_digest(packages=CODE_PACKAGES):
    """Hash of the Python sources of `packages` (in this checkout) and of the training libraries' versions."""
    import peft
    import torch
    import transformers

    files = sorted(p for pkg in packages for p in glob.glob(os.path.join(_ROOT, pkg, "**", "*.py"), recursive=True))
    return content_hash({"sources": [[os.path.relpath(p, _ROOT), file_digest(p)] for p in files],
                         "versions": [torch.__version__, transformers.__version__, peft.__version__]})


def run_inputs(args, model_folders=(), data_folders=()):
    """The fingerprint of a training run: what its saved weights depend on.

    Args:
        args: the run's arguments dataclass.
        model_folders (`tuple[str]`): model folders the run reads (hashed with `folder_digest`); a Hub id counts as
            its name (pin a `revision` in it to make a reuse safe).
        data_folders (`tuple[str]`): data folders the run reads (hashed file by file with `tree_digest`; a Hub id
            counts as its name).

    Returns:
        `dict`: `{"arguments", "models", "data", "code"}` digests.
    """
    kept = {k: v for k, v in asdict(args).items() if k not in IGNORED_ARGUMENTS}
    return {"arguments": content_hash(kept),
            "models": content_hash([folder_digest(f) if os.path.isdir(f) else f for f in model_folders]),
            "data": content_hash([tree_digest(f) if os.path.isdir(f) else f for f in data_folders]),
            "code": code_digest()}


def reusable(output_dir, facts_file, inputs):
    """Whether `output_dir/facts_file` records a run with exactly `inputs`; says why not on stdout.

    Args:
        output_dir (`str`): the run's output folder.
        facts_file (`str`): its facts file (`training_facts.json`, `finetune_facts.json`).
        inputs (`dict`): this run's `run_inputs`.

    Returns:
        `bool`
    """
    path = os.path.join(output_dir, facts_file)
    try:
        with open(path, encoding="utf-8") as f:
            saved = json.load(f).get("inputs")
    except (OSError, ValueError):
        saved = None
    if saved is None:
        print(f"[reuse] {output_dir}: no earlier run with a recorded fingerprint; training.")
        return False
    changed = [k for k in inputs if saved.get(k) != inputs[k]]
    if changed:
        print(f"[reuse] {output_dir}: {', '.join(changed)} changed since it was trained; training again.")
        return False
    print(f"[reuse] {output_dir} was trained from the same arguments, inputs, code and libraries; "
          f"kept (drop --reuse-unchanged to train anyway).")
    return True


def saved_facts(output_dir, facts_file):
    """The facts a reused run returns: those saved beside its weights."""
    with open(os.path.join(output_dir, facts_file), encoding="utf-8") as f:
        return json.load(f)
