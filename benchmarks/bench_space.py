"""The demo Space on CPU: time to first result (cold and warm corpus cache) and per-query latency.

Method:

* Each start runs in a **fresh subprocess** (`--worker`) with `torch.set_num_threads(--threads)`. It imports the app
  (`space/app.py`), builds the searcher (LiRA through `AutoModel.from_pretrained(..., trust_remote_code=True)`, the
  backbone, the fine-tune if given, the dataset through `load_dataset`), embeds the corpus for every system (or reads
  it from the cache), builds the Gradio page and starts its server on a free local port, then answers one query
  through `app.answer` (the function the page calls: validation, critic, every system, HTML). Phases are timed with
  `time.perf_counter()` from the first line of the worker; *time to first result* is the sum, plus the interpreter
  start measured by the parent.
* **cold** = an empty cache folder; **warm** = the same folder again (corpus embeddings read from disk, model files in
  the OS page cache).
* Latency: in the warm worker, after the first result, `--num-queries` test queries (round-robin over languages,
  dataset order) are answered through `app.answer` twice: without candidates (LiRA LRL-only) and with the dataset's
  candidates (LiRA full mode, the critic scores every candidate). Median, p90 and mean wall-clock per query.

Usage::

    python -m benchmarks.bench_space --model artifacts/benchmark/lira-s13 --dataset artifacts/lira-products \\
        --backbone artifacts/backbones/multilingual-e5-small --finetune artifacts/benchmark/finetune-s13 \\
        --out artifacts/bench_space.json
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import time

from benchmarks.worker import run_worker_subprocess, write_report

_T0, _T0_EPOCH = time.perf_counter(), time.time()
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stats(seconds):
    s = sorted(seconds)
    return {"n": len(s), "median_ms": 1000 * s[len(s) // 2], "p90_ms": 1000 * s[min(len(s) - 1, int(0.9 * len(s)))],
            "mean_ms": 1000 * sum(s) / len(s)}


def latency_queries(dataset, languages, num_queries):
    """Test queries round-robin over `languages` (dataset order), as `(text, language, candidates)`."""
    from lira_utils.dataset import load_queries

    per_lang = {lang: load_queries(dataset, lang, "test", max_queries=num_queries) for lang in languages}
    out = []
    for i in range(num_queries):
        for lang in languages:
            if len(out) < num_queries and i < len(per_lang[lang]):
                r = per_lang[lang][i]
                out.append((r["query"], lang, list(r["candidates"] or [])))
    return out


def run_worker(args):
    """One app start in this process; prints one JSON line."""
    import torch

    torch.set_num_threads(args.threads)
    sys.path.insert(0, os.path.join(REPO, "space"))
    marks = {}
    import app  # noqa: E402  (gradio is imported lazily, in build_demo)

    marks["imports"] = time.perf_counter()
    settings = app.resolve_settings(app.parse_args(["--model", args.model, "--dataset", args.dataset, "--backbone",
                                                    args.backbone, "--cache-dir", args.cache_dir]
                                                   + (["--finetune", args.finetune] if args.finetune else [])))
    searcher = app.make_searcher(settings)
    searcher.lira.load()
    for system in searcher.systems.values():
        if hasattr(system, "encoder"):
            system.encoder._load()
    marks["models_loaded"] = time.perf_counter()
    searcher.prepare()
    marks["corpus_embedded"] = time.perf_counter()
    demo = app.build_demo(searcher, searcher.examples())
    app.launch(demo, port=_free_port(), block=False)
    marks["server_up"] = time.perf_counter()
    first = latency_queries(args.dataset, searcher.languages[:1], 1)[0]
    page = app.answer(searcher, first[0], first[1], "\n".join(first[2]))
    assert "lira-results" in page, page[:500]
    marks["first_result"] = time.perf_counter()
    phases, last = {}, _T0
    for name, t in marks.items():
        phases[name] = t - last
        last = t
    result = {"phases_s": phases, "worker_total_s": last - _T0, "worker_start_epoch": _T0_EPOCH, "cache": dict(searcher.cache.stats),
              "systems": list(searcher.systems), "threads": args.threads}
    if args.latency:
        queries = latency_queries(args.dataset, searcher.languages, args.num_queries)
        for mode in ("lrl", "candidates"):
            seconds = []
            for text, lang, cands in queries:
                start = time.perf_counter()
                page = app.answer(searcher, text, lang, "\n".join(cands[: searcher.num_candidates])
                                  if mode == "candidates" else "")
                seconds.append(time.perf_counter() - start)
                assert "lira-results" in page, page[:500]
            result[f"latency_{mode}"] = _stats(seconds)
    demo.close()
    print(json.dumps(result))


def _start(args, cache_dir, latency):
    argv = ["--worker", "--model", args.model, "--dataset", args.dataset, "--backbone", args.backbone, "--cache-dir",
            cache_dir, "--threads", str(args.threads), "--num-queries", str(args.num_queries)] + (
        ["--finetune", args.finetune] if args.finetune else []) + (["--latency"] if latency else [])
    start, start_epoch = time.perf_counter(), time.time()
    res = run_worker_subprocess("benchmarks.bench_space", argv, args.threads, "the Space start",
                                env={"GRADIO_ANALYTICS_ENABLED": "False"}, cwd=REPO)
    res["process_wall_s"] = time.perf_counter() - start
    res["interpreter_start_s"] = res["worker_start_epoch"] - start_epoch  # python + this module, before phase 1
    res["time_to_first_result_s"] = res["interpreter_start_s"] + res["worker_total_s"]
    return res


def table(report):
    """Markdown tables of a report."""
    cold, warm = report["cold"], report["warm"]
    names = {"imports": "imports (torch, transformers, app)", "models_loaded": "models + dataset loaded",
             "corpus_embedded": "corpus embedded (every system)", "server_up": "Gradio page built, server up",
             "first_result": "first query answered"}
    lines = ["| phase (s) | cold cache | warm cache |", "|---|---|---|",
             f"| interpreter start | {cold['interpreter_start_s']:.1f} | {warm['interpreter_start_s']:.1f} |"]
    for key, label in names.items():
        lines.append(f"| {label} | {cold['phases_s'][key]:.1f} | {warm['phases_s'][key]:.1f} |")
    lines.append(f"| **time to first result** | **{cold['time_to_first_result_s']:.1f}** | "
                 f"**{warm['time_to_first_result_s']:.1f}** |")
    lines += ["", "| per query (warm, after the first) | queries | median ms | p90 ms | mean ms |", "|---|---|---|---|---|"]
    for key, label in [("latency_lrl", "LRL-only (no candidates)"), ("latency_candidates", "with the dataset's candidates")]:
        s = warm[key]
        lines.append(f"| {label} | {s['n']} | {s['median_ms']:.0f} | {s['p90_ms']:.0f} | {s['mean_ms']:.0f} |")
    return "\n".join(lines)


def run_all(args):
    """Cold start, warm start with latency; prints the tables and writes JSON."""
    with tempfile.TemporaryDirectory(prefix="lira-space-bench-") as cache_dir:
        cold = _start(args, cache_dir, latency=False)
        warm = _start(args, cache_dir, latency=True)
    report = {"method": __doc__.split("Usage")[0], "threads": args.threads, "cpu_count": os.cpu_count(),
              "model": args.model, "dataset": args.dataset, "finetune": args.finetune, "cold": cold, "warm": warm}
    return write_report(report, args.out, table)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="artifacts/benchmark/lira-s13")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--backbone", default="artifacts/backbones/multilingual-e5-small")
    p.add_argument("--finetune", help="plain fine-tune folder (optional, adds a column)")
    p.add_argument("--num-queries", type=int, default=70, help="queries per latency mode")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", help="JSON file to write")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--latency", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--cache-dir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.num_queries < 1 or args.threads < 1:
        raise ValueError(f"--num-queries {args.num_queries} / --threads {args.threads}: pass positive numbers.")
    return args


def main(argv=None):
    args = parse_args(argv)
    return run_worker(args) if args.worker else run_all(args)


if __name__ == "__main__":
    main()
