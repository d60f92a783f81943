"""LiRA stage-2 training throughput as a ratio to the backbone's plain forward+backward at the same batch.

`benchmarks.bench_train_throughput` prints and saves it; the prepared GPU run (`python -m training.gpu`) measures
it before training.

Method:

* The same B planned (query, product) pairs of the train split feed both, collated once before timing (data loading
  is excluded from both sides).
* LiRA: one `LiraTrainer` stage-2 step (g with LoRA, frozen h over the K candidates of every query and the product's
  title, Arca, LaSR, every stage-2 loss), backward, AdamW step, exactly the trainable set of `python -m training`.
* Backbone: g alone (a copy of LiRA's multilingual encoder, word embeddings frozen as in `training.finetune`) on the
  same B queries and B products (`query: ` / `passage: ` inputs of the collator), mean pooling, in-batch InfoNCE,
  backward, AdamW step: the plain fine-tune's step.
* Both under bf16 autocast on CUDA (fp32 on CPU). `--rounds` rounds alternate the two (LiRA then backbone), each
  after 2 warm-up steps, `--steps` timed steps per side and round with the device synchronised; the ratio is taken
  per round and the median reported, so a slow phase of a shared machine hits both sides of a round alike.
"""

import contextlib
import copy
import statistics
import tempfile
import time

import torch
from lira_utils.defaults import LANGUAGES


def _timed(step, steps, cuda):
    for _ in range(2):
        step()
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(model_dir, dataset_dir, batch_size=32, steps=5, rounds=3, languages=LANGUAGES):
    """Measures both steps; returns a dict with samples/s per side, per round and the median ratio."""
    from transformers import TrainingArguments

    from modeling_lira import LiraModel, LiraProcessor
    from modeling_lira.losses import symmetric_info_nce_loss
    from .collator import LiraRetrievalCollator
    from .data import LiraQueryDataset, plan_batches
    from lira_utils.dataset import load_corpus_rows, load_query_rows, parse_languages
    from .finetune import mean_pool
    from .train import LiraRunArguments, build_peft_model, set_stage_trainable
    from .trainer import LiraTrainer

    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    processor = LiraProcessor.from_pretrained(model_dir)
    model = LiraModel.from_pretrained(model_dir)
    backbone = copy.deepcopy(model.encoder).to(device).train()
    backbone.get_input_embeddings().weight.requires_grad_(False)
    peft_model = build_peft_model(model, LiraRunArguments())
    set_stage_trainable(peft_model, "lasr", use_lora=True)
    peft_model.to(device).train()
    corpus = load_corpus_rows(dataset_dir)
    rows = load_query_rows(dataset_dir, parse_languages(languages), "train", 200)
    plan = plan_batches(rows, [p["product_id"] for p in corpus], 1, batch_size, seed=0)
    data = LiraQueryDataset(rows, plan)
    batch = LiraRetrievalCollator(processor, corpus, seed=0)([data[i] for i in range(len(data))])
    batch = {k: v.to(device) for k, v in batch.items()}
    with tempfile.TemporaryDirectory() as tmp:
        trainer = LiraTrainer(model=peft_model, args=TrainingArguments(output_dir=tmp, report_to=[], use_cpu=not cuda),
                              stage="lasr")
    lira_opt = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-5)
    plain_opt = torch.optim.AdamW([p for p in backbone.parameters() if p.requires_grad], lr=1e-5)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else contextlib.nullcontext
    b = batch["doc_keys"].shape[0]

    def lira_step():
        with autocast():
            loss = trainer.compute_loss(peft_model, dict(batch))
        loss.backward()
        lira_opt.step()
        lira_opt.zero_grad(set_to_none=True)

    def plain_step():
        with autocast():
            emb = mean_pool(backbone, batch["input_ids"], batch["attention_mask"])  # (2B, H): queries, products
            scores = emb[:b] @ emb[b:].T  # (B, B)
            eye = torch.eye(b, dtype=torch.bool, device=device)
            loss = symmetric_info_nce_loss(scores.float(), eye, 0.05)
        loss.backward()
        plain_opt.step()
        plain_opt.zero_grad(set_to_none=True)

    per_round = []
    for _ in range(rounds):
        lira_s, plain_s = _timed(lira_step, steps, cuda), _timed(plain_step, steps, cuda)
        per_round.append({"lira_samples_per_s": b * steps / lira_s, "backbone_samples_per_s": b * steps / plain_s,
                          "ratio": plain_s / lira_s})
    return {"device": torch.cuda.get_device_name(0) if cuda else f"cpu ({torch.get_num_threads()} threads)",
            "batch_size": b, "steps": steps, "rounds": per_round,
            "lira_samples_per_s": statistics.median(r["lira_samples_per_s"] for r in per_round),
            "backbone_samples_per_s": statistics.median(r["backbone_samples_per_s"] for r in per_round),
            "ratio": statistics.median(r["ratio"] for r in per_round),
            "peak_gpu_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None}
