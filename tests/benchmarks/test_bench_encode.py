"""The encoding benchmark: a real worker subprocess on a tiny encoder, and the ratio/extrapolation arithmetic."""

import json

import pytest

from benchmarks.bench_encode import benchmark_inputs, main, summarize, table


def test_inputs_are_shared_and_round_robin(eval_dataset_dir):
    rows, products = benchmark_inputs(eval_dataset_dir, 5, 4)
    assert [r["language"] for r in rows] == ["vi", "th", "vi", "th", "vi"] and len(products) == 4


@pytest.mark.slow
def test_worker_subprocess_measures_one_system(eval_dataset_dir, tiny_backbones_dir, tmp_path):
    out = tmp_path / "encode.json"
    report = main(["--dataset", eval_dataset_dir, "--backbones", tiny_backbones_dir, "--systems", "translate_test",
                   "--num-texts", "8", "--num-docs", "6", "--catalogue-size", "2000", "--batch-size", "4",
                   "--repeats", "2", "--rounds", "1", "--threads", "1", "--reference", "translate_test", "--out", str(out)])
    (r,) = report["results"]
    assert r["system"] == "translate_test" and r["dim"] == 24  # the tiny MiniLM stand-in
    assert r["num_texts"] == 8 and r["batch_size"] == 4 and r["throughput_ratio"] == 1.0
    assert r["repeats"] == 2 and r["texts_per_s"] >= r["texts_per_s_median"] > 0  # best of the repeats
    assert r["peak_rss_mb"] >= r["load_rss_mb"] * 0.99 > 0
    assert r["index_100k_total_s"] > r["index_100k_faiss_add_s"] > 0
    assert json.loads(out.read_text())["results"][0]["system"] == "translate_test"


def test_summarize_ratios_and_linear_extrapolation():
    results = [
        {"system": "use_m3", "dim": 512, "texts_per_s": 300.0, "peak_rss_mb": 400.0, "docs_s": 2.0, "num_docs": 500,
         "encode_extra_mb": 10.0},
        {"system": "backbone", "dim": 384, "texts_per_s": 100.0, "peak_rss_mb": 1000.0, "docs_s": 5.0,
         "num_docs": 500, "encode_extra_mb": 50.0},
    ]
    report = summarize(results, "backbone", 100_000, faiss_seconds=lambda dim, rows: dim / 128)
    by = {r["system"]: r for r in report["results"]}
    assert by["use_m3"]["throughput_ratio"] == 3.0 and by["use_m3"]["peak_memory_ratio"] == 0.4
    assert by["backbone"]["index_100k_encode_s"] == pytest.approx(1000.0)  # 5 s / 500 docs * 100k
    assert by["backbone"]["index_100k_total_s"] == pytest.approx(1003.0)
    assert "| use_m3 | 300.0 | 3.00 | 400 | 0.40 | 10 |" in table(report)


def test_a_lira_system_without_its_normalizer_is_a_choice():
    from benchmarks.bench_encode import parse_args

    assert parse_args(["--systems", "backbone", "lira_lrl_raw"]).systems == ["backbone", "lira_lrl_raw"]
    with pytest.raises(SystemExit):
        parse_args(["--systems", "backbone_raw"])


def test_every_system_maps_its_weights_from_the_same_page_cache_state(tmp_path):
    """The worker reads each system's weight folders once before loading (`prime_page_cache`), found through the
    attributes the systems keep them in (`LiraSystem.folder`, `TextSystem.weights_dir`, the encoder's `path`)."""
    from types import SimpleNamespace

    from benchmarks.bench_encode import parse_args, prime_page_cache, weight_folders

    model, backbone = tmp_path / "model", tmp_path / "backbone"
    (model / "english_tokenizer").mkdir(parents=True)
    backbone.mkdir()
    (model / "model.safetensors").write_bytes(b"x" * 5000)
    (model / "english_tokenizer" / "tokenizer.json").write_bytes(b"y" * 70)
    lira = SimpleNamespace(folder=str(model), encoder=None)
    text = SimpleNamespace(weights_dir=str(backbone), encoder=SimpleNamespace(path=str(backbone)))
    assert weight_folders(lira) == [str(model)] and weight_folders(text) == [str(backbone)]
    assert weight_folders(SimpleNamespace(folder=str(tmp_path / "missing"))) == []
    assert prime_page_cache([str(model), str(backbone)], chunk=1024) == 5070
    assert parse_args(["--systems", "backbone"]).prime_page_cache is True
    assert parse_args(["--systems", "backbone", "--no-prime-page-cache"]).prime_page_cache is False
