"""The approximate-search benchmark on a small random catalogue (speed targets live in the benchmark, not here)."""

import json

import numpy as np

from benchmarks.bench_faiss import build_catalogue, main, parse_index


def test_catalogue_and_index_spec():
    base = np.eye(4, dtype=np.float32)
    cat = build_catalogue(base, 10, noise=0.0)
    assert cat.shape == (10, 4) and np.allclose(cat[5], base[1])
    noisy = build_catalogue(base, 1000, noise=0.5)
    assert np.allclose(np.linalg.norm(noisy, axis=1), 1, atol=1e-5)
    assert 0.8 < float(np.mean(np.sum(noisy * base[np.arange(1000) % 4], axis=1))) < 0.95  # cos ~ 1/sqrt(1.25)
    assert parse_index("IVF1024,Flat@8") == ("IVF1024,Flat", 8) and parse_index("Flat") == ("Flat", None)


def test_approximate_vs_exact(tmp_path):
    out = tmp_path / "faiss.json"
    report = main(["--source", "random", "--rows", "3000", "--num-queries", "40", "--indexes", "Flat",
                   "IVF16,Flat@1", "IVF16,Flat@16", "HNSW8@64", "--out", str(out)])
    by = {r["index"]: r for r in report["results"]}
    assert by["Flat"]["recall_at_k"] == 1.0
    assert by["IVF16,Flat@16"]["recall_at_k"] > 0.99  # visiting every list is exhaustive search
    assert by["IVF16,Flat@1"]["recall_at_k"] < by["IVF16,Flat@16"]["recall_at_k"]
    assert all(r["queries_per_s"] > 0 for r in report["results"])
    assert json.loads(out.read_text())["rows"] == 3000
