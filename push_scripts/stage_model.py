"""Stages a saved LiRA folder for the Hub: an allow-list copy plus the checks a remote-code repo needs.

What is staged (everything else in the folder is reported as skipped, e.g. optimizer states or ``*.bin``):

* ``config.json`` (must carry an ``auto_map``), ``*.safetensors`` (+ index), the flat ``*.py`` remote-code files;
* tokenizer and processor files at the top level, and sub-folders that hold only such files (the processor's
  second tokenizer is saved in a sub-folder named after its attribute);
* sentence-transformers files if present (``modules.json``, ``N_Name/`` module folders);
* ``README.md``, always re-rendered by the caller.

Example::

    >>> files, skipped = collect_model_files("artifacts/lira-small-trained")
    >>> stage_folder("artifacts/lira-small-trained", files, "staging/lira", readme=card_text)
"""

import contextlib
import json
import os
import re
import shutil

from lira_utils.atomic import MARKER, atomic_folder

_TOP_LEVEL = re.compile(
    r"^(config\.json|generation_config\.json|model(-\d{5}-of-\d{5})?\.safetensors|model\.safetensors\.index\.json|"
    r"[\w.-]+\.py|"
    r"tokenizer[\w.-]*|special_tokens_map\.json|added_tokens\.json|vocab\.(txt|json)|merges\.txt|"
    r"sentencepiece[\w.-]*\.model|spiece\.model|[\w.-]+\.tiktoken|chat_template\.jinja|"
    r"processor_config\.json|preprocessor_config\.json|query_normalizer\.json|modules\.json|"
    r"sentence_bert_config\.json|config_sentence_transformers\.json)$"
)
# Files allowed in a tokenizer sub-folder (no weights or configs: a checkpoint folder must never pass as one).
_SUBFOLDER_FILE = re.compile(
    r"^(tokenizer[\w.-]*|special_tokens_map\.json|added_tokens\.json|vocab\.(txt|json)|merges\.txt|"
    r"sentencepiece[\w.-]*\.model|spiece\.model)$"
)
_ST_MODULE_DIR = re.compile(r"^\d+_\w+$")
_RELATIVE_IMPORT = re.compile(r"^\s*from\s+\.(\w+)\s+import\s", re.MULTILINE)
_UNSUPPORTED_WEIGHTS = ("pytorch_model.bin", "model.pt", "tf_model.h5", "flax_model.msgpack")


def collect_model_files(model_dir):
    """Splits the files of ``model_dir`` into those to stage and those to skip (relative POSIX paths).

    Raises:
        `ValueError`: ``model_dir`` is not a directory.
    """
    if not os.path.isdir(model_dir):
        raise ValueError(f"--model-dir {model_dir!r} is not a directory; pass the folder written by "
                         "LiraModel.save_pretrained (e.g. artifacts/lira-small-trained).")
    keep, skip = [], []
    for name in sorted(os.listdir(model_dir)):
        if name == MARKER:  # LiRA's local bookkeeping, never part of a model
            continue
        path = os.path.join(model_dir, name)
        if os.path.isfile(path):
            (keep if _TOP_LEVEL.match(name) and name != "__init__.py" else skip).append(name)
            continue
        inner = sorted(os.path.relpath(os.path.join(r, n), path).replace(os.sep, "/")
                       for r, _, ns in os.walk(path) for n in ns)
        st_module = _ST_MODULE_DIR.match(name)
        ok = inner and all(("/" not in f and (st_module or _SUBFOLDER_FILE.match(f))) for f in inner)
        (keep if ok else skip).extend(f"{name}/{f}" for f in inner)
    return keep, skip


def check_model_files(model_dir, files):
    """Checks what a remote-code repo needs; returns the auto_map.

    Raises:
        `ValueError`: no safetensors weights, no ``auto_map``, an ``auto_map`` module without its ``.py`` file,
            a ``from .x import`` of a file that is not staged, or a sentence-transformers module that needs
            custom code. Each message says how to fix the folder.
    """
    names = set(files)
    if not any(re.fullmatch(r"model(-\d{5}-of-\d{5})?\.safetensors", f) for f in names):
        legacy = [w for w in _UNSUPPORTED_WEIGHTS if os.path.exists(os.path.join(model_dir, w))]
        raise ValueError(f"{model_dir!r} has no *.safetensors weights{f' (found {legacy})' if legacy else ''}; "
                         "re-save with model.save_pretrained(folder) (safetensors is the default).")
    if "config.json" not in names:
        raise ValueError(f"{model_dir!r} has no config.json; pass the folder written by save_pretrained.")
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        auto_map = json.load(f).get("auto_map") or {}
    if "AutoModel" not in auto_map:
        raise ValueError(f"config.json in {model_dir!r} has no auto_map['AutoModel'] (got {auto_map}); call "
                         "LiraConfig.register_for_auto_class() and LiraModel.register_for_auto_class('AutoModel') "
                         "before save_pretrained.")
    refs = dict(auto_map)
    for name in ("processor_config.json", "tokenizer_config.json"):
        if name in names:
            with open(os.path.join(model_dir, name), encoding="utf-8") as f:
                refs.update({f"{name}:{k}": v for k, v in (json.load(f).get("auto_map") or {}).items()})
    for key, ref in refs.items():
        for one in ref if isinstance(ref, (list, tuple)) else [ref]:
            if not one:
                continue
            if "--" in one:
                raise ValueError(f"auto_map[{key!r}] = {one!r} points to another repo; the uploaded model must "
                                 "carry its own code (no 'repo--module.Class' references).")
            module = one.rsplit(".", 1)[0]
            if f"{module}.py" not in names:
                raise ValueError(f"auto_map[{key!r}] = {one!r} needs {module}.py, which is not in {model_dir!r}; "
                                 "re-save the model so save_pretrained copies its code.")
    for py in (f for f in names if f.endswith(".py")):
        with open(os.path.join(model_dir, py), encoding="utf-8") as f:
            for sibling in _RELATIVE_IMPORT.findall(f.read()):
                if f"{sibling}.py" not in names:
                    raise ValueError(f"{py} imports .{sibling} but {sibling}.py is not in {model_dir!r}; remote "
                                     "code must be one flat folder of sibling files.")
    if "modules.json" in names:
        check_st_modules(model_dir)
    return auto_map


def check_st_modules(st_dir, allow_custom=True):
    """Returns the module types of a sentence-transformers folder; with ``allow_custom=False`` refuses any module
    outside ``sentence_transformers.*`` (the widget and TEI cannot run custom code)."""
    with open(os.path.join(st_dir, "modules.json"), encoding="utf-8") as f:
        types = [m["type"] for m in json.load(f)]
    custom = [t for t in types if not t.startswith("sentence_transformers.")]
    if custom and not allow_custom:
        raise ValueError(f"the widget export {st_dir!r} uses custom modules {custom}; it must be built only from "
                         "sentence_transformers modules (Transformer, Pooling, Dense, Normalize).")
    return types


@contextlib.contextmanager
def upload_folder(out_dir, what="staging folder"):
    """`lira_utils.atomic.atomic_folder` for a folder that is uploaded as it is: its marker file stays (so the next
    staging may replace it) and `push_scripts.hub_upload.plan_folder` leaves the marker out of every upload.

    Args:
        out_dir (`str`): the staged folder.
        what (`str`, *optional*): how errors name the folder.

    Raises:
        `ValueError`: `out_dir` exists, is not empty and was not staged by LiRA (nothing in it is deleted).
    """
    with atomic_folder(out_dir, what=what, prefix=".staging-") as tmp:
        yield tmp


def stage_folder(src_dir, files, staging_dir, readme):
    """Copies (hard-links when possible) ``files`` from ``src_dir`` and writes ``README.md`` into a fresh
    ``staging_dir`` (atomic).

    Args:
        src_dir (`str`): the source folder.
        files (`list[str]`): relative POSIX paths to copy (from [`collect_model_files`]).
        staging_dir (`str`): target, written through a temporary folder (see [`upload_folder`]); it must be new or
            empty or staged by LiRA before.
        readme (`str`): the rendered card.

    Returns:
        `str`: ``staging_dir``.

    Raises:
        `ValueError`: ``staging_dir`` exists, is not empty and was not staged by LiRA (it is left as it is).
    """
    with upload_folder(staging_dir) as tmp:
        for rel in files:
            if rel == MARKER:  # a source folder's marker is not part of what is uploaded
                continue
            target = os.path.join(tmp, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            source = os.path.join(src_dir, *rel.split("/"))
            try:
                os.link(source, target)  # no copy of large weights/shards when on the same filesystem
            except OSError:
                shutil.copy2(source, target)
        with open(os.path.join(tmp, "README.md"), "w", encoding="utf-8") as f:
            f.write(readme)
    return staging_dir
