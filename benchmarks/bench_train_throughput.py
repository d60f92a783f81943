"""Training throughput: LiRA stage-2 samples/s as a ratio to the backbone's plain forward+backward at the same batch.

The method is in `training.throughput` (shared with the prepared GPU run).

Usage::

    python -m benchmarks.bench_train_throughput --model artifacts/lira-small --dataset artifacts/lira-products \\
        --batch-size 32 --steps 5 --rounds 3 --out artifacts/bench/train_throughput.json
"""

import argparse

from lira_utils.atomic import atomic_write_json
from training.throughput import measure


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
