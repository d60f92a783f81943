"""Readers for the facts a card shows: the model folder (config, weights, query normalizer), the training arguments,
the dataset card, the study reports given as Markdown, and the sentence-transformers export folder.

Each reader takes a path, returns plain Python data and raises ``ValueError`` naming the path and the fix when the
input is unusable. Optional inputs (training arguments, dataset card, reports) are simply skipped by the caller when
absent.
"""

import json
import math
import os
import struct

from .constants import THIRD_PARTY_DATA_KEYS, WORDFREQ

# Training arguments worth a row in the card, in display order (others are left out to keep the card short).
TRAINING_KEYS = (
    "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size", "gradient_accumulation_steps",
    "warmup_ratio", "warmup_steps", "weight_decay", "lr_scheduler_type", "optim", "seed", "bf16", "fp16",
    "max_seq_length", "stage", "stages",
)


def read_model_config(model_dir):
    """Returns ``config.json`` of ``model_dir`` as a dict.

    Raises:
        `ValueError`: when ``model_dir`` has no ``config.json`` (it is not a saved model folder).
    """
    path = os.path.join(model_dir, "config.json")
    if not os.path.isfile(path):
        raise ValueError(f"{model_dir!r} has no config.json; pass the folder written by LiraModel.save_pretrained.")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _safetensors_numel(path):
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    return sum(math.prod(t["shape"]) for name, t in header.items() if name != "__metadata__")


def count_parameters(model_dir):
    """Number of stored parameters, read from the safetensors headers only (no tensor is loaded); 0 if none."""
    return sum(_safetensors_numel(os.path.join(model_dir, name))
               for name in sorted(os.listdir(model_dir)) if name.endswith(".safetensors"))


# Fields of training/'s run arguments that are local paths or machine settings, not part of the recipe.
_LOCAL_RUN_KEYS = {"model", "dataset", "output_dir", "run_dir", "num_workers", "resume"}
TRAINING_FACTS = "training_facts.json"


def read_training_args(path):
    """Training hyperparameters from a JSON file, as ``(name, value)`` rows for the card.

    Accepts ``training_facts.json`` written by ``training/`` next to the merged model (``{"args": {...},
    "train_queries": n, "best_metric": x, ...}``: every recipe field of ``args`` plus the query count, the best
    validation nDCG@10 and the English-half weight chosen after training), or a flat ``TrainingArguments`` JSON
    (the [`TRAINING_KEYS`] that are set).

    Args:
        path (`str`): the JSON file.

    Returns:
        `list[tuple[str, object]]`
    """
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object of training arguments, got {type(data).__name__}.")
    if isinstance(data.get("args"), dict):
        rows = [(k, v) for k, v in data["args"].items()
                if k not in _LOCAL_RUN_KEYS and isinstance(v, (int, float, str, bool))]
        rows += [(k, data[k]) for k in ("train_queries",) if isinstance(data.get(k), int)]
        if isinstance(data.get("best_metric"), (int, float)):
            rows.append(("best validation nDCG@10", round(float(data["best_metric"]), 4)))
        scale = data.get("english_scale")
        if isinstance(scale, dict) and isinstance(scale.get("english_scale"), (int, float)):
            rows.append(("English-half weight s (chosen on validation)", scale["english_scale"]))
        return rows
    if isinstance(data.get("training_args"), dict):
        data = data["training_args"]
    return [(k, data[k]) for k in TRAINING_KEYS if k in data and data[k] not in (None, -1, "")]


def read_dataset_card(path):
    """Facts from the dataset's README (rendered by ``dataset_builder``) through ``huggingface_hub.DatasetCard``.

    Args:
        path (`str`): a dataset ``README.md`` or the dataset folder that holds it.

    Returns:
        `dict`: ``pretty_name``, ``license`` (the ``license_name`` of an ``other`` licence), ``size_categories``,
        ``configs`` (config names) and ``languages``.
    """
    from huggingface_hub import DatasetCard

    if os.path.isdir(path):
        path = os.path.join(path, "README.md")
    if not os.path.isfile(path):
        raise ValueError(f"dataset card {path!r} does not exist; build the dataset first (python -m dataset_builder).")
    data = DatasetCard.load(path).data.to_dict()
    return {
        "pretty_name": data.get("pretty_name"),
        "license": data.get("license_name") if data.get("license") == "other" else data.get("license"),
        "size_categories": data.get("size_categories"),
        "configs": [c.get("config_name") for c in data.get("configs") or [] if isinstance(c, dict)],
        "languages": data.get("language"),
    }


def _read_json(path):
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def third_party_data(model_dir):
    """The card metadata's `third_party_data`: data shipped in the model folder under a licence of its own (the
    wordfreq word lists inside `query_normalizer.json`), or `None` when it ships none."""
    normalizer = _read_json(os.path.join(model_dir, "query_normalizer.json"))
    if not isinstance(normalizer, dict) or not (normalizer.get("real_words") or normalizer.get("lexicon")):
        return None
    return [{key: WORDFREQ[key] for key in THIRD_PARTY_DATA_KEYS}]


def normalizer_letters(model_dir):
    """"bn 3, ur 5, ..." from `query_normalizer.json`'s `min_fuzzy_letters` (5 for files without it), or `None`."""
    path = os.path.join(model_dir, "query_normalizer.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    letters = data.get("min_fuzzy_letters", 5)
    if isinstance(letters, dict):
        return ", ".join(f"{lang} {n}" for lang, n in sorted(letters.items()))
    return str(letters)


def read_markdown(path, flag, command):
    """The stripped text of a Markdown file given on the command line, or None; a missing file names the command."""
    if not path:
        return None
    if not os.path.isfile(path):
        raise ValueError(f"{flag} {path!r} is not a file; write it with `{command}`.")
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def table_languages(markdown, exclude=()):
    """Language codes in the first column of a `evaluation.compare` table (rows such as `| km | ...`)."""
    found = []
    for line in markdown.splitlines():
        cell = line.split("|")[1].strip() if line.startswith("|") and line.count("|") > 2 else ""
        if cell.isalpha() and cell.islower() and 2 <= len(cell) <= 3 and cell not in exclude and cell not in found:
            found.append(cell)
    return found


def read_st_prompts(st_dir):
    """``(prompts, default_prompt_name, pooling_mode)`` of a sentence-transformers export folder; the export's
    defaults (``query: `` / ``passage: ``, default ``query``, pooling unknown) when no folder is given."""
    prompts, default = {"query": "query: ", "document": "passage: "}, "query"
    pooling = None
    config = _read_json(os.path.join(st_dir, "config_sentence_transformers.json")) if st_dir else None
    if config is not None:
        prompts, default = config.get("prompts") or {}, config.get("default_prompt_name")
    pooling_config = _read_json(os.path.join(st_dir, "1_Pooling", "config.json")) if st_dir else None
    if pooling_config is not None:
        pooling = pooling_config.get("pooling_mode")
        pooling = pooling if isinstance(pooling, str) else None
    return prompts, default, pooling


def read_st_modules(st_dir):
    """Class names of the export's modules in order (``["Transformer", "Pooling", ...]``) from ``modules.json``."""
    path = os.path.join(st_dir, "modules.json")
    if not os.path.isfile(path):
        raise ValueError(f"{st_dir!r} has no modules.json; pass the folder written by export_sentence_transformers.")
    with open(path, encoding="utf-8") as f:
        return [m["type"].rsplit(".", 1)[-1] for m in json.load(f)]


def st_embedding_dim(st_dir):
    """``out_features`` of the export's Dense module, or `None` when it has none."""
    for name in sorted(os.listdir(st_dir)):
        path = os.path.join(st_dir, name, "config.json")
        if name.endswith("Dense") and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f).get("out_features")
    return None


def st_onnx_files(st_dir):
    """The ONNX files of the export (`onnx/*.onnx`, written by `push_scripts.export_onnx`), relative, sorted."""
    folder = os.path.join(st_dir, "onnx")
    return sorted(f"onnx/{n}" for n in os.listdir(folder) if n.endswith(".onnx")) if os.path.isdir(folder) else []
