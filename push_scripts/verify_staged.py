"""Reloads a staged model folder in a fresh process, as a Hub user would, and compares it with the in-process model.

The child process runs ``reload_probe.py`` (copied into an empty temporary folder, which is also its working
directory) with ``python -I`` (no ``PYTHONPATH``, no user site), ``HF_HUB_OFFLINE=1``, a private
``HF_MODULES_CACHE`` and an import blocker for the repository's own packages. So it can only succeed if the staged
folder carries all its code: ``AutoModel.from_pretrained(staged, trust_remote_code=True)`` + ``AutoProcessor``.

Example::

    >>> report = verify_staged("artifacts/lira-small-trained", "staging/lira", ["giày chạy", "handbag"])
    >>> report["max_abs_diff"]
    {'embeddings': 0.0, 'anchored_embeddings': 0.0, 'language_logits': 0.0}
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from . import reload_probe

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def repo_packages(root=REPO_ROOT):
    """Top-level packages of this repository (folders with ``__init__.py``): the child must not import them."""
    return sorted(n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n, "__init__.py")))


def load_reference(model_dir):
    """The in-process model and processor: LiRA's own classes when this is a LiRA folder and ``modeling_lira`` is
    importable, else ``AutoModel``/``AutoProcessor`` with ``trust_remote_code=True`` on the source folder."""
    from transformers import AutoModel, AutoProcessor

    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        model_type = json.load(f).get("model_type")
    if model_type == "lira":
        try:
            from modeling_lira import LiraModel, LiraProcessor
        except ImportError:
            pass
        else:
            return LiraModel.from_pretrained(model_dir).eval(), LiraProcessor.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, trust_remote_code=True).eval()
    return model, AutoProcessor.from_pretrained(model_dir, trust_remote_code=True)


def run_fresh_process(staged_dir, texts, st_dir=None, timeout=900):
    """Runs the probe in an isolated child process; returns its output tensors.

    Raises:
        `RuntimeError`: the child failed (its stderr tail is in the message).
    """
    from safetensors.torch import load_file

    workdir = tempfile.mkdtemp(prefix="lira-reload-")
    try:
        probe = shutil.copy(reload_probe.__file__, os.path.join(workdir, "reload_probe.py"))
        spec = {"model_dir": os.path.abspath(staged_dir), "texts": list(texts), "blocked": repo_packages(),
                "out": os.path.join(workdir, "outputs.safetensors"),
                "st_dir": os.path.abspath(st_dir) if st_dir else None}
        spec_path = os.path.join(workdir, "spec.json")
        with open(spec_path, "w", encoding="utf-8") as f:
            json.dump(spec, f, ensure_ascii=False)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                   HF_MODULES_CACHE=os.path.join(workdir, "modules"), TOKENIZERS_PARALLELISM="false")
        proc = subprocess.run([sys.executable, "-I", probe, spec_path], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"the staged folder {staged_dir} does not load in a fresh process "
                               f"(exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        return load_file(spec["out"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def verify_staged(model_dir, staged_dir, texts, st_dir=None, atol=1e-5, st_atol=1e-4):
    """Compares the staged folder, reloaded in a fresh process, with the in-process model on ``texts``.

    Args:
        model_dir (`str`): the source folder (loaded in this process, see [`load_reference`]).
        staged_dir (`str`): the staged folder (loaded in the child).
        texts (`list[str]`): query texts to encode.
        st_dir (`str`, *optional*): the staged sentence-transformers export; its embeddings must match the
            reference's ``anchored_embeddings`` (or ``embeddings`` if there is no anchored output).
        atol (`float`, *optional*, defaults to 1e-5): max abs difference for every float output.
        st_atol (`float`, *optional*, defaults to 1e-4): max abs difference for the export.

    Returns:
        `dict`: ``{"max_abs_diff": {output: float}, "st_max_abs_diff": float or None, "texts": int}``.

    Raises:
        `RuntimeError`: the child failed, an output is missing, or a difference exceeds its tolerance.
    """
    model, processor = load_reference(model_dir)
    reference = reload_probe.encode(model, processor, list(texts))
    staged = run_fresh_process(staged_dir, texts, st_dir=st_dir)
    diffs = {}
    for name, ref in reference.items():
        if name not in staged or staged[name].shape != ref.shape:
            raise RuntimeError(f"output {name!r} of the staged model is missing or has another shape.")
        diffs[name] = float((staged[name] - ref).abs().max())
    bad = {k: v for k, v in diffs.items() if not v <= atol}
    if bad:
        raise RuntimeError(f"the staged model differs from the in-process model beyond {atol}: {bad}")
    st_diff = None
    if st_dir:
        target = reference.get("anchored_embeddings", reference.get("embeddings"))
        if target is not None:
            st_diff = float((staged["st::sentence_embedding"] - target).abs().max())
            if not st_diff <= st_atol:
                raise RuntimeError(f"the sentence-transformers export differs from the model's anchored embeddings "
                                   f"by {st_diff:.2e} (> {st_atol}); re-run the export.")
    return {"max_abs_diff": diffs, "st_max_abs_diff": st_diff, "texts": len(texts)}
