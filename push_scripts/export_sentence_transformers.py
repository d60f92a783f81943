"""Exports LiRA's LRL-only anchored vector as a stock sentence-transformers folder (no custom code).

Transformer(g) -> Pooling(the config's `encoder_pooling`, prompt included) -> Dense(identity activation, = shared o
lrl_in of the adaptor) -> Normalize. This is exactly `LiraModel(...).anchored_embeddings` (see
`modeling_lira/anchoring.py`), so the Hub's sentence-similarity widget, TEI and the ONNX/OpenVINO backends can serve
it.

Prompts: `query` and `document` hold the processor's query and document prefixes (the e5 `"query: "` /
`"passage: "` by default; `LiraProcessor.from_config` copies them from the config's `query_prefix` /
`document_prefix`), so `encode_query` / `encode_document` embed exactly as the full model's processor does.
`default_prompt_name` is `"query"` (see [`DEFAULT_PROMPT_NAME`]): a plain `encode(texts)`, the Hub widget and a
prompt-less TEI request embed like `processor(texts)`, whose default `text_type` is `"query"` too.

The export reads text as typed: it has no query normalizer (romanized or unaccented queries are not rewritten);
normalize them first with the full model's `processor.query_normalizer` (see the cards).

Usage::

    python -m push_scripts.export_sentence_transformers --model artifacts/lira-small-trained --out artifacts/lira-st
"""

import argparse
import json
import os
import shutil

import torch

from lira_utils.arguments import run_cli
from lira_utils.atomic import atomic_folder, atomic_write_json, check_output_folder
from modeling_lira import LiraModel, LiraProcessor
from push_scripts.build_lira import drop_json_keys

_PROCESSOR_KEYS = ("processor_class", "auto_map", "is_local", "local_files_only")
# LiRA's pooling names (`LiraConfig.encoder_pooling`) -> sentence-transformers `Pooling(pooling_mode=...)`.
POOLING_MODES = {"mean": "mean", "cls": "cls", "last_token": "lasttoken"}
PROMPT_NAMES = ("query", "document")
DEFAULT_PROMPT_NAME = "query"
"""The prompt a plain `encode(texts)` uses. `"query"`: multilingual-e5's own card says to use `"query: "` for
symmetric tasks such as similarity (what the Hub's sentence-similarity widget computes), and it is the side the full
model's processor embeds by default (`text_type="query"`). Retrieval code should call `encode_query` /
`encode_document`, which pick the prompt themselves."""


def export_pooling_mode(config):
    """The sentence-transformers pooling mode of g's sentence vector: `config.encoder_pooling` (`"mean"` for configs
    saved before the field existed) mapped through [`POOLING_MODES`].

    Raises:
        `ValueError`: a pooling that has no sentence-transformers equivalent.
    """
    pooling = getattr(config, "encoder_pooling", "mean")
    if pooling not in POOLING_MODES:
        raise ValueError(f"encoder_pooling={pooling!r} has no sentence-transformers Pooling mode; use one of "
                         f"{sorted(POOLING_MODES)}.")
    return POOLING_MODES[pooling]


def export_prompts(config, processor):
    """`{"query": ..., "document": ...}`: the prefixes the processor puts before queries and documents (what the full
    model is fed), falling back to the config's `query_prefix` / `document_prefix`, then to the e5 defaults."""
    sources = {"query": (("query_prefix",), "query_prefix", "query: "),
               "document": (("document_prefix", "passage_prefix"), "document_prefix", "passage: ")}
    prompts = {}
    for name, (processor_keys, config_key, default) in sources.items():
        value = next((getattr(processor, key) for key in processor_keys if getattr(processor, key, None) is not None),
                     None)
        prompts[name] = value if value is not None else getattr(config, config_key, default)
    return prompts


def export_sentence_transformers(model_dir, out_dir, model=None, processor=None):
    """Writes the sentence-transformers export of a LiRA folder.

    Args:
        model_dir (`str`): a saved LiRA folder (model + processor).
        out_dir (`str`): output folder, written atomically (temp folder, then rename).
        model ([`LiraModel`], *optional*): an already loaded model, whole or `lrl_only` (skips loading from
            `model_dir`, which is otherwise loaded with `lrl_only=True`).
        processor ([`LiraProcessor`], *optional*): an already loaded processor.

    Returns:
        `str`: the output folder.

    Raises:
        `ValueError`: `out_dir` holds files that LiRA did not write (checked before the model loads), or the
            config's `encoder_pooling` / `encoder_padding_side` has no sentence-transformers equivalent.
    """
    check_output_folder(out_dir)
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer

    # the export reads g and the adaptor's LRL path only: LRL-only loading leaves h, the actor and LaSR on disk
    model = model or LiraModel.from_pretrained(model_dir, lrl_only=True)
    processor = processor or LiraProcessor.from_pretrained(model_dir)
    config = model.config
    pooling_mode = export_pooling_mode(config)
    padding_side = getattr(config, "encoder_padding_side", None) or processor.tokenizer.padding_side
    if padding_side not in ("right", "left"):
        raise ValueError(f"encoder_padding_side={padding_side!r} must be 'right' or 'left'.")
    with atomic_folder(out_dir, prefix=".tmp-lira-st-") as tmp:
        backbone_dir = os.path.join(tmp, "_backbone")
        model.encoder.save_pretrained(backbone_dir)
        processor.tokenizer.save_pretrained(backbone_dir)
        tokenizer_config = os.path.join(backbone_dir, "tokenizer_config.json")
        # drop the processor link so sentence-transformers loads the bare tokenizer, not LiraProcessor
        drop_json_keys(tokenizer_config, _PROCESSOR_KEYS)
        # the padding side, which the Transformer module's tokenizer reads back (an absolute-position encoder such as
        # BERT gives other vectors when padded on the other side; transformers saves it only when set at init)
        with open(tokenizer_config, encoding="utf-8") as f:
            atomic_write_json(tokenizer_config, {**json.load(f), "padding_side": padding_side})
        weight, bias = model.adaptor.fused_lrl_dense()
        transformer = Transformer(backbone_dir, max_seq_length=processor.max_length)
        hidden = config.encoder_config.hidden_size
        dense = Dense(hidden, config.adaptor_dim, bias=True, activation_function=torch.nn.Identity(),
                      init_weight=weight.detach().float().clone(), init_bias=bias.detach().float().clone())
        st = SentenceTransformer(
            modules=[transformer, Pooling(hidden, pooling_mode=pooling_mode, include_prompt=True), dense, Normalize()],
            prompts=export_prompts(config, processor), default_prompt_name=DEFAULT_PROMPT_NAME,
            similarity_fn_name="cosine", device="cpu",
        )
        st.save(tmp)
        shutil.rmtree(backbone_dir)
        # loading records where the tokenizer came from (`is_local`, `local_files_only`): not part of a Hub folder
        drop_json_keys(os.path.join(tmp, "tokenizer_config.json"), _PROCESSOR_KEYS)
    return out_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description="Export LiRA's anchored LRL vector as a sentence-transformers model.")
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    print(export_sentence_transformers(args.model, args.out))


if __name__ == "__main__":
    run_cli(main)
