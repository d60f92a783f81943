"""Readers for the facts a card shows: the model config, the weights, the training arguments, the dataset card.

Each reader takes a path, returns plain Python data and raises ``ValueError`` naming the path and the fix when the
input is unusable. Optional inputs (training arguments, dataset card) are simply skipped by the caller when absent.
"""

import json
import math
import os
import struct

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
