"""Encoding efficiency of every system: throughput (texts/s), peak memory, and corpus indexing time for 100k products.

Method (stated because memory numbers depend on it):

* Each system runs in its **own fresh subprocess** (`--worker`), so one model's allocations cannot inflate another's;
  `--rounds` rounds run the systems interleaved and each system keeps its fastest round (the 1-minute load
  average before/after every worker is recorded, since the machine may be shared).
* Inputs are identical for every system: the first `--num-texts` test queries of the `lira-products` languages
  (round-robin over languages, with their candidates and critic scores, which only `translate_test` and
  `lira_noisy` read), and the first `--num-docs` corpus products as documents. Same `--batch-size` everywhere.
* Throughput = texts / wall-clock seconds of `encode_queries` after one warm-up batch (model loading excluded),
  best of `--repeats` runs (the median is kept too): on a shared machine the best run is the least disturbed one.
  `torch.set_num_threads(--threads)` and the same thread count for USE's numpy BLAS.
* Peak memory = the subprocess's peak resident set size, `resource.getrusage(RUSAGE_SELF).ru_maxrss` (Linux: KiB),
  read after encoding; it covers the interpreter, libraries, weights and activations. `load_rss_mb` is the RSS
  (from `/proc/self/statm`) right after loading, and `encode_extra_mb` = peak - load RSS (what encoding adds on
  top; 0 when loading itself was the peak). `rss_anon_mb` / `rss_file_mb` split the RSS after encoding into
  anonymous memory (activations, tokenizers, Python objects) and mapped files (libraries and the weights:
  transformers memory-maps safetensors checkpoints, so a weight counts once its pages are touched).
* Same page cache for every system (`page_cache: "primed"`): before loading, each worker drops its system's weight
  files from the page cache and reads them once in full, as the evaluator does when it hashes them for its cache keys.
  A mapped file's resident share depends on how its pages entered the cache: pages read in full come in large folios,
  and a fault on one maps its whole folio, so after 2,000 queries the same embedding matrix is 122 MB resident
  when only its touched rows were ever loaded and 360 MB when the file had been read once (multilingual-e5-small,
  366 MB of word embeddings). Without this step `LiraSystem`, which hashes its folder before it loads, paid the
  second figure and the backbone the first. `--no-prime-page-cache` leaves the cache as found.
* Indexing time for 100k products = measured seconds (best of `--repeats`) of `encode_documents` on `--num-docs`
  products, scaled linearly to 100,000 (per-document cost assumed constant: CLDR titles are 1-5 words like the
  measured ones), plus the measured time to add 100,000 vectors of that width to an exact FAISS `Flat` index through
  `datasets.Dataset.add_faiss_index`.

Usage::

    python -m benchmarks.bench_encode --dataset artifacts/lira-products --out artifacts/bench/encode.json \\
        [--model artifacts/lira-small-trained] [--systems backbone use_m3 ...]
"""

import argparse
import json
import os
import resource
import sys
import time

from benchmarks.worker import run_worker_subprocess, write_report

CATALOGUE_SIZE = 100_000
RAW_SUFFIX = "_raw"  # `lira_lrl_raw`: a LiRA system with its query normalizer off (what the model path alone costs)


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def benchmark_inputs(dataset, num_texts, num_docs, languages=None):
    """The shared inputs: `(rows, products)`; rows round-robin over languages, test split, dataset order."""
    from lira_utils.dataset import dataset_configs, load_corpus, load_queries

    languages = languages or [c for c in dataset_configs(dataset) if c not in ("corpus", "default")]
    per_lang = {lang: load_queries(dataset, lang, "test", max_queries=num_texts) for lang in languages}
    rows = []
    for i in range(num_texts):
        for lang in languages:
            if len(rows) < num_texts and i < len(per_lang[lang]):
                rows.append(per_lang[lang][i])
    return rows, list(load_corpus(dataset))[:num_docs]


def faiss_add_seconds(dim, rows=CATALOGUE_SIZE, seed=0):
    """Seconds to build an exact inner-product `Flat` index over `rows` random unit vectors via `datasets`."""
    import numpy as np

    from evaluation.search import faiss_catalogue

    vecs = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    start = time.perf_counter()
    faiss_catalogue(vecs, "Flat")
    return time.perf_counter() - start


def _rss_split_mb():
    """`(anonymous, file-backed)` RSS in MB, from `/proc/self/status`."""
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("RssAnon:", "RssFile:")):
                name, value = line.split(":")
                fields[name] = int(value.split()[0]) / 1024
    return fields.get("RssAnon", 0.0), fields.get("RssFile", 0.0)


WEIGHT_ATTRIBUTES = ("folder", "weights_dir", "finetune_dir", "english_dir", "st_dir", "path")


def weight_folders(system):
    """The folders a system loads its weights from (`LiraSystem.folder`, `TextSystem.weights_dir`, ..., and its
    encoder's `path`)."""
    folders = []
    for owner in (system, getattr(system, "encoder", None)):
        for name in WEIGHT_ATTRIBUTES:
            value = getattr(owner, name, None)
            if isinstance(value, str) and os.path.isdir(value) and value not in folders:
                folders.append(value)
    return folders


def prime_page_cache(folders, chunk=1 << 24):
    """Drops every file under `folders` from the page cache (`posix_fadvise(DONTNEED)`, advisory: pages another
    process maps stay) and reads it once in full, so every system maps its weights from the same cache state.

    Returns:
        `int`: bytes read.
    """
    total = 0
    for folder in folders:
        for root, _, files in os.walk(folder):
            for name in files:
                with open(os.path.join(root, name), "rb", buffering=0) as f:
                    if hasattr(os, "posix_fadvise"):
                        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                    while block := f.read(chunk):
                        total += len(block)
    return total


def run_worker(args):
    """Measures one system in this process and prints one JSON line."""
    import torch

    torch.set_num_threads(args.threads)
    from lira_utils.dataset import load_corpus
    from evaluation.inputs import query_inputs
    from evaluation.systems import build_system

    rows, products = benchmark_inputs(args.dataset, args.num_texts, args.num_docs, args.languages)
    before_load = _rss_mb()
    raw = args.worker.endswith(RAW_SUFFIX)
    system = build_system(args.worker[: -len(RAW_SUFFIX)] if raw else args.worker, model=args.model,
                          backbones_dir=args.backbones, batch_size=args.batch_size, progress=False)
    if raw:
        system.normalize = False
    if args.prime_page_cache:
        prime_page_cache(weight_folders(system))
    start = time.perf_counter()
    encoder = getattr(system, "encoder", None)
    if encoder is not None and hasattr(encoder, "threads"):  # USE: numpy BLAS threads
        encoder.threads = args.threads
    titles = {p["product_id"]: p["title_en"] for p in load_corpus(args.dataset)}  # oracle candidates
    inputs = query_inputs(rows, system.candidate_mode, titles)
    warm = {k: (v[: args.batch_size] if v is not None else None) for k, v in inputs.items()}
    system.encode_queries(**warm)  # loads the model, warms up kernels
    load_s = time.perf_counter() - start
    load_rss = _rss_mb()
    encode_times, docs_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        q = system.encode_queries(**inputs)
        encode_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        system.encode_documents(products)
        docs_times.append(time.perf_counter() - start)
    encode_s, docs_s = min(encode_times), min(docs_times)
    peak = _peak_mb()
    anon, mapped = _rss_split_mb()
    print(json.dumps({
        "system": args.worker, "num_texts": len(rows), "num_docs": len(products), "batch_size": args.batch_size,
        "threads": args.threads, "dim": int(q.shape[1]), "texts_per_s": len(rows) / encode_s,
        "texts_per_s_median": len(rows) / sorted(encode_times)[len(encode_times) // 2], "repeats": args.repeats,
        "encode_s": encode_s, "docs_s": docs_s, "load_and_warmup_s": load_s, "start_rss_mb": before_load,
        "load_rss_mb": load_rss, "peak_rss_mb": peak, "encode_extra_mb": max(0.0, peak - load_rss),
        "rss_anon_mb": anon, "rss_file_mb": mapped, "page_cache": "primed" if args.prime_page_cache else "as found",
    }))


def _run_worker(name, args):
    argv = ["--worker", name, "--dataset", args.dataset, "--num-texts", str(args.num_texts), "--num-docs",
            str(args.num_docs), "--repeats", str(args.repeats), "--batch-size", str(args.batch_size), "--threads",
            str(args.threads), "--backbones", args.backbones]
    if not args.prime_page_cache:
        argv.append("--no-prime-page-cache")
    if args.model:
        argv += ["--model", args.model]
    if args.languages:
        argv += ["--languages", *args.languages]
    return run_worker_subprocess("benchmarks.bench_encode", argv, args.threads, name)


def run_all(args):
    """Runs `--rounds` rounds of one worker subprocess per system (systems interleaved, so background load on a
    shared machine hits every system alike), keeps each system's fastest round, adds ratios and the 100k
    indexing estimate, writes JSON."""
    rounds = {name: [] for name in args.systems}
    for r in range(args.rounds):
        for name in args.systems:
            res = _run_worker(name, args)
            print(f"round {r + 1} {name}: {res['texts_per_s']:.1f} texts/s, peak RSS {res['peak_rss_mb']:.0f} MB, "
                  f"load avg {res['load_avg_1min']}", file=sys.stderr)
            rounds[name].append(res)
    results = []
    for name, runs in rounds.items():
        best = dict(max(runs, key=lambda x: x["texts_per_s"]))
        best["docs_s"] = min(x["docs_s"] for x in runs)
        best["peak_rss_mb"] = max(x["peak_rss_mb"] for x in runs)
        best["texts_per_s_rounds"] = [round(x["texts_per_s"], 2) for x in runs]
        results.append(best)
    report = summarize(results, args.reference, args.catalogue_size)
    report["rounds"] = args.rounds
    return write_report(report, args.out, table)


def summarize(results, reference="backbone", catalogue_size=CATALOGUE_SIZE, faiss_seconds=faiss_add_seconds):
    """Adds the 100k indexing estimate and the ratios to `reference` to worker results; returns the report.

    Args:
        results (`list[dict]`): worker outputs.
        reference (`str`, *optional*): system the ratios divide by (the first system if it is absent).
        catalogue_size (`int`, *optional*): catalogue size of the indexing estimate.
        faiss_seconds (`Callable[[int, int], float]`, *optional*): measures FAISS add time for (dim, rows).
    """
    measured = {}
    for res in results:
        if res["dim"] not in measured:
            measured[res["dim"]] = faiss_seconds(res["dim"], catalogue_size)
        res["index_100k_encode_s"] = res["docs_s"] / res["num_docs"] * catalogue_size
        res["index_100k_faiss_add_s"] = measured[res["dim"]]
        res["index_100k_total_s"] = res["index_100k_encode_s"] + res["index_100k_faiss_add_s"]
    base = next((r for r in results if r["system"] == reference), results[0])
    for res in results:
        res["throughput_ratio"] = res["texts_per_s"] / base["texts_per_s"]
        res["peak_memory_ratio"] = res["peak_rss_mb"] / base["peak_rss_mb"]
    return {"reference": base["system"], "catalogue_size": catalogue_size, "method": __doc__.split("Usage")[0],
            "results": results}


def table(report):
    """Markdown table of a `run_all` report."""
    ref = report["reference"]
    lines = [f"| system | texts/s | x {ref} | peak RSS MB | x {ref} | encode extra MB | 100k index (min) |",
             "|---|---|---|---|---|---|---|"]
    for r in report["results"]:
        lines.append(f"| {r['system']} | {r['texts_per_s']:.1f} | {r['throughput_ratio']:.2f} | "
                     f"{r['peak_rss_mb']:.0f} | {r['peak_memory_ratio']:.2f} | {r['encode_extra_mb']:.0f} | "
                     f"{r['index_100k_total_s'] / 60:.1f} |")
    return "\n".join(lines)


def parse_args(argv=None):
    from evaluation.systems import BASELINE_SYSTEMS, DEFAULT_BACKBONES_DIR, SYSTEM_NAMES

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--model", help="LiRA folder (adds the lira_* systems)")
    lira_raw = [f"{name}{RAW_SUFFIX}" for name in SYSTEM_NAMES if name.startswith("lira_")]
    p.add_argument("--systems", nargs="+", choices=[*SYSTEM_NAMES, *lira_raw], metavar="SYSTEM",
                   help=f"systems to measure; a LiRA system with {RAW_SUFFIX!r} appended runs without its query "
                   "normalizer (e.g. lira_lrl_raw)")
    p.add_argument("--languages", nargs="+")
    p.add_argument("--num-texts", type=int, default=512)
    p.add_argument("--num-docs", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3, help="timed runs per worker; the best is reported")
    p.add_argument("--rounds", type=int, default=2, help="worker subprocesses per system, interleaved")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--catalogue-size", type=int, default=CATALOGUE_SIZE)
    p.add_argument("--reference", default="backbone", help="system the ratios are relative to")
    p.add_argument("--backbones", default=DEFAULT_BACKBONES_DIR)
    p.add_argument("--out", help="JSON file to write")
    p.add_argument("--no-prime-page-cache", dest="prime_page_cache", action="store_false",
                   help="leave the weight files' page cache as found (by default each worker drops them from the "
                   "cache and reads them once before loading, the same state for every system)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.systems is None:
        args.systems = list(BASELINE_SYSTEMS) + (["lira_lrl", "lira_noisy"] if args.model else [])
    if min(args.num_texts, args.num_docs, args.repeats, args.rounds) < 1:
        raise ValueError(f"--num-texts {args.num_texts} / --num-docs {args.num_docs} / --repeats {args.repeats}: "
                         "pass positive numbers.")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return run_worker(args)
    return run_all(args)


if __name__ == "__main__":
    main()
