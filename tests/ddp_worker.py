"""One training step on a tiny model, run alone or under `torchrun` (used by test_training_ddp): a LiraTrainer
stage-2 step (`--system lira`) or a plain fine-tune step (`--system finetune`).

    python tests/ddp_worker.py --system lira --out result.pt --batch-size 4
    torchrun --nproc_per_node 2 tests/ddp_worker.py --system lira --out result.pt --batch-size 2

Both read the same planned global batch of 4 (query, product) pairs; rank 0 writes the logged loss and the updated
parameters to `--out`.
"""

import argparse
import faulthandler
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
from transformers import TrainingArguments  # noqa: E402

from modeling_lira import LiraConfig, LiraModel, LiraProcessor  # noqa: E402
from tests.fixtures_model import WORDS, make_word_tokenizer, tiny_config_kwargs  # noqa: E402
from tests.fixtures_training import tiny_rows  # noqa: E402
from training.collator import LiraRetrievalCollator  # noqa: E402
from training.data import LiraQueryDataset, plan_batches  # noqa: E402
from training.distributed import finish_distributed, world_size  # noqa: E402
from training.finetune import LiraFinetuneTrainer, LiraPairCollator  # noqa: E402
from training.trainer import LiraTrainer  # noqa: E402

GLOBAL_BATCH = 4
NO_DROPOUT = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def tiny_model(seed=1):
    kwargs = tiny_config_kwargs(distillation_weight=1.0)
    kwargs["encoder_config"] = dict(kwargs["encoder_config"], **NO_DROPOUT)
    kwargs["english_encoder_config"] = dict(kwargs["english_encoder_config"], **NO_DROPOUT)
    torch.manual_seed(seed)
    return LiraModel(LiraConfig(**kwargs))


def tiny_bert(seed=1):
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    return BertModel(BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                intermediate_size=48, max_position_embeddings=64, pad_token_id=0, **NO_DROPOUT),
                     add_pooling_layer=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--system", choices=["lira", "finetune"], required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    args = parser.parse_args()
    faulthandler.dump_traceback_later(240, exit=True)  # a hung rank prints every thread's stack instead of hanging
    train_one_step(args)
    finish_distributed()  # after the Trainer is gone, as `python -m training` does


def train_one_step(args):
    """Builds the tiny model and Trainer, trains one step, rank 0 writes the loss and the weights."""
    processor = LiraProcessor(tokenizer=make_word_tokenizer(WORDS), english_tokenizer=make_word_tokenizer(WORDS),
                              num_candidates=3, max_length=16, candidate_max_length=8)
    rows, corpus = tiny_rows()
    plan = plan_batches(rows, [p["product_id"] for p in corpus], 1, GLOBAL_BATCH, seed=0)
    targs = TrainingArguments(output_dir=os.path.dirname(os.path.abspath(args.out)), max_steps=1,
                              per_device_train_batch_size=args.batch_size, optim="sgd", learning_rate=0.5,
                              max_grad_norm=0.0, warmup_steps=0, logging_steps=1, save_strategy="no", report_to=[],
                              remove_unused_columns=False, label_names=[], use_cpu=True, seed=0, disable_tqdm=True)
    if args.system == "lira":
        model = tiny_model()
        trainer = LiraTrainer(model=model, args=targs, train_dataset=LiraQueryDataset(rows, plan),
                              data_collator=LiraRetrievalCollator(processor, corpus, language_dropout=0.0),
                              stage="lasr", sample_candidates=False)
    else:
        model = tiny_bert()
        titles = {p["product_id"]: p["title_en"] for p in corpus}
        trainer = LiraFinetuneTrainer(model=model, args=targs, train_dataset=LiraQueryDataset(rows, plan),
                                      data_collator=LiraPairCollator(processor.tokenizer, titles))
    trainer.train()
    if trainer.is_world_process_zero():
        loss = next(h["loss"] for h in trainer.state.log_history if "loss" in h)
        torch.save({"world_size": world_size(), "loss": loss,
                    "params": {n: p.detach().clone() for n, p in model.named_parameters()}}, args.out)


if __name__ == "__main__":
    main()
