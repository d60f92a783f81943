"""CPU serving cost of the widget export in its three formats: PyTorch (sentence-transformers), ONNX fp32 and ONNX
int8 (`python -m push_scripts.export_onnx`): query throughput, peak memory, file size, and agreement with PyTorch.

Method (the one of `benchmarks/bench_encode.py`, whose helpers it reuses):

* Each format runs in its **own fresh subprocess** (`--worker`), so one runtime's allocations cannot inflate
  another's. `--rounds` rounds run every format once each, interleaved, the order rotated by one every round (so no
  format always runs first or last after another); the 1-minute load average before/after every worker is recorded,
  since the machine may be shared.
* Inputs are identical for every format: the first `--num-texts` test queries of `lira-products` (round-robin over
  its languages, `bench_encode.benchmark_inputs`), embedded with `encode_query` (the export's `query: ` prompt),
  `--batch-size` texts per batch, sorted by length within each runtime.
* Throughput = texts / wall-clock seconds of one `encode_queries` call over all texts after one warm-up batch (loading
  excluded), best of `--repeats` calls within the worker; a format's reported figure is its best round, and
  `paired_ratio` is the median over rounds of (format / `--reference`) within the same round, which cancels most
  of the background load that hits both. `torch.set_num_threads(--threads)` for PyTorch, onnxruntime
  `intra_op_num_threads=--threads` (inter-op 1) for ONNX, `OMP_NUM_THREADS=--threads` for both.
* Peak memory = the subprocess's peak resident set size (`ru_maxrss`), read after encoding, the largest over rounds;
  `load_rss_mb` is the RSS right after loading and warm-up; `torch_loaded` says whether torch was imported at all
  (the dataset reader and the tokenizer may import it in the ONNX workers too).
* Agreement: each worker saves its query vectors; `cosine_mean` / `cosine_min` compare them row by row with the
  reference format's.

Usage::

    python -m benchmarks.bench_export_formats --st-dir /tmp/lira-st --dataset artifacts/lira-products \\
        --out artifacts/bench/export_formats.json
"""

import argparse
import json
import os
import sys
import tempfile
import time

from benchmarks.bench_encode import _peak_mb, _rss_mb, benchmark_inputs
from benchmarks.worker import run_worker_subprocess, write_report

FORMATS = ("st_export", "st_onnx", "st_onnx_int8")
FILES = {"st_export": "model.safetensors", "st_onnx": "onnx/model.onnx",
         "st_onnx_int8": "onnx/model_qint8_avx512_vnni.onnx"}


def run_worker(args):
    """Measures one format in this process, saves its vectors to `--vectors` and prints one JSON line."""
    import numpy as np

    if args.worker == "st_export":  # the ONNX workers never import torch themselves (see `torch_loaded`)
        import torch

        torch.set_num_threads(args.threads)
    from evaluation.onnx_system import build_export_system

    queries = [row["query"] for row in benchmark_inputs(args.dataset, args.num_texts, 0, args.languages)[0]]
    start_rss = _rss_mb()
    start = time.perf_counter()
    system = build_export_system(args.worker, args.st_dir, batch_size=args.batch_size, progress=False,
                                 threads=args.threads)
    system.encode_queries(queries[: args.batch_size])  # loads the runtime, warms up kernels
    load_s, load_rss = time.perf_counter() - start, _rss_mb()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        vectors = system.encode_queries(queries)  # (N, d)
        times.append(time.perf_counter() - start)
    peak = _peak_mb()
    np.save(args.vectors, vectors)
    print(json.dumps({
        "format": args.worker, "num_texts": len(queries), "batch_size": args.batch_size, "threads": args.threads,
        "dim": int(vectors.shape[1]), "texts_per_s": len(queries) / min(times),
        "texts_per_s_median": len(queries) / sorted(times)[len(times) // 2], "repeats": args.repeats,
        "load_and_warmup_s": load_s, "start_rss_mb": start_rss, "load_rss_mb": load_rss, "peak_rss_mb": peak,
        "torch_loaded": "torch" in sys.modules,
    }))


def _run_worker(name, args, vectors):
    argv = ["--worker", name, "--st-dir", args.st_dir, "--dataset", args.dataset, "--num-texts", str(args.num_texts),
            "--batch-size", str(args.batch_size), "--threads", str(args.threads), "--repeats", str(args.repeats),
            "--vectors", vectors]
    if args.languages:
        argv += ["--languages", *args.languages]
    return run_worker_subprocess("benchmarks.bench_export_formats", argv, args.threads, name,
                      env={"TOKENIZERS_PARALLELISM": "false"})


def summarize(rounds, reference, st_dir, vectors):
    """The report from every round's worker results.

    Args:
        rounds (`list[dict[str, dict]]`): per round, format -> worker result.
        reference (`str`): the format the ratios and cosines compare with.
        st_dir (`str`): the export folder (file sizes).
        vectors (`dict[str, np.ndarray]`): format -> query vectors `(N, d)` of its last worker.

    Returns:
        `dict`: `reference`, `rounds` and `results` (one dict per format).
    """
    import numpy as np

    results = []
    for name in rounds[0]:
        runs = [r[name] for r in rounds]
        best = dict(max(runs, key=lambda x: x["texts_per_s"]))
        best["texts_per_s_rounds"] = [round(x["texts_per_s"], 2) for x in runs]
        best["paired_ratio"] = float(np.median([r[name]["texts_per_s"] / r[reference]["texts_per_s"] for r in rounds]))
        best["peak_rss_mb"] = max(x["peak_rss_mb"] for x in runs)
        best["load_rss_mb"] = max(x["load_rss_mb"] for x in runs)
        best["load_avg_1min_rounds"] = [x["load_avg_1min"] for x in runs]
        best["file"] = FILES[name]
        best["file_mb"] = os.path.getsize(os.path.join(st_dir, FILES[name])) / 2**20
        cosine = (vectors[name] * vectors[reference]).sum(1)  # (N,), unit rows
        best["cosine_mean"], best["cosine_min"] = float(cosine.mean()), float(cosine.min())
        results.append(best)
    base = next(r for r in results if r["format"] == reference)
    for res in results:
        res["throughput_ratio"] = res["texts_per_s"] / base["texts_per_s"]
        res["peak_memory_ratio"] = res["peak_rss_mb"] / base["peak_rss_mb"]
    return {"reference": reference, "rounds": len(rounds), "method": __doc__.split("Usage")[0], "results": results}


def table(report):
    """Markdown table of a report."""
    ref = report["reference"]
    lines = [f"| format | file (MB) | texts/s | x {ref} (best) | x {ref} (paired median) | peak RSS MB | "
             f"cosine to {ref} mean / min |", "|---|---|---|---|---|---|---|"]
    for r in report["results"]:
        lines.append(f"| {r['format']} | `{r['file']}` ({r['file_mb']:.0f}) | {r['texts_per_s']:.1f} | "
                     f"{r['throughput_ratio']:.2f} | {r['paired_ratio']:.2f} | {r['peak_rss_mb']:.0f} | "
                     f"{r['cosine_mean']:.4f} / {r['cosine_min']:.4f} |")
    return "\n".join(lines)


def run_all(args):
    """Runs the interleaved rounds, prints the table, writes the JSON (`--out`)."""
    import numpy as np

    rounds = []
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as tmp:
        for r in range(args.rounds):
            order = list(args.formats[r % len(args.formats):]) + list(args.formats[: r % len(args.formats)])
            results = {}
            for name in order:
                results[name] = _run_worker(name, args, os.path.join(tmp, f"{name}.npy"))
                print(f"round {r + 1} {name}: {results[name]['texts_per_s']:.1f} texts/s, peak RSS "
                      f"{results[name]['peak_rss_mb']:.0f} MB, load avg {results[name]['load_avg_1min']}",
                      file=sys.stderr)
            rounds.append({name: results[name] for name in args.formats})
        vectors = {name: np.load(os.path.join(tmp, f"{name}.npy")) for name in args.formats}
    report = summarize(rounds, args.reference, args.st_dir, vectors)
    report.update({"st_dir": args.st_dir, "dataset": args.dataset, "repeats": args.repeats})
    return write_report(report, args.out, table)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--st-dir", required=True, help="the export, with onnx/ (python -m push_scripts.export_onnx)")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS), metavar="FORMAT")
    p.add_argument("--reference", default="st_export", choices=FORMATS, help="format the ratios are relative to")
    p.add_argument("--languages", nargs="+")
    p.add_argument("--num-texts", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="timed runs per worker; the best is kept")
    p.add_argument("--rounds", type=int, default=3, help="worker subprocesses per format, interleaved")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", help="JSON file to write")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--vectors", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if min(args.num_texts, args.batch_size, args.repeats, args.rounds, args.threads) < 1:
        raise ValueError(f"--num-texts {args.num_texts} / --batch-size {args.batch_size} / --repeats {args.repeats} "
                         f"/ --rounds {args.rounds} / --threads {args.threads}: pass positive numbers.")
    if not args.worker and args.reference not in args.formats:
        raise ValueError(f"--reference {args.reference} is not among --formats {args.formats}; add it.")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return run_worker(args)
    return run_all(args)


if __name__ == "__main__":
    from lira_utils.arguments import run_cli

    run_cli(main)
