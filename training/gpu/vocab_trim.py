"""Vocabulary trimming of a saved LiRA folder: both tokenizers and word-embedding tables cut to the tokens a dataset
uses (plus a reserve), so the model travels to a machine with a 64 MiB transfer limit.

Why the trimmed model is the same model on the dataset: every kept token keeps its embedding row bit for bit (rows
are gathered, renumbered in their old order), and the tokenizers keep every piece that the full tokenizers chose
for any dataset text. WordPiece (BERT, MPNet) takes the longest piece in the vocabulary and Unigram (XLM-R) the
best-scoring segmentation; dropping pieces that no dataset text used removes neither choice, and Unigram's
unknown-piece penalty (derived from the lowest piece score) is kept by keeping the lowest-scored piece. BPE (the
byte-level BPE of Qwen3 and GPT-2) applies the lowest-ranked merge among the adjacent pairs, again and again: the
trim keeps every base token (the 256 byte-level symbols, every single character, the byte-fallback tokens), every
special token, and with each kept token every token a merge builds it from (to the base), and then exactly the
merges whose two parts and result are kept, in their old order. Each merge that fired on a dataset text built a
kept token from kept parts, so it is kept, and it is still the lowest-ranked applicable one among fewer merges:
every text is merged exactly as before. A tokenizer this module cannot trim that way (another model type, or BPE
with dropout) raises `LiraUntrimmableTokenizer`, and the GPU job sends the model untrimmed (`trim_or_copy`).
`verify_trim` measures it anyway: the token ids of every dataset text, mapped through the renumbering, and the
embeddings of a sample.

The strings measured are the ones the processor builds: g's query and document prefixes and h's English prefix are
read from the folder's `processor_config.json` (e5's `query: ` / `passage: ` and no English prefix where it has
none).

The LoRA adapter and the heads trained on the trimmed model have no vocabulary dimension, so they apply unchanged to
the full model (see `training.gpu.merge_adapter`).
"""

import glob
import json
import os
import shutil

import torch

from lira_utils.atomic import atomic_folder

from .tokenizer_trim import (TRIMMABLE, LiraUntrimmableTokenizer, check_trimmable,  # noqa: F401 (re-exported)
                             encode_all, keep_ids, trim_tokenizer_json)

TOKENIZERS = {"encoder": ".", "english_encoder": "english_tokenizer"}  # model stream -> its tokenizer subfolder
PREFIXES = ("query: ", "passage: ")  # g's prefixes where a folder's processor_config.json names none


def stream_prefixes(model_dir):
    """Per stream, the prefixes its tokenizer sees, from the folder's `processor_config.json`: g's query and
    document prefixes, h's English prefix (the defaults where the file or a key is missing)."""
    path = os.path.join(model_dir, "processor_config.json")
    saved = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
    document = saved.get("document_prefix", saved.get("passage_prefix", PREFIXES[1]))
    return {"encoder": (saved.get("query_prefix", PREFIXES[0]), document),
            "english_encoder": (saved.get("english_prefix", ""),)}


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


def stream_texts(stream, texts, prefixes=None):
    """The strings a stream's tokenizer sees: g reads prefixed queries and documents (and, measured too, the bare
    texts), h the texts with its English prefix (`""` by default: the bare texts).

    Args:
        stream (`str`): `"encoder"` or `"english_encoder"`.
        texts (`list[str]`): the dataset's strings.
        prefixes (`tuple[str]`, *optional*): the stream's prefixes (`stream_prefixes`); e5's by default.
    """
    if prefixes is None:
        prefixes = PREFIXES if stream == "encoder" else ("",)
    out = [p + t for t in texts for p in prefixes]
    return out if "" in prefixes else out + list(texts)


def _tokenizer_json(folder, sub):
    with open(os.path.join(folder, sub, "tokenizer.json"), encoding="utf-8") as f:
        return json.load(f)


def _special_ids(sub_config):
    """The pad / bos / eos ids of an encoder config (each an int, a list of ints or None), as one set."""
    ids = set()
    for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
        value = sub_config.get(name)
        ids |= set(value) if isinstance(value, list) else ({value} if isinstance(value, int) else set())
    return {i for i in ids if 0 <= i < sub_config["vocab_size"]}


def input_embedding_keys(config):
    """Per stream, the `model.safetensors` key of its token-embedding table, whatever the architecture calls it
    (`embeddings.word_embeddings` in BERT / XLM-R / MPNet, `embed_tokens` in Qwen3): read off a LiRA model built on
    the meta device (no memory, no weights) from the saved `config` dict."""
    from modeling_lira import LiraConfig, LiraModel

    with torch.device("meta"):
        model = LiraModel(LiraConfig.from_dict(config))
    names = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    return {stream: names[id(getattr(model, stream).get_input_embeddings().weight)] for stream in TOKENIZERS}


def _copy_entries(src_dir, dest_dir, skip=()):
    """Copies every file and folder of `src_dir` into `dest_dir` but the names in `skip`."""
    for entry in os.listdir(src_dir):
        src = os.path.join(src_dir, entry)
        if entry not in skip:
            (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, os.path.join(dest_dir, entry))


def trim_lira(model_dir, dataset_dir, out_dir, reserve=2000):
    """Writes a vocabulary-trimmed copy of the LiRA folder `model_dir` to `out_dir` (atomically).

    Args:
        model_dir (`str`): a saved LiRA folder (e.g. `artifacts/lira-small`).
        dataset_dir (`str`): the `lira-products` folder whose texts must tokenize as before.
        out_dir (`str`): where the trimmed folder goes.
        reserve (`int`, *optional*, defaults to 2000): the first ids of each vocabulary kept besides the used ones.

    Returns:
        `dict`: per stream the full and kept vocabulary sizes and the old -> new id map (`old2new`).

    Raises:
        `LiraUntrimmableTokenizer` (a `ValueError`): a tokenizer that cannot be trimmed exactly (checked before
            anything is read or written besides the tokenizers; `trim_or_copy` then copies the folder instead).
    """
    from safetensors.torch import load_file, save_file

    tok_jsons = {stream: _tokenizer_json(model_dir, sub) for stream, sub in TOKENIZERS.items()}
    for stream, tok_json in tok_jsons.items():
        check_trimmable(tok_json, f"{model_dir} ({stream})")
    texts = dataset_texts(dataset_dir)
    prefixes = stream_prefixes(model_dir)
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    keys = input_embedding_keys(config)
    weights = load_file(os.path.join(model_dir, "model.safetensors"))
    report, tokenizers = {}, {}
    for stream, sub in TOKENIZERS.items():
        tok_json = tok_jsons[stream]
        used = {i for ids in encode_all(tok_json, stream_texts(stream, texts, prefixes[stream])) for i in ids}
        sub_config = config[f"{stream}_config"]
        keep = keep_ids(tok_json, used, reserve, extra=_special_ids(sub_config))
        tokenizers[sub], old2new = trim_tokenizer_json(tok_json, keep)
        key = keys[stream]
        weights[key] = weights[key][torch.tensor(keep)].contiguous()  # (V', H): rows in their old order
        report[stream] = {"vocab_size": sub_config["vocab_size"], "kept": len(keep), "used": len(used),
                          "old2new": old2new}
        sub_config["vocab_size"] = len(keep)
        for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
            value = sub_config.get(name)
            if isinstance(value, list):
                sub_config[name] = [old2new[i] for i in value]
            elif value is not None:
                sub_config[name] = old2new[value]
    with atomic_folder(out_dir) as tmp:
        _copy_entries(model_dir, tmp, skip=("model.safetensors",))
        save_file(weights, os.path.join(tmp, "model.safetensors"), metadata={"format": "pt"})
        with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
        for sub, tok_json in tokenizers.items():
            with open(os.path.join(tmp, sub, "tokenizer.json"), "w", encoding="utf-8") as f:
                json.dump(tok_json, f, ensure_ascii=False)
        with open(os.path.join(tmp, "vocab_trim.json"), "w", encoding="utf-8") as f:
            json.dump({s: {k: v for k, v in r.items() if k != "old2new"} for s, r in report.items()}, f, indent=2)
    return report


def trim_or_copy(model_dir, dataset_dir, out_dir, reserve=2000):
    """`trim_lira`, or, where a tokenizer cannot be trimmed exactly, an untrimmed copy of the folder (its message
    printed) with an identity report (`kept` = `vocab_size`, `trimmed` False), so the GPU job goes on untrimmed.

    Returns:
        `dict`: as `trim_lira`, plus per stream `trimmed` (`bool`).
    """
    try:
        report = trim_lira(model_dir, dataset_dir, out_dir, reserve)
    except LiraUntrimmableTokenizer as err:
        print(f"vocabulary not trimmed: {err}")
        with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        with atomic_folder(out_dir) as tmp:
            _copy_entries(model_dir, tmp)
        report = {}
        for stream in TOKENIZERS:
            size = config[f"{stream}_config"]["vocab_size"]
            report[stream] = {"vocab_size": size, "kept": size, "used": None, "trimmed": False, "reason": str(err),
                              "old2new": {i: i for i in range(size)}}
        return report
    return {stream: dict(r, trimmed=True) for stream, r in report.items()}


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
    prefixes = stream_prefixes(model_dir)
    for stream, sub in TOKENIZERS.items():
        strings = stream_texts(stream, texts, prefixes[stream])
        full = encode_all(_tokenizer_json(model_dir, sub), strings)
        small = encode_all(_tokenizer_json(trimmed_dir, sub), strings)
        old2new = report[stream]["old2new"]
        bad = sum(1 for a, b in zip(full, small) if [old2new.get(i, -1) for i in a] != b)
        out[stream] = {"strings": len(strings), "mismatched_texts": bad}
    step = max(1, len(texts) // sample_per_stream)
    sample = texts[::step][:sample_per_stream]
    english = sample[64:128] or sample[:64]  # a dataset of fewer than 129 texts reuses them as candidates
    local = sample[:len(english)]
    diffs = []
    for folder in (model_dir, trimmed_dir):
        model, proc = LiraModel.from_pretrained(folder).eval(), LiraProcessor.from_pretrained(folder)
        with torch.no_grad():
            lrl = model(**proc(sample)).embeddings
            docs = model(**proc(sample, text_type="document")).embeddings
            cand = model(**proc(local, languages=["en"] * len(local), candidates=[[t] for t in english])).embeddings
        diffs.append(torch.cat([lrl, docs, cand]))
        del model
    out["embedded"] = 2 * len(sample) + len(local)
    out["max_abs_diff"] = float((diffs[0] - diffs[1]).abs().max())
    return out
