"""Training throughput: LiRA stage-2 samples/s as a ratio to the backbone's plain forward+backward at the same batch.

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

Usage::

    python -m benchmarks.bench_train_throughput --model artifacts/lira-small --dataset artifacts/lira-products \\
        --batch-size 32 --steps 5 --rounds 3 --out artifacts/bench/train_throughput.json
"""

import argparse
import contextlib
import copy
import statistics
import tempfile
import time

import torch

from evaluation.atomic import atomic_write_json


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


def measure(model_dir, dataset_dir, batch_size=32, steps=5, rounds=3, languages="vi,th,id,ms,fil,ur,bn"):
    """Measures both steps; returns a dict with samples/s per side, per round and the median ratio."""
    from transformers import TrainingArguments

    from modeling_lira import LiraModel, LiraProcessor
    from modeling_lira.losses import symmetric_info_nce_loss
    from training.collator import LiraRetrievalCollator
    from training.data import LiraQueryDataset, load_corpus_rows, load_query_rows, parse_languages, plan_batches
    from training.finetune import mean_pool
    from training.train import LiraRunArguments, build_peft_model, set_stage_trainable
    from training.trainer import LiraTrainer

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


def table(result):
    """Markdown table of a `measure` result."""
    rounds = ", ".join(f"{r['ratio']:.2f}" for r in result["rounds"])
    lines = [f"device: {result['device']}, batch {result['batch_size']}, {result['steps']} steps x "
             f"{len(result['rounds'])} rounds", "", "| step | samples/s (median) |", "|---|---|",
             f"| LiRA stage 2 | {result['lira_samples_per_s']:.1f} |",
             f"| backbone forward+backward | {result['backbone_samples_per_s']:.1f} |", "",
             f"LiRA / backbone throughput ratio (median of per-round ratios): **{result['ratio']:.2f}** "
             f"(rounds: {rounds})"]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="artifacts/lira-small")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", default="artifacts/bench/train_throughput.json")
    args = p.parse_args(argv)
    result = measure(args.model, args.dataset, args.batch_size, args.steps, args.rounds)
    print(table(result))
    atomic_write_json(args.out, result)
    return result


if __name__ == "__main__":
    main()
