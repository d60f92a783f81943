"""Encodes a few texts with a saved model; run as a script in a fresh, isolated process by ``verify_staged.py``.

This file imports only the standard library, torch, transformers (and sentence-transformers for an export), so
it can be copied next to a staged folder and run where the LiRA repository is not importable::

    python -I reload_probe.py SPEC.json

``SPEC.json``: ``{"model_dir", "texts", "out", "blocked": [top-level packages to refuse], "st_dir": optional}``.
It writes ``out`` (safetensors): every floating-point tensor of the model output, plus ``st::sentence_embedding``
for the sentence-transformers export.
"""

import importlib.abc
import inspect
import json
import sys


class _BlockPackages(importlib.abc.MetaPathFinder):
    """Makes ``import <blocked>`` fail, so a staged folder that secretly needs the repo is caught."""

    def __init__(self, blocked):
        self.blocked = set(blocked)

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ImportError(f"{name!r} belongs to the LiRA repository; the staged folder must not import it.")
        return None


def encode(model, processor, texts):
    """Runs ``model`` on ``texts`` as queries; returns ``{name: float tensor}`` for every float output field.

    The texts reach the model as given (``normalize=False``): the probe compares the vector functions of the staged
    model and the widget export, and the export (sentence-transformers) has no query normalizer.
    """
    import torch
    from transformers import PreTrainedTokenizerBase

    if isinstance(processor, PreTrainedTokenizerBase):
        batch = processor(texts, padding=True, truncation=True, return_tensors="pt")
    else:
        params = inspect.signature(processor.__call__).parameters
        extra = {k: v for k, v in (("text_type", "query"), ("normalize", False)) if k in params}
        batch = processor(texts, **extra)
    with torch.no_grad():
        outputs = model(**batch)
    return {name: value.detach().float().cpu().clone() for name, value in outputs.items()
            if torch.is_tensor(value) and value.is_floating_point()}


def encode_st(st_dir, texts):
    """Encodes ``texts`` with the sentence-transformers folder, without ``trust_remote_code``."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(st_dir, device="cpu")
    prompt_name = "query" if "query" in (model.prompts or {}) else None
    return model.encode(texts, prompt_name=prompt_name, convert_to_tensor=True).float().cpu().contiguous()


def main(spec_path):
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    sys.meta_path.insert(0, _BlockPackages(spec.get("blocked", [])))
    from safetensors.torch import save_file
    from transformers import AutoModel, AutoProcessor

    model = AutoModel.from_pretrained(spec["model_dir"], trust_remote_code=True).eval()
    processor = AutoProcessor.from_pretrained(spec["model_dir"], trust_remote_code=True)
    tensors = encode(model, processor, spec["texts"])
    if spec.get("st_dir"):
        tensors["st::sentence_embedding"] = encode_st(spec["st_dir"], spec["texts"])
    save_file(tensors, spec["out"])


if __name__ == "__main__":
    main(sys.argv[1])
