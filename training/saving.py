"""Writing trained LiRA folders: the merged model after training, and in-place refits of a saved folder."""

import json
import os
import shutil

from lira_utils.atomic import atomic_folder, atomic_write_json


def save_merged(merged, processor, out_dir, facts):
    """Writes the merged plain `LiraModel` (with processor and run facts) atomically."""
    with atomic_folder(out_dir) as tmp:
        merged.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        save_facts(tmp, facts)
    return out_dir


def save_facts(folder, facts):
    """Merges `facts` into `folder/training_facts.json` (created if absent), atomically."""
    path = os.path.join(folder, "training_facts.json")
    old = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
    atomic_write_json(path, {**old, **facts})


def save_in_place(model, folder, facts=None):
    """Rewrites the weights of a saved LiRA `folder` atomically, keeping its other files (facts, tokenizers, code).

    Args:
        model ([`LiraModel`]): the changed model.
        folder (`str`): the saved folder, rewritten in place.
        facts (`dict`, *optional*): entries merged into the folder's `training_facts.json` (created if absent).
    """
    with atomic_folder(folder) as tmp:
        shutil.copytree(folder, tmp, dirs_exist_ok=True)
        model.save_pretrained(tmp)
        if facts:
            save_facts(tmp, facts)
    return folder
