"""Vocabulary trimming of a saved LiRA folder: both tokenizers and word-embedding tables cut to the tokens a dataset
uses (plus a reserve), so the model travels to a machine with a 64 MiB transfer limit.

Why the trimmed model is the same model on the dataset: every kept token keeps its embedding row bit for bit (rows
are gathered, renumbered in their old order), and the tokenizers keep every piece that the full tokenizers chose
for any dataset text. WordPiece takes the longest piece in the vocabulary and Unigram the best-scoring
segmentation; dropping pieces that no dataset text used removes neither choice, and Unigram's unknown-piece
penalty (derived from the lowest piece score) is kept by keeping the lowest-scored piece. `verify_trim` measures
it anyway: the token ids of every dataset text, mapped through the renumbering, and the embeddings of a sample.

The LoRA adapter and the heads trained on the trimmed model have no vocabulary dimension, so they apply unchanged to
the full model (see `training.gpu.merge_adapter`).
"""

import glob
import json
import os
import shutil

import torch

from lira_utils.atomic import atomic_folder

TOKENIZERS = {"encoder": ".", "english_encoder": "english_tokenizer"}  # model stream -> its tokenizer subfolder
PREFIXES = ("query: ", "passage: ")


def dataset_texts(dataset_dir):
    """Every distinct string in every Parquet file of a `lira-products` folder (queries, candidates, titles,
    keywords, localized titles), sorted."""
    import pyarrow.parquet as pq

    paths = sorted(glob.glob(os.path.join(dataset_dir, "**", "*.parquet"), recursive=True))
    if not paths:
        raise ValueError(f"no Parquet files under {dataset_dir!r}; build the dataset with "
                         f"`python -m dataset_builder build --out {dataset_dir}`.")
    texts = set()

    def walk(value):
        if isinstance(value, str):
            texts.add(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    for path in paths:
        walk(pq.read_table(path).to_pylist())
    return sorted(t for t in texts if t)


def stream_texts(stream, texts):
    """The strings a stream's tokenizer sees: g reads prefixed queries and passages, h the bare English texts."""
    if stream == "encoder":
        return [p + t for t in texts for p in PREFIXES] + list(texts)
    return list(texts)


def _tokenizer_json(folder, sub):
    with open(os.path.join(folder, sub, "tokenizer.json"), encoding="utf-8") as f:
        return json.load(f)


def _fast_tokenizer(tok_json):
    from tokenizers import Tokenizer

    return Tokenizer.from_str(json.dumps(tok_json))


def encode_all(tok_json, texts, batch=4096):
    """Token ids (with special tokens, no truncation) of `texts` under a `tokenizer.json` dict."""
    tok = _fast_tokenizer(tok_json)
    tok.no_truncation()
    tok.no_padding()
    out = []
    for i in range(0, len(texts), batch):
        out.extend(e.ids for e in tok.encode_batch(texts[i:i + batch]))
    return out


def keep_ids(tok_json, used, reserve=2000):
    """Sorted ids to keep: used ones, added/special tokens, the first `reserve` pieces and (Unigram) the lowest-
    scored piece, which fixes the unknown-piece penalty."""
    model = tok_json["model"]
    size = len(model["vocab"])
    keep = set(used) | {t["id"] for t in tok_json.get("added_tokens", [])} | set(range(min(reserve, size)))
    if model["type"] == "Unigram":
        keep.add(min(range(size), key=lambda i: model["vocab"][i][1]))
        if model.get("unk_id") is not None:
            keep.add(model["unk_id"])
    elif model.get("unk_token") is not None:
        keep.add(model["vocab"][model["unk_token"]])
    return sorted(i for i in keep if i < size or i in {t["id"] for t in tok_json.get("added_tokens", [])})


def _remap_processor(node, old2new):
    if isinstance(node, dict):
        if node.get("type") in ("RobertaProcessing", "BertProcessing"):
            for key in ("sep", "cls"):
                node[key] = [node[key][0], old2new[node[key][1]]]
        if node.get("type") == "TemplateProcessing":
            for spec in node["special_tokens"].values():
                spec["ids"] = [old2new[i] for i in spec["ids"]]
        for value in node.get("processors", []) or []:
            _remap_processor(value, old2new)


def trim_tokenizer_json(tok_json, keep):
    """A `tokenizer.json` dict holding only the ids in `keep`, renumbered 0..len(keep)-1 in their old order.

    Returns:
        `(dict, dict)`: the trimmed tokenizer and the old -> new id map.
    """
    old2new = {old: new for new, old in enumerate(keep)}
    out = json.loads(json.dumps(tok_json))
    model = out["model"]
    if model["type"] == "Unigram":
        model["vocab"] = [model["vocab"][i] for i in keep if i < len(tok_json["model"]["vocab"])]
        if model.get("unk_id") is not None:
            model["unk_id"] = old2new[model["unk_id"]]
    elif model["type"] in ("WordPiece", "WordLevel"):
        model["vocab"] = {piece: old2new[i] for piece, i in model["vocab"].items() if i in old2new}
    else:
        raise ValueError(f"tokenizer model {model['type']!r} cannot be trimmed; supported: Unigram, WordPiece, "
                         f"WordLevel (or send the full model in shards: python -m training.gpu --shards).")
    for token in out.get("added_tokens", []):
        token["id"] = old2new[token["id"]]
    _remap_processor(out.get("post_processor"), old2new)
    if out.get("padding") and out["padding"].get("pad_id") is not None:
        out["padding"]["pad_id"] = old2new[out["padding"]["pad_id"]]
    return out, old2new


def trim_lira(model_dir, dataset_dir, out_dir, reserve=2000):
    """Writes a vocabulary-trimmed copy of the LiRA folder `model_dir` to `out_dir` (atomically).

    Args:
        model_dir (`str`): a saved LiRA folder (e.g. `artifacts/lira-small`).
        dataset_dir (`str`): the `lira-products` folder whose texts must tokenize as before.
        out_dir (`str`): where the trimmed folder goes.
        reserve (`int`, *optional*, defaults to 2000): the first ids of each vocabulary kept besides the used ones.

    Returns:
        `dict`: per stream the full and kept vocabulary sizes and the old -> new id map (`old2new`).
    """
    from safetensors.torch import load_file, save_file

    texts = dataset_texts(dataset_dir)
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    weights = load_file(os.path.join(model_dir, "model.safetensors"))
    report, tokenizers = {}, {}
    for stream, sub in TOKENIZERS.items():
        tok_json = _tokenizer_json(model_dir, sub)
        used = {i for ids in encode_all(tok_json, stream_texts(stream, texts)) for i in ids}
        keep = keep_ids(tok_json, used, reserve)
        tokenizers[sub], old2new = trim_tokenizer_json(tok_json, keep)
        key = f"{stream}.embeddings.word_embeddings.weight"
        weights[key] = weights[key][torch.tensor(keep)].contiguous()  # (V', H): rows in their old order
        sub_config = config[f"{stream}_config"]
        report[stream] = {"vocab_size": sub_config["vocab_size"], "kept": len(keep), "used": len(used),
                          "old2new": old2new}
        sub_config["vocab_size"] = len(keep)
        for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
            if sub_config.get(name) is not None:
                sub_config[name] = old2new[sub_config[name]]
    with atomic_folder(out_dir) as tmp:
        for entry in os.listdir(model_dir):
            src = os.path.join(model_dir, entry)
            if entry != "model.safetensors":
                (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, os.path.join(tmp, entry))
        save_file(weights, os.path.join(tmp, "model.safetensors"), metadata={"format": "pt"})
        with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
        for sub, tok_json in tokenizers.items():
            with open(os.path.join(tmp, sub, "tokenizer.json"), "w", encoding="utf-8") as f:
                json.dump(tok_json, f, ensure_ascii=False)
        with open(os.path.join(tmp, "vocab_trim.json"), "w", encoding="utf-8") as f:
            json.dump({s: {k: v for k, v in r.items() if k != "old2new"} for s, r in report.items()}, f, indent=2)
    return report


def verify_trim(model_dir, trimmed_dir, dataset_dir, report, sample_per_stream=256):
    """Measures that the trimmed folder is the full model on the dataset.

    Every dataset text is tokenized by both folders' tokenizers: the full ids mapped through `old2new` must equal
    the trimmed ids. Then `sample_per_stream` texts go through both models in LRL-only mode and as candidates.

    Returns:
        `dict`: `texts`, per stream `mismatched_texts`, and `max_abs_diff` of the sampled embeddings.
    """
    from modeling_lira import LiraModel, LiraProcessor

    texts = dataset_texts(dataset_dir)
    out = {"texts": len(texts)}
    for stream, sub in TOKENIZERS.items():
        strings = stream_texts(stream, texts)
        full = encode_all(_tokenizer_json(model_dir, sub), strings)
        small = encode_all(_tokenizer_json(trimmed_dir, sub), strings)
        old2new = report[stream]["old2new"]
        bad = sum(1 for a, b in zip(full, small) if [old2new.get(i, -1) for i in a] != b)
        out[stream] = {"strings": len(strings), "mismatched_texts": bad}
    step = max(1, len(texts) // sample_per_stream)
    sample = texts[::step][:sample_per_stream]
    diffs = []
    for folder in (model_dir, trimmed_dir):
        model, proc = LiraModel.from_pretrained(folder).eval(), LiraProcessor.from_pretrained(folder)
        with torch.no_grad():
            lrl = model(**proc(sample)).embeddings
            cand = model(**proc(sample[:64], languages=["en"] * len(sample[:64]),
                                candidates=[[t] for t in sample[64:128]])).embeddings
        diffs.append(torch.cat([lrl, cand]))
        del model
    out["embedded"] = len(sample) + 64
    out["max_abs_diff"] = float((diffs[0] - diffs[1]).abs().max())
    return out
