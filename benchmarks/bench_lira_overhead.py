"""LiRA's encode cost relative to its backbone, measured side by side (interleaved batches, one process).

    python -m benchmarks.bench_lira_overhead --model artifacts/lira-small --out artifacts/bench/lira_overhead.json

Each round encodes the same batch with (1) multilingual-e5-small alone (mean pooling), (2) LiRA in LRL-only mode and
(3) LiRA with K=4 English candidates, one after the other, so background load hits all three alike and the ratios
stay meaningful on a shared machine. Peak memory: `torch.cuda.max_memory_allocated` on GPU, else the process's peak
RSS after each system (cumulative, so read it as "no more than").
"""

import argparse
import json
import os
import resource
import time

import torch

CANDIDATES = ["wireless headphones", "bluetooth headset", "headphone", "earbuds"]


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    from modeling_lira import LiraModel, LiraProcessor
    from lira_utils.backbones import load_me5_small
    from lira_utils.dataset import read_split

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="artifacts/lira-small")
    parser.add_argument("--dataset", default="artifacts/lira-products")
    parser.add_argument("--language", default="th")
    parser.add_argument("--num-texts", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    texts = [r["query"] for r in read_split(args.dataset, args.language, "test")[: args.num_texts]]
    model = LiraModel.from_pretrained(args.model).eval().to(device)
    proc = LiraProcessor.from_pretrained(args.model)
    me5, tok = load_me5_small()
    me5 = me5.to(device)
    seconds = {"backbone": 0.0, "lira_lrl": 0.0, "lira_k4": 0.0}
    memory = {}

    def run(name, fn, batch):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn(batch)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds[name] += time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else _rss_mb()
        memory[name] = max(memory.get(name, 0.0), peak)

    def backbone(batch):
        enc = tok(["query: " + t for t in batch], padding=True, truncation=True, max_length=proc.max_length,
                  return_tensors="pt").to(device)
        states = me5(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1)
        return (states * mask).sum(1) / mask.sum(1)

    def lira_lrl(batch):
        return model(**proc(batch).to(device)).embeddings

    def lira_k4(batch):
        k = len(CANDIDATES)
        inputs = proc(batch, candidates=[CANDIDATES] * len(batch), critic_scores=[[[8, 7, 8]] * k] * len(batch))
        return model(**inputs.to(device)).embeddings

    with torch.inference_mode():
        for _ in range(args.rounds):
            for i in range(0, len(texts), args.batch_size):
                batch = texts[i : i + args.batch_size]
                for name, fn in (("backbone", backbone), ("lira_lrl", lira_lrl), ("lira_k4", lira_k4)):
                    run(name, fn, batch)
    n = len(texts) * args.rounds
    rows = {name: {"texts_per_s": n / s, "time_vs_backbone": s / seconds["backbone"],
                   "peak_memory_mb": memory[name]} for name, s in seconds.items()}
    print(f"device={device} texts={n} batch={args.batch_size} (interleaved)")
    print("| system | texts/s | time x backbone | peak memory MB |\n|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['texts_per_s']:.1f} | {row['time_vs_backbone']:.2f} | {row['peak_memory_mb']:.0f} |")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"device": device, "texts": n, "batch_size": args.batch_size, "results": rows}, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
