"""Trimming one `tokenizer.json` to a subset of its ids without changing how any text made of kept pieces tokenizes:
Unigram (XLM-R), WordPiece (BERT, MPNet), WordLevel, and BPE without dropout (the byte-level BPE of Qwen3 and GPT-2).

The argument per family is in `training.gpu.vocab_trim`'s docstring; `training.gpu.vocab_trim` applies this to both
tokenizers and embedding tables of a LiRA folder.
"""

import json

TRIMMABLE = ("Unigram", "WordPiece", "WordLevel", "BPE")


class LiraUntrimmableTokenizer(ValueError):
    """A tokenizer whose vocabulary `trim_tokenizer_json` cannot cut without changing how some text tokenizes."""


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


def _merge_pairs(merges):
    """BPE merges as `(left, right)` pairs, from either tokenizer.json form (`"a b"` strings or `["a", "b"]`)."""
    return [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in merges]


def _merge_result(model, left, right):
    """The token a BPE merge makes (the right part loses its continuing-subword prefix, as `tokenizers` does)."""
    prefix = model.get("continuing_subword_prefix") or ""
    return left + (right[len(prefix):] if prefix and right.startswith(prefix) else right)


def _bpe_base_tokens(model):
    """The BPE tokens every text may fall back to: single characters (with the continuing-subword prefix or the
    end-of-word suffix, where the model has one), which include the 256 byte-level symbols, and byte-fallback
    tokens `<0x00>` ... `<0xFF>`."""
    prefix, suffix = model.get("continuing_subword_prefix") or "", model.get("end_of_word_suffix") or ""

    def base(token):
        core = token[len(prefix):] if prefix and token.startswith(prefix) else token
        core = core[: -len(suffix)] if suffix and core.endswith(suffix) and len(core) > len(suffix) else core
        return len(core) == 1 or (len(token) == 6 and token.startswith("<0x") and token.endswith(">"))

    return {token for token in model["vocab"] if base(token)}


def _bpe_closure(model, kept):
    """`kept` token strings plus, recursively, both parts of every merge that makes one of them."""
    makers = {}
    for left, right in _merge_pairs(model.get("merges", [])):
        makers.setdefault(_merge_result(model, left, right), []).append((left, right))
    todo, kept = list(kept), set(kept)
    while todo:
        for pair in makers.get(todo.pop(), ()):
            for part in pair:
                if part not in kept and part in model["vocab"]:
                    kept.add(part)
                    todo.append(part)
    return kept


def check_trimmable(tok_json, where="tokenizer"):
    """Raises `LiraUntrimmableTokenizer` unless `trim_tokenizer_json` can cut this tokenizer exactly."""
    model = tok_json.get("model") or {}
    kind = model.get("type")
    if kind not in TRIMMABLE or (kind == "BPE" and model.get("dropout")):
        what = f"{kind} with dropout={model.get('dropout')}" if kind == "BPE" else repr(kind)
        raise LiraUntrimmableTokenizer(
            f"{where}: the tokenizer model {what} cannot be trimmed exactly (training.gpu.vocab_trim handles "
            f"Unigram, WordPiece, WordLevel and BPE without dropout); the run goes on untrimmed, the full model "
            f"travelling in shards.")


def keep_ids(tok_json, used, reserve=2000, extra=()):
    """Sorted ids to keep: used ones, added/special tokens, `extra` ids (the model config's special ids), the first
    `reserve` pieces, (Unigram) the lowest-scored piece, which fixes the unknown-piece penalty, and (BPE) every
    base token and every token a merge builds a kept token from.

    Raises:
        `LiraUntrimmableTokenizer`: the tokenizer's model type cannot be trimmed exactly (`check_trimmable`).
    """
    check_trimmable(tok_json)
    model = tok_json["model"]
    size = len(model["vocab"])
    added = {t["id"] for t in tok_json.get("added_tokens", [])}
    keep = set(used) | added | set(extra) | set(range(min(reserve, size)))
    if model["type"] == "Unigram":
        keep.add(min(range(size), key=lambda i: model["vocab"][i][1]))
        if model.get("unk_id") is not None:
            keep.add(model["unk_id"])
    elif model.get("unk_token") is not None and model["unk_token"] in model["vocab"]:
        keep.add(model["vocab"][model["unk_token"]])
    if model["type"] == "BPE":
        token_of = {i: token for token, i in model["vocab"].items()}
        tokens = {token_of[i] for i in keep if i in token_of} | _bpe_base_tokens(model)
        keep |= {model["vocab"][token] for token in _bpe_closure(model, tokens)}
    return sorted(i for i in keep if i < size or i in added or i in set(extra))


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
    elif model["type"] in ("WordPiece", "WordLevel", "BPE"):
        model["vocab"] = {piece: old2new[i] for piece, i in model["vocab"].items() if i in old2new}
        if model["type"] == "BPE":  # the merges among kept tokens, in their old order (= their old ranks)
            kept = [(m, pair) for m, pair in zip(model["merges"], _merge_pairs(model["merges"]))
                    if all(t in model["vocab"] for t in (*pair, _merge_result(model, *pair)))]
            model["merges"] = [m for m, _ in kept]
    else:
        check_trimmable(tok_json)
    for token in out.get("added_tokens", []):
        token["id"] = old2new[token["id"]]
    _remap_processor(out.get("post_processor"), old2new)
    if out.get("padding") and out["padding"].get("pad_id") is not None:
        out["padding"]["pad_id"] = old2new[out["padding"]["pad_id"]]
    return out, old2new
