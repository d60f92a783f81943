"""The evaluator on a tiny slice of the real dataset (`tiny_products_dir`: 60 CLDR products, 7 languages)."""

import os

import pytest

from lira_utils.dataset import load_corpus, load_queries
from evaluation.systems import top_candidate

pytestmark = pytest.mark.slow  # real weights / real data / several processes: run by scripts/test.sh


@pytest.fixture(scope="module")
def real_vocab_backbones(tiny_products_dir, tmp_path_factory):
    """Tiny random BERTs whose word vocabulary comes from the real slice (titles, candidates, queries)."""
    from tests.fixtures_eval import _save_tiny_bert

    words = {"query", "passage", ":", "|", ","}
    for p in load_corpus(tiny_products_dir):
        words.update(p["title_en"].split())
    for lang in ("vi", "th"):
        for r in load_queries(tiny_products_dir, lang, "test"):
            words.update(r["query"].split())
            for c in r["candidates"]:
                words.update(c.split())
    root = str(tmp_path_factory.mktemp("real_vocab_backbones"))
    _save_tiny_bert(os.path.join(root, "multilingual-e5-small"), sorted(words), seed=3)
    _save_tiny_bert(os.path.join(root, "all-MiniLM-L6-v2"), sorted(words), seed=4)
    return root


def test_every_system_on_real_slice(tiny_products_dir, real_vocab_backbones, tiny_lira_dir, tmp_path):
    from evaluation.__main__ import main

    report = main(["evaluate", "--dataset", tiny_products_dir, "--languages", "vi", "th", "--max-queries", "40",
                   "--backbones", real_vocab_backbones, "--out", str(tmp_path / "e"), "--no-progress",
                   "--systems", "backbone", "translate_test", "minilm_query"])
    expected = {lang: min(40, len(load_queries(tiny_products_dir, lang, "test"))) for lang in ("vi", "th")}
    assert report["num_queries"]["test"] == expected
    corpus = load_corpus(tiny_products_dir)
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    assert report["corpus_size"] == len(corpus)
    for lang in ("vi", "th"):
        rows = load_queries(tiny_products_dir, lang, "test", max_queries=40)
        # translate-test encodes the top critic candidate with the same encoder as the titles: whenever that
        # candidate *is* a relevant product's title, the product ranks first (identical vectors)
        exact = sum(top_candidate(r["query"], r["candidates"], r["critic_scores"]) in
                    {titles[i] for i in r["relevant_ids"]} for r in rows)
        assert exact >= 5  # the check below is not vacuous
        assert report["results"]["translate_test"][lang]["mrr@10"] >= exact / len(rows) - 1e-9
        for split in ("test", "test_noisy"):
            for system in ("backbone", "translate_test", "minilm_query"):
                scores = report["splits"][split][system][lang]
                assert 0 <= scores["ndcg@10"] <= 1 and scores["recall@10"] >= scores["recall@1"]


def test_lira_on_real_slice_and_mismatch(tiny_products_dir, tiny_lira_dir, tmp_path):
    from evaluation.__main__ import main

    with pytest.raises(ValueError, match=r"has no config for \['hi'\]"):
        main(["evaluate", "--model", tiny_lira_dir, "--dataset", tiny_products_dir, "--languages", "vi", "hi",
              "--systems", "lira_lrl", "--out", str(tmp_path / "x"), "--no-progress"])
    report = main(["evaluate", "--model", tiny_lira_dir, "--dataset", tiny_products_dir, "--languages", "bn",
                   "--max-queries", "10", "--systems", "lira_noisy", "lira_oracle", "--splits", "test_noisy",
                   "--out", str(tmp_path / "l"), "--no-progress"])
    assert report["split"] == "test_noisy" and report["robustness"] == {}
    assert 0 <= report["results"]["lira_noisy"]["bn"]["langid_acc"] <= 1
