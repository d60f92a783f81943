"""The `finetune` baseline: a plain InfoNCE fine-tune of the backbone, the strongest simple thing a user would try.

    python -m training.finetune --dataset artifacts/lira-products --output-dir artifacts/finetune --steps 180 --seed 13

Recipe (`../shared/docs/finetune_baseline.md`, measured at macro nDCG@10 0.451 on the full test split):

* model: multilingual-e5-small (`artifacts/backbones/multilingual-e5-small`), mean pooling, `query: ` / `passage: `
  prefixes, max length 32; every weight trains except the word-embedding table (frozen: 96 M of its 118 M
  parameters, and the reason it fits in a few minutes on 2 CPU cores);
* batches: `batch_size` train queries drawn uniformly from all languages' train rows, each with one positive (a
  highest-grade relevant product), the positives of one batch all distinct (a query whose positive is already in
  the batch is skipped), planned up front from `seed` so a run is reproducible and resumable;
* loss: symmetric InfoNCE (query -> products and product -> queries) at temperature 0.05 over in-batch products;
  an in-batch product that is also relevant to the query is masked out as a negative;
* optimiser: AdamW lr 3e-5, weight decay 0.01, 10 % warm-up then linear decay, grad-norm clip 1.0 (`Trainer`).

Budget: `--steps` x `--batch-size` (query, product) pairs; the main job gives it LiRA's stage-1 + stage-2 steps at
the same batch, so both see the same number of pairs from the same train split. After training, the late-fusion
weight w is chosen on validation (`training.late_fusion`) and saved beside the model.
"""

import json
import os
from dataclasses import asdict, dataclass, field

import torch
from torch.utils.data import SequentialSampler
from transformers import AutoModel, AutoTokenizer, HfArgumentParser, Trainer, TrainingArguments, set_seed

from lira_utils.arguments import check_fields
from lira_utils.atomic import atomic_folder, check_output_folder
from modeling_lira.losses import symmetric_info_nce_loss

from .data import LiraDataArguments, LiraQueryDataset, plan_digest, training_rows
from lira_utils.dataset import load_corpus_rows, parse_languages
from .distributed import finish_distributed, gather_padded, gather_with_local_grad, scale_for_average
from .device import device_settings
from .reuse import LiraReuseArguments, reusable, run_inputs, saved_facts
from .train_noise import LiraTrainNoise
from lira_utils.defaults import BATCH_SIZE, FINETUNE_STEPS, LANGUAGES, LORA_DROPOUT, SEED
from lira_utils.arguments import run_cli

FACTS_FILE = "finetune_facts.json"


@dataclass
class LiraFinetuneArguments(LiraDataArguments, LiraReuseArguments):
    """What the plain fine-tune trains on and how; every field is a command-line flag."""

    model: str = field(default="artifacts/backbones/multilingual-e5-small", metadata={"help": "Backbone folder."})
    dataset: str = field(default="artifacts/lira-products", metadata={"help": "Built lira-products folder."})
    output_dir: str = field(default="artifacts/finetune", metadata={"help": "Fine-tuned model folder."})
    run_dir: str = field(default="runs/finetune", metadata={"help": "Trainer checkpoints."})
    languages: str = field(default=LANGUAGES)
    steps: int = field(default=FINETUNE_STEPS, metadata={"help": "Optimizer steps (LiRA's stage 1 + stage 2 in the main job)."})
    batch_size: int = field(default=BATCH_SIZE, metadata={"help": "Queries (and distinct positive products) per batch."})
    learning_rate: float = field(default=3e-5)
    weight_decay: float = field(default=0.01)
    warmup_ratio: float = field(default=0.1)
    temperature: float = field(default=0.05)
    max_length: int = field(default=32)
    seed: int = field(default=SEED)
    logging_steps: int = field(default=10)
    save_steps: int = field(default=60, metadata={"help": "Checkpoint every N steps (for --resume)."})
    resume: bool = field(default=False, metadata={"help": "Resume from the last checkpoint in run_dir."})
    num_workers: int = field(default=0)
    train_noise_rate: float = field(default=0.0, metadata={
        "help": "Share of train queries rewritten by the test_noisy noise generators (as LiRA's "
                "--train-noise-rate; same seed and rate -> the same noisy queries)."})
    lora_r: int = field(default=0, metadata={
        "help": "0 = full fine-tune; r > 0 = LoRA of rank r on the same linear layers LiRA adapts (merged before "
                "saving, so the folder is a plain encoder). Use LiRA's stage-2 rate with it (--learning-rate 2e-4)."})
    lora_alpha: int = field(default=16)
    lora_dropout: float = field(default=LORA_DROPOUT, metadata={
        "help": "Dropout on the LoRA path, as LiRA's (lira_utils/defaults.py)."})
    late_fusion_queries_per_language: int = field(default=200, metadata={
        "help": "Validation queries per language on which the late-fusion weight is chosen (0 = skip)."})
    english_encoder: str = field(default="artifacts/backbones/all-MiniLM-L6-v2", metadata={
        "help": "English encoder of the late-fusion baseline (LiRA's h)."})

    def __post_init__(self):
        for name in ("steps", "batch_size", "max_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} {getattr(self, name)} must be >= 1.")
        if self.batch_size < 2:
            raise ValueError(f"--batch-size {self.batch_size}: InfoNCE needs at least 2 products per batch.")
        if not self.temperature > 0:
            raise ValueError(f"--temperature {self.temperature} must be > 0, e.g. 0.05.")
        check_fields(self, counts={"train_queries_per_language": (0, None), "lora_r": (0, 4096),
                                   "lora_alpha": (1, 65_536)}, numbers={"parallel_share": (0.0, 1.0), "lora_dropout": (0.0, 0.99)})


class LiraPairCollator:
    """Tokenises B planned (query, positive) pairs (items of `LiraQueryDataset(rows, plan)`: a query row with its
    `positive_id`) and keys their products, so the loss can mask in-batch (and, under DDP, cross-rank) false
    negatives.

    Returns `query_*` and `passage_*` tensors `(B, L)`, `positive_keys (B,)` (corpus index of each positive) and
    `relevant_keys (B, R)` (corpus indices of each query's relevant products, -1 padded).
    """

    def __init__(self, tokenizer, titles, max_length=32):
        self.tokenizer, self.titles, self.max_length = tokenizer, titles, max_length
        self.keys = {pid: i for i, pid in enumerate(titles)}

    def __call__(self, items):
        def tok(texts):
            return self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,
                                  return_tensors="pt")

        q = tok(["query: " + it["query"] for it in items])
        positives = [it["positive_id"] for it in items]
        d = tok(["passage: " + self.titles[pid] for pid in positives])
        width = max(1, max(len(it["relevant_ids"]) for it in items))
        relevant = torch.full((len(items), width), -1, dtype=torch.long)  # (B, R)
        for i, it in enumerate(items):
            for j, pid in enumerate(it["relevant_ids"]):
                relevant[i, j] = self.keys.get(pid, -1)
        return {"query_input_ids": q["input_ids"], "query_attention_mask": q["attention_mask"],
                "passage_input_ids": d["input_ids"], "passage_attention_mask": d["attention_mask"],
                "positive_keys": torch.tensor([self.keys[pid] for pid in positives]), "relevant_keys": relevant}


def lora_wrap(model, r, alpha, dropout=LORA_DROPOUT):
    """LoRA of rank `r` on every linear layer of the encoder's blocks, as LiRA adapts g (`training.train`)."""
    from peft import LoraConfig, get_peft_model

    from .train import BACKBONE_LORA_TARGETS  # LiRA's g is `encoder`; here the backbone is the root

    return get_peft_model(model, LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                                            target_modules=BACKBONE_LORA_TARGETS))


def false_negative_mask(positive_keys, relevant_keys):
    """`(B, B)`: entry (i, j), i != j, is True when product j of the batch is relevant to query i.

    Args:
        positive_keys (`torch.LongTensor` of shape `(B,)`), relevant_keys (`torch.LongTensor` of shape `(B, R)`).
    """
    relevant = (positive_keys.view(1, -1, 1) == relevant_keys.unsqueeze(1)).any(-1)  # (B, B)
    return relevant & ~torch.eye(len(positive_keys), dtype=torch.bool, device=relevant.device)


def mean_pool(model, input_ids, attention_mask):
    """L2-normalised attention-masked mean of the last hidden states `(B, H)`."""
    hidden = model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, L, H)
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, L, 1)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, H)
    return torch.nn.functional.normalize(pooled, dim=-1)


class LiraFinetuneTrainer(Trainer):
    """`Trainer` with the symmetric in-batch InfoNCE of the plain recipe; batches are read in planned order.

    Args:
        temperature (`float`, *optional*, defaults to 0.05).
        **kwargs: passed to [`Trainer`].
    """

    def __init__(self, *args, temperature=0.05, **kwargs):
        super().__init__(*args, **kwargs)
        self.temperature = temperature

    def _get_train_sampler(self, train_dataset=None):
        return SequentialSampler(train_dataset if train_dataset is not None else self.train_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        q = mean_pool(model, inputs["query_input_ids"], inputs["query_attention_mask"])  # (B, H)
        d = mean_pool(model, inputs["passage_input_ids"], inputs["passage_attention_mask"])  # (B, H)
        # under DDP the negatives span every rank's batch (training/distributed.py), as in LiraTrainer
        q, d = gather_with_local_grad(q), gather_with_local_grad(d)  # (B', H), B' = W x B
        keep = ~false_negative_mask(gather_with_local_grad(inputs["positive_keys"]),
                                    gather_padded(inputs["relevant_keys"], -1))  # (B', B')
        scores = q @ d.T  # (B', B')
        eye = torch.eye(scores.shape[0], dtype=torch.bool, device=scores.device)
        loss = scale_for_average(symmetric_info_nce_loss(scores, eye, self.temperature, keep))
        return (loss, {"scores": scores}) if return_outputs else loss


def run_finetune(args):
    """Trains the plain fine-tune, saves it to `args.output_dir` (atomically), then chooses the late-fusion weight.

    Returns:
        `dict`: run facts (also written to `<output_dir>/finetune_facts.json`).

    Raises:
        `ValueError`: `args.output_dir` holds files that LiRA did not write (checked before training).
    """
    check_output_folder(args.output_dir, what="--output-dir")  # fail fast, before training (checked again on save)
    inputs = run_inputs(args, (args.model, args.english_encoder), (args.dataset, args.parallel_dataset))
    if args.reuse_unchanged and reusable(args.output_dir, FACTS_FILE, inputs):
        return _reused_facts(args)
    set_seed(args.seed)
    languages = parse_languages(args.languages)
    products = load_corpus_rows(args.dataset)
    # as in training/train.py: under DDP one micro-step reads WORLD_SIZE x B planned pairs with distinct positives
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rows, corpus, plan = training_rows(args.dataset, languages, products, args.steps, args.batch_size * world,
                                       args.seed, args.train_queries_per_language, args.parallel_dataset or None,
                                       args.parallel_share)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model, add_pooling_layer=False)
    model.get_input_embeddings().weight.requires_grad_(False)
    if args.lora_r:
        model = lora_wrap(model, args.lora_r, args.lora_alpha, args.lora_dropout)
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    training_args = TrainingArguments(
        output_dir=args.run_dir, max_steps=args.steps, per_device_train_batch_size=args.batch_size,
        learning_rate=args.learning_rate, weight_decay=args.weight_decay, warmup_steps=args.warmup_ratio,
        lr_scheduler_type="linear", max_grad_norm=1.0, logging_steps=args.logging_steps, save_strategy="steps",
        save_steps=args.save_steps, save_total_limit=1, remove_unused_columns=False, label_names=[], report_to=[],
        seed=args.seed, dataloader_num_workers=args.num_workers, **device_settings(),
    )  # fmt: skip
    noise = LiraTrainNoise(products, args.train_noise_rate, args.seed) if args.train_noise_rate > 0 else None
    trainer = LiraFinetuneTrainer(model=model, args=training_args, train_dataset=LiraQueryDataset(rows, plan, noise),
                                  data_collator=LiraPairCollator(tokenizer, titles, args.max_length),
                                  temperature=args.temperature)
    resume = None
    if args.resume:
        from transformers.trainer_utils import get_last_checkpoint

        resume = get_last_checkpoint(args.run_dir) if os.path.isdir(args.run_dir) else None
    metrics = trainer.train(resume_from_checkpoint=resume).metrics
    facts = {"recipe": "plain symmetric InfoNCE fine-tune (training/finetune.py)", "args": asdict(args),
             "train_queries": sum(not r.get("parallel") for r in rows), "pairs": len(plan),
             "parallel_pairs": sum(1 for i, _ in plan if rows[i].get("parallel")),
             "plan_sha1": plan_digest(plan, rows), "train_metrics": metrics,
             "log_history": trainer.state.log_history, "inputs": inputs}
    if not trainer.is_world_process_zero():
        return facts
    if args.lora_r:
        model = model.merge_and_unload()  # a plain encoder folder, read like the full fine-tune
    with atomic_folder(args.output_dir, what="--output-dir") as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        with open(os.path.join(tmp, FACTS_FILE), "w", encoding="utf-8") as f:
            json.dump(facts, f, indent=2, default=str)
    if args.late_fusion_queries_per_language > 0:
        from .late_fusion import calibrate_late_fusion

        facts["late_fusion"] = calibrate_late_fusion(args.output_dir, args.english_encoder, args.dataset, languages,
                                                     args.late_fusion_queries_per_language)
    return facts


def _reused_facts(args):
    """A kept run's facts, with its late-fusion weight when one was chosen (`calibrate_late_fusion` writes it after
    the weights, so a run stopped between the two chooses it again)."""
    from evaluation.fusion import late_fusion_file

    from .late_fusion import calibrate_late_fusion

    facts = saved_facts(args.output_dir, FACTS_FILE)
    if args.late_fusion_queries_per_language > 0:
        path = os.path.join(args.output_dir, late_fusion_file(args.english_encoder))
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                facts["late_fusion"] = json.load(f)
        else:
            facts["late_fusion"] = calibrate_late_fusion(args.output_dir, args.english_encoder, args.dataset,
                                                         parse_languages(args.languages),
                                                         args.late_fusion_queries_per_language)
    return facts


def main(argv=None):
    (args,) = HfArgumentParser(LiraFinetuneArguments).parse_args_into_dataclasses(args=argv)
    try:
        facts = run_finetune(args)
    finally:
        finish_distributed()
    fused = facts.get("late_fusion", {})
    print(f"fine-tuned {args.model} for {args.steps} steps x {args.batch_size} -> {args.output_dir}"
          + (f"; late-fusion weight w = {fused['weight']}" if fused else ""))


if __name__ == "__main__":
    run_cli(main)
