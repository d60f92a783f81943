"""Approximate vs exact search on a 100k-row catalogue through `datasets.Dataset.add_faiss_index` (faiss-cpu).

Catalogue (stated because the numbers depend on it): there is no real 100k-product catalogue offline, so the
100,000 vectors are **real product-name embeddings, perturbed**: the backbone (multilingual-e5-small,
`passage: <English CLDR short name>`) encodes the 4,342 English CLDR names; row i is name `i mod 4342` plus
Gaussian noise of total norm `--noise` (default 0.5, i.e. cosine ~0.9 to its source), re-normalised. Queries are
real: the backbone's `query: ` embeddings of CLDR names in the 7 languages (a seeded sample of `--num-queries`).
`--source random` replaces all of this with random unit vectors (for tests).

For each index we report the build time (train + add, through `datasets`; shared by the rows of one factory
string), queries/s of `Dataset.search_batch` (k=10, all queries in
one call, `--threads` FAISS threads) and recall@10 against the exact `Flat` index (|approx top-10 ∩ exact
top-10| / 10, averaged over queries).

Usage::

    python -m benchmarks.bench_faiss --out artifacts/bench/faiss.json
"""

import argparse
import sys
import time

import numpy as np

from benchmarks.worker import write_report
from lira_utils.defaults import SEED

DEFAULT_INDEXES = ("Flat", "IVF1024,Flat@1", "IVF1024,Flat@8", "IVF1024,Flat@32", "IVF1024,Flat@128", "HNSW32@16",
                   "HNSW32@64", "HNSW32@256")


def real_vectors(num_queries, backbones, cache_dir, seed=SEED):
    """Backbone embeddings of the English CLDR names (documents) and of a sample of localized names (queries)."""
    import random

    from evaluation.cache import EvalCache
    from evaluation.cldr_names import build_benchmark
    from evaluation.evaluator import corpus_hash
    from lira_utils.hashing import content_hash
    from evaluation.systems import build_system

    langs = ["vi", "th", "id", "ms", "fil", "ur", "bn"]
    rows, corpus = build_benchmark(langs)
    texts = sorted({r["query"] for lang in langs for r in rows[lang]})
    texts = random.Random(seed).sample(texts, min(num_queries, len(texts)))
    system = build_system("backbone", backbones_dir=backbones)
    cache = EvalCache(cache_dir)
    docs = cache.embeddings("documents", content_hash([system.document_key(), corpus_hash(corpus)]),  # = evaluator
                            lambda: system.encode_documents(corpus))
    queries = cache.embeddings("queries", content_hash([system.query_key(), texts]),
                               lambda: system.encode_queries(texts))
    return docs, queries


def build_catalogue(base, rows, noise, seed=0):
    """`rows` unit vectors: `base[i % len(base)]` + Gaussian noise of expected norm `noise`, re-normalised."""
    rng = np.random.default_rng(seed)
    out = base[np.arange(rows) % len(base)].astype(np.float32)
    out += rng.normal(scale=noise / np.sqrt(base.shape[1]), size=out.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def parse_index(spec):
    """`"IVF1024,Flat@8"` -> (`"IVF1024,Flat"`, 8): the FAISS factory string and nprobe/efSearch (None for Flat)."""
    factory, _, knob = spec.partition("@")
    return factory, (int(knob) if knob else None)


def run(catalogue, queries, indexes, k=10, threads=2):
    """Builds each index with `datasets`, searches, and compares with exact search.

    Returns:
        `list[dict]` with `index`, `build_s`, `queries_per_s`, `recall_at_k`.
    """
    import faiss

    from evaluation.search import faiss_catalogue, faiss_top_k

    faiss.omp_set_num_threads(threads)
    exact, results, built = None, [], {}
    for spec in ["Flat"] + [s for s in indexes if s != "Flat"]:
        factory, knob = parse_index(spec)
        if factory not in built:  # one build per factory; nprobe/efSearch only change the search
            start = time.perf_counter()
            ds = faiss_catalogue(catalogue, factory)
            built[factory] = (ds, time.perf_counter() - start)
        ds, build_s = built[factory]
        index = ds.get_index("embeddings").faiss_index
        if knob is not None:
            if "HNSW" in factory:
                faiss.downcast_index(index).hnsw.efSearch = knob
            else:
                faiss.extract_index_ivf(index).nprobe = knob
        start = time.perf_counter()
        idx, _ = faiss_top_k(ds, queries, k)
        search_s = time.perf_counter() - start
        if exact is None:
            exact = idx
        recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(idx, exact)]))
        results.append({"index": spec, "build_s": build_s, "queries_per_s": len(queries) / search_s,
                        "recall_at_k": recall, "k": k})
        print(f"{spec}: build {build_s:.1f}s, {len(queries) / search_s:.0f} q/s, recall@{k} {recall:.3f}",
              file=sys.stderr)
    return results


def table(report):
    """Markdown table of a report."""
    lines = [f"| index (nprobe/efSearch) | build s | queries/s | x Flat | recall@{report['k']} vs exact |",
             "|---|---|---|---|---|"]
    flat = report["results"][0]["queries_per_s"]
    for r in report["results"]:
        lines.append(f"| {r['index']} | {r['build_s']:.1f} | {r['queries_per_s']:.0f} | "
                     f"{r['queries_per_s'] / flat:.1f} | {r['recall_at_k']:.3f} |")
    return "\n".join(lines)


def main(argv=None):
    from evaluation.systems import DEFAULT_BACKBONES_DIR

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--num-queries", type=int, default=1000)
    p.add_argument("--noise", type=float, default=0.5)
    p.add_argument("--source", choices=["real", "random"], default="real")
    p.add_argument("--indexes", nargs="+", default=list(DEFAULT_INDEXES),
                   help="FAISS factory strings, optionally @nprobe (IVF) or @efSearch (HNSW)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--backbones", default=DEFAULT_BACKBONES_DIR)
    p.add_argument("--cache", default="artifacts/bench/cache",
                   help="embedding cache folder (pass <cldr-names out>/cache to reuse its document embeddings)")
    p.add_argument("--out", help="JSON file to write")
    args = p.parse_args(argv)
    if args.rows < args.k:
        raise ValueError(f"--rows {args.rows} is smaller than --k {args.k}; pass a larger catalogue.")
    if args.source == "real":
        base, queries = real_vectors(args.num_queries, args.backbones, args.cache)
    else:
        rng = np.random.default_rng(1)
        base = rng.normal(size=(max(args.rows // 20, 1), 64)).astype(np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        queries = build_catalogue(base, args.num_queries, 0.8, seed=2)
    catalogue = build_catalogue(base, args.rows, args.noise)
    report = {"rows": args.rows, "num_queries": len(queries), "dim": int(catalogue.shape[1]), "k": args.k,
              "source": args.source, "noise": args.noise, "threads": args.threads,
              "method": __doc__.split("Usage")[0], "results": run(catalogue, queries, args.indexes, args.k,
                                                                 args.threads)}
    return write_report(report, args.out, table)


if __name__ == "__main__":
    main()
