"""Assembles an untrained LiRA from any two Hugging Face text encoders: g (multilingual) and h (English).

Each side is a local folder or a Hub id that `AutoModel` / `AutoTokenizer` load (a local folder loads offline; a
sentence-transformers folder works when its transformers files sit at its root or in the folder its `modules.json`
names), e.g. multilingual-e5 (mean pooling), an XLM-R / BERT encoder with CLS pooling, or a decoder embedding model
such as Qwen3-Embedding (last-token pooling, left padding, an instruction prefix). The backbone weights are copied
into `model.encoder` / `model.english_encoder`; the adaptor width is g's hidden size (h may be wider or narrower: its
projection maps it), the g side of the adaptor starts as the identity and LaSR's output at zero, so the untrained
model in LRL-only mode ranks like g with the chosen pooling. The folder holds the model, the processor (both
tokenizers) and the remote code, written atomically.

Usage::

    python -m push_scripts.build_lira --encoder artifacts/backbones/multilingual-e5-small \
        --english-encoder artifacts/backbones/all-mpnet-base-v2 --out artifacts/lira-mpnet
    python -m push_scripts.build_lira --encoder Qwen/Qwen3-Embedding-0.6B --encoder-pooling last_token \
        --encoder-padding-side left --query-prefix $'Instruct: Given a product search query, retrieve relevant \
products\nQuery:' --document-prefix '' --english-encoder artifacts/backbones/all-MiniLM-L6-v2 --out artifacts/lira-qwen
"""

import argparse
import json
import os

from lira_utils.arguments import run_cli
from lira_utils.atomic import atomic_folder, atomic_write_json, check_output_folder
from modeling_lira import LiraConfig, LiraModel, LiraProcessor
from modeling_lira.configuration_lira import PADDING_SIDES, POOLINGS


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


def _transformers_folder(path):
    """`path`, or the Transformer module's folder of a sentence-transformers folder without a root config.json."""
    modules = os.path.join(path, "modules.json")
    if os.path.isfile(os.path.join(path, "config.json")) or not os.path.isfile(modules):
        return path
    with open(modules, encoding="utf-8") as f:
        for module in json.load(f):
            if str(module.get("type", "")).endswith("Transformer"):
                return os.path.join(path, module.get("path", ""))
    return path


def load_backbone(source, flag):
    """`(model, tokenizer)` of one side.

    Args:
        source: a local folder or Hub id (`str` / `os.PathLike`), an already loaded `(model, tokenizer)` pair, or a
            function returning one (called here, after the output folder was checked).
        flag (`str`): how errors name the side (`"--encoder"`).

    Raises:
        `ValueError`: `source` does not load as a transformers model and tokenizer.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    if callable(source) and not isinstance(source, torch.nn.Module):
        source = source()
    if isinstance(source, (tuple, list)) and len(source) == 2:
        return source
    if not isinstance(source, (str, os.PathLike)) or not os.fspath(source):
        raise ValueError(f"{flag}={source!r} must be a local folder, a Hub id or a (model, tokenizer) pair.")
    path = os.fspath(source)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{flag} {path!r} is a file; pass the folder that holds config.json and the tokenizer.")
    local = os.path.isdir(path)
    path = _transformers_folder(path) if local else path
    kwargs = {"local_files_only": True} if local else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
        try:  # LiRA reads the token states: no pooler (decoders such as Qwen3Model have none to drop)
            model = AutoModel.from_pretrained(path, dtype=torch.float32, add_pooling_layer=False, **kwargs)
        except TypeError:
            model = AutoModel.from_pretrained(path, dtype=torch.float32, **kwargs)
    except (OSError, ValueError, KeyError) as err:
        message = str(err) if len(str(err)) <= 300 else str(err)[:300] + "..."
        raise ValueError(f"{flag} {path!r} does not load as a transformers model + tokenizer ({message}); pass a "
                         f"folder with config.json, weights and a tokenizer, or a Hub id (needs the network)."
                         ) from err
    return model.eval(), tokenizer


def _copy_weights(target, source, flag):
    """Loads the backbone `source`'s weights into LiRA's sub-encoder `target` (an unused pooler is dropped).

    Raises:
        `ValueError`: the two do not hold the same weights (a different architecture or size).
    """
    missing, unexpected = target.load_state_dict(source.state_dict(), strict=False)
    unexpected = [k for k in unexpected if not k.startswith("pooler.")]
    if missing or unexpected:
        raise ValueError(f"{flag}: the backbone's weights do not fit the encoder its config builds (missing "
                         f"{missing[:5]}, unexpected {unexpected[:5]}).")


def _padding_ready(tokenizer, flag):
    """A tokenizer that can pad: one without a pad token (decoders) pads with its end-of-sequence token, which LiRA
    never reads (the attention mask hides it)."""
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ValueError(f"{flag}: the tokenizer has neither a pad nor an end-of-sequence token; set "
                             f"tokenizer.pad_token and save it first.")
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def build_lira(encoder, english_encoder, out_dir, *, encoder_pooling="mean", english_pooling="mean",
               encoder_padding_side=None, english_padding_side=None, query_prefix="query: ",
               document_prefix="passage: ", english_prefix="", overwrite=False, **config_overrides):
    """Builds and saves an untrained LiRA (model + processor with both tokenizers + remote code).

    Args:
        encoder: g, the multilingual encoder: a local folder or Hub id, a `(model, tokenizer)` pair, or a function
            returning one (see `load_backbone`).
        english_encoder: h, the English encoder, in the same forms.
        out_dir (`str`): output folder, written atomically.
        encoder_pooling, english_pooling (`str`, *optional*, default to `"mean"`): `"mean"`, `"cls"` or
            `"last_token"` (`LiraConfig.encoder_pooling`).
        encoder_padding_side, english_padding_side (`str`, *optional*): `"right"` or `"left"`; None takes the
            tokenizer's own side (Qwen3-Embedding's is left).
        query_prefix (`str`, *optional*, defaults to `"query: "`), document_prefix (`str`, *optional*, defaults to
            `"passage: "`), english_prefix (`str`, *optional*, defaults to `""`): the prefixes per side.
        overwrite (`bool`, *optional*, defaults to `False`): replace a LiRA folder already at `out_dir`.
        config_overrides: other [`LiraConfig`] arguments (`adaptor_dim` defaults to g's hidden size).

    Returns:
        `str`: the output folder.

    Raises:
        `ValueError`: `out_dir` holds files LiRA did not write, or a LiRA output without `overwrite` (checked before
            the backbones load); a side that does not load; a bad pooling, padding side or prefix (named by
            `LiraConfig`).
    """
    check_output_folder(out_dir, overwrite=overwrite, what="--out")
    g, g_tokenizer = load_backbone(encoder, "--encoder")
    h, h_tokenizer = load_backbone(english_encoder, "--english-encoder")
    g_tokenizer, h_tokenizer = _padding_ready(g_tokenizer, "--encoder"), _padding_ready(h_tokenizer,
                                                                                       "--english-encoder")
    config = LiraConfig(
        encoder_config=g.config.to_dict(), english_encoder_config=h.config.to_dict(),
        **{"adaptor_dim": g.config.hidden_size, **config_overrides}, encoder_pooling=encoder_pooling,
        english_pooling=english_pooling, encoder_padding_side=encoder_padding_side or g_tokenizer.padding_side,
        english_padding_side=english_padding_side or h_tokenizer.padding_side, query_prefix=query_prefix,
        document_prefix=document_prefix, english_prefix=english_prefix)
    model = LiraModel(config)
    _copy_weights(model.encoder, g, "--encoder")
    _copy_weights(model.english_encoder, h, "--english-encoder")
    del g, h
    processor = LiraProcessor.from_config(config, g_tokenizer, h_tokenizer)
    with atomic_folder(out_dir, overwrite=overwrite, what="--out") as tmp:
        model.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        for sub in ("", "english_tokenizer"):  # loading-time flags must not travel to the Hub
            drop_json_keys(os.path.join(tmp, sub, "tokenizer_config.json"), ("is_local", "local_files_only"))
    return out_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", required=True, help="g: a local folder or Hub id (multilingual encoder).")
    parser.add_argument("--english-encoder", required=True, help="h: a local folder or Hub id (English encoder).")
    parser.add_argument("--out", required=True)
    parser.add_argument("--encoder-pooling", choices=POOLINGS, default="mean")
    parser.add_argument("--english-pooling", choices=POOLINGS, default="mean")
    parser.add_argument("--encoder-padding-side", choices=PADDING_SIDES, default=None,
                        help="default: the tokenizer's own side")
    parser.add_argument("--english-padding-side", choices=PADDING_SIDES, default=None)
    parser.add_argument("--query-prefix", default="query: ")
    parser.add_argument("--document-prefix", default="passage: ")
    parser.add_argument("--english-prefix", default="")
    parser.add_argument("--config-overrides", default="",
                        help="other LiraConfig numbers, e.g. `adaptor_dim=256,num_bins=8`")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    overrides = {}
    if args.config_overrides:
        from training.train import LiraRunArguments

        overrides = LiraRunArguments(config_overrides=args.config_overrides).parsed_config_overrides()
    print(build_lira(args.encoder, args.english_encoder, args.out, encoder_pooling=args.encoder_pooling,
                     english_pooling=args.english_pooling, encoder_padding_side=args.encoder_padding_side,
                     english_padding_side=args.english_padding_side, query_prefix=args.query_prefix,
                     document_prefix=args.document_prefix, english_prefix=args.english_prefix,
                     overwrite=args.overwrite, **overrides))


if __name__ == "__main__":
    run_cli(main)
