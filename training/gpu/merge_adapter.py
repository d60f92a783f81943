"""Merges a LiRA adapter trained elsewhere (e.g. on a lent GPU, on a vocabulary-trimmed copy) into the full model.

    python -m training.gpu.merge_adapter --adapter runs/gpu/adapter-s13 --model artifacts/lira-small \\
        --dataset artifacts/lira-products --output-dir artifacts/gpu/lira-s13

The adapter folder is what `python -m training ... --adapter-only` writes to `run_dir/adapter`: the PEFT adapter
(LoRA on g + the LiRA heads) and `training_facts.json` with the run's arguments. LoRA and heads have no vocabulary
dimension, so an adapter trained on the trimmed model applies to the full one unchanged. The base model is loaded
with the run's own `--config-overrides` and `--no-language`, and the merged model is finished exactly like a local
run (`training.train.finish_training`: language-id refit, s chosen on validation, atomic save).
"""

import argparse
import json
import os

from lira_utils.dataset import load_corpus_rows, load_query_rows
from ..data import sample_train_rows
from ..train import LiraRunArguments, finish_training

FACTS = "training_facts.json"


def run_args_from_facts(facts, **updates):
    """The `LiraRunArguments` of a finished run (from its facts), with `updates` applied (local paths)."""
    known = {f for f in LiraRunArguments.__dataclass_fields__}
    saved = {k: v for k, v in facts.get("args", {}).items() if k in known}
    return LiraRunArguments(**{**saved, **updates, "adapter_only": False})


def merge_adapter(adapter_dir, model_dir, dataset_dir, output_dir):
    """Loads `model_dir` as the run did, applies the adapter, merges and finishes it into `output_dir`.

    Returns:
        `dict`: the run's facts plus those of the finishing steps.
    """
    from peft import PeftModel

    from modeling_lira import LiraModel, LiraProcessor

    path = os.path.join(adapter_dir, FACTS)
    if not os.path.exists(os.path.join(adapter_dir, "adapter_config.json")) or not os.path.exists(path):
        raise ValueError(f"{adapter_dir!r} is not an adapter folder of `python -m training --adapter-only` (needs "
                         f"adapter_config.json and {FACTS}).")
    with open(path, encoding="utf-8") as f:
        facts = json.load(f)
    args = run_args_from_facts(facts, model=model_dir, dataset=dataset_dir, output_dir=output_dir)
    processor = LiraProcessor.from_pretrained(model_dir)
    model = LiraModel.from_pretrained(model_dir, **args.parsed_config_overrides())  # as `run_training` without ablation
    merged = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    languages = args.language_list()
    corpus = load_corpus_rows(dataset_dir)
    train_rows = sample_train_rows(load_query_rows(dataset_dir, languages, "train",
                                                   args.max_train_queries_per_language or None),
                                   args.train_queries_per_language, args.seed)  # the rows the run trained on
    facts["merged_from"] = os.path.abspath(adapter_dir)
    finish_training(merged, processor, args, train_rows, corpus, facts)
    return facts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adapter", required=True, help="adapter folder (run_dir/adapter of an --adapter-only run)")
    parser.add_argument("--model", default="artifacts/lira-small", help="the full LiRA folder the run started from")
    parser.add_argument("--dataset", default="artifacts/lira-products")
    parser.add_argument("--output-dir", required=True)
    args = parser.parse_args(argv)
    facts = merge_adapter(args.adapter, args.model, args.dataset, args.output_dir)
    print(f"merged {args.adapter} into {args.output_dir} (s = {facts.get('english_scale', {}).get('english_scale')})")


if __name__ == "__main__":
    main()
