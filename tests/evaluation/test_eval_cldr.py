"""CLDR short-name benchmark: real npm CLDR data, tiny slices."""

import os

import pytest

from evaluation.cldr_names import build_benchmark, run_cldr_names, short_names


def test_short_names_real_cldr():
    vi, en = short_names("vi"), short_names("en")
    assert len(en) == 4342 and len(vi) == 4342  # CLDR 48.2 base + derived tts names
    assert en["🍎"] == "red apple"
    with pytest.raises(ValueError, match="npm install"):
        short_names("xx")


def test_sample_is_the_same_emoji_in_every_language():
    rows, corpus = build_benchmark(["vi", "th", "bn"], max_queries=25)
    assert len(corpus) == 4342 and all(len(r) == 25 for r in rows.values())
    gold = [set(map(tuple, [r["relevant_ids"] for r in rows[lang]])) for lang in rows]
    assert gold[0] == gold[1] == gold[2]
    assert rows["th"][0]["language"] == "th" and rows["th"][0]["candidates"] == []


def test_known_answers_and_cli(lookup_system_factory, tiny_backbones_dir, tmp_path):
    rows, corpus = build_benchmark(["vi"], max_queries=10)
    ids = [p["product_id"] for p in corpus]
    perfect = lookup_system_factory({r["query"]: r["relevant_ids"][0] for r in rows["vi"]}, ids, name="oracle")
    report = run_cldr_names([perfect], ["vi"], max_queries=10, progress=False)
    assert report["results"]["oracle"]["vi"]["recall@1"] == 1.0 and report["num_queries"]["cldr_names"]["vi"] == 10

    from evaluation.__main__ import main

    out = str(tmp_path / "cldr")
    report = main(["cldr-names", "--languages", "vi", "th", "--max-queries", "8", "--out", out, "--no-progress",
                   "--backbones", tiny_backbones_dir, "--systems", "backbone", "--batch-size", "512"])
    assert set(report["results"]) == {"backbone"}
    assert os.path.exists(os.path.join(out, "recall_at_1.png")) and os.path.exists(os.path.join(out, "results.md"))
