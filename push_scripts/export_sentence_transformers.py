"""Exports LiRA's LRL-only anchored vector as a stock sentence-transformers folder (no custom code).

Transformer(g) -> Pooling(mean, prompt included) -> Dense(identity activation, = shared o lrl_in of the adaptor)
-> Normalize. This is exactly `LiraModel(...).anchored_embeddings` (see `modeling_lira/anchoring.py`), so the
Hub's sentence-similarity widget, TEI and the ONNX/OpenVINO backends can serve it.

Usage::

    python -m push_scripts.export_sentence_transformers --model artifacts/lira-small-trained --out artifacts/lira-st
"""

import argparse
import os
import shutil

import torch

from lira_utils.atomic import atomic_folder, check_output_folder
from modeling_lira import LiraModel, LiraProcessor
from push_scripts.build_lira_small import drop_json_keys
from lira_utils.arguments import run_cli


_PROCESSOR_KEYS = ("processor_class", "auto_map", "is_local", "local_files_only")


def export_sentence_transformers(model_dir, out_dir, model=None, processor=None):
    """Writes the sentence-transformers export of a LiRA folder.

    Args:
        model_dir (`str`): a saved LiRA folder (model + processor).
        out_dir (`str`): output folder, written atomically (temp folder, then rename).
        model ([`LiraModel`], *optional*): an already loaded model (skips loading from `model_dir`).
        processor ([`LiraProcessor`], *optional*): an already loaded processor.

    Returns:
        `str`: the output folder.

    Raises:
        `ValueError`: `out_dir` holds files that LiRA did not write (checked before the model loads).
    """
    check_output_folder(out_dir)
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Dense, Normalize, Pooling, Transformer

    model = model or LiraModel.from_pretrained(model_dir)
    processor = processor or LiraProcessor.from_pretrained(model_dir)
    with atomic_folder(out_dir, prefix=".tmp-lira-st-") as tmp:
        backbone_dir = os.path.join(tmp, "_backbone")
        model.encoder.save_pretrained(backbone_dir)
        processor.tokenizer.save_pretrained(backbone_dir)
        # drop the processor link so sentence-transformers loads the bare tokenizer, not LiraProcessor
        drop_json_keys(os.path.join(backbone_dir, "tokenizer_config.json"), _PROCESSOR_KEYS)
        weight, bias = model.adaptor.fused_lrl_dense()
        transformer = Transformer(backbone_dir, max_seq_length=processor.max_length)
        hidden = model.config.encoder_config.hidden_size
        dense = Dense(hidden, model.config.adaptor_dim, bias=True, activation_function=torch.nn.Identity(),
                      init_weight=weight.detach().float().clone(), init_bias=bias.detach().float().clone())
        st = SentenceTransformer(
            modules=[transformer, Pooling(hidden, pooling_mode="mean", include_prompt=True), dense, Normalize()],
            prompts={"query": processor.query_prefix, "document": processor.passage_prefix},
            similarity_fn_name="cosine", device="cpu",
        )
        st.save(tmp)
        shutil.rmtree(backbone_dir)
    return out_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description="Export LiRA's anchored LRL vector as a sentence-transformers model.")
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    print(export_sentence_transformers(args.model, args.out))


if __name__ == "__main__":
    run_cli(main)
