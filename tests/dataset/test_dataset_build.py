"""The CLDR build: Hub loading offline, schema, invariants, split disjointness, determinism, real-word composition."""

import filecmp
import os
import re
import subprocess
import sys

import pytest
from datasets import get_dataset_config_names, load_dataset

from dataset_builder import CORPUS_FEATURES, LANGUAGES, QUERY_FEATURES, QUERY_SPLITS, build_cldr_dataset
from dataset_builder.products import select_cldr_products
from dataset_builder.queries import normalize_query, product_terms
from dataset_builder.schema import CANDIDATE_SOURCES, NOISE_TYPES
from dataset_builder.sources import ensure_sources
from tests import REPO_ROOT


@pytest.fixture(scope="module")
def hf_cache(tmp_path_factory):
    """A private `datasets` cache: the shared one keys a local folder by its name and config only, so a folder
    named `lira-products` would be read back from a previous session's Arrow files."""
    return str(tmp_path_factory.mktemp("hf-datasets-cache"))


@pytest.fixture(scope="module")
def loaded(tiny_products_dir, hf_cache):
    return {lang: load_dataset(tiny_products_dir, lang, cache_dir=hf_cache) for lang in LANGUAGES}


@pytest.fixture(scope="module")
def corpus(tiny_products_dir, hf_cache):
    return load_dataset(tiny_products_dir, "corpus", split="corpus", cache_dir=hf_cache)


def test_configs_features_and_splits(tiny_products_dir, loaded, corpus, hf_cache):
    assert get_dataset_config_names(tiny_products_dir) == ["default", *LANGUAGES, "corpus"]
    for lang, dsd in loaded.items():
        assert list(dsd) == list(QUERY_SPLITS)
        for split, ds in dsd.items():
            assert ds.features == QUERY_FEATURES, (lang, split)
            assert len(ds) > 0, (lang, split)
            assert set(ds["language"]) == {lang}
    assert corpus.features == CORPUS_FEATURES
    assert len(corpus) == 60
    default = load_dataset(tiny_products_dir, cache_dir=hf_cache)
    assert default["test"].features == QUERY_FEATURES
    assert len(default["train"]) == sum(len(d["train"]) for d in loaded.values())


def test_row_invariants(loaded, corpus):
    product_ids = set(corpus["product_id"])
    for dsd in loaded.values():
        ids = [qid for ds in dsd.values() for qid in ds["query_id"]]
        assert len(ids) == len(set(ids))
        for split, ds in dsd.items():
            for row in ds:
                assert row["relevant_ids"] and len(row["relevant_ids"]) == len(row["relevance"])
                assert set(row["relevant_ids"]) <= product_ids
                assert set(row["relevance"]) <= {1, 2} and row["relevance"] == sorted(row["relevance"], reverse=True)
                # a noisy row without a translation has no candidates (candidate mode not applicable)
                assert (0 if split == "test_noisy" else 1) <= len(row["candidates"]) <= 4
                assert len(row["candidate_sources"]) == len(row["candidates"]) == len(row["critic_scores"])
                assert set(row["candidate_sources"]) <= set(CANDIDATE_SOURCES)
                assert (split == "test_noisy") == any(s.startswith("noisy_") for s in row["candidate_sources"]) or (
                    split == "test_noisy" and not row["candidates"])
                assert all(len(s) == 3 and all(1.0 <= x <= 10.0 for x in s) for s in row["critic_scores"])
                assert row["noise"] in NOISE_TYPES and (row["noise"] == "none") == (split != "test_noisy")
        clean = {r["query_id"]: r for r in dsd["test"]}
        for row in dsd["test_noisy"]:
            source = clean[row["clean_query_id"]]
            assert row["query"] != source["query"] and row["relevant_ids"] == source["relevant_ids"]


def test_splits_are_product_disjoint(loaded, corpus):
    product_split = dict(zip(corpus["product_id"], corpus["split"]))
    for lang, dsd in loaded.items():
        used = {}
        for split in ("train", "validation", "test", "test_noisy"):
            expected = "test" if split == "test_noisy" else split
            for ids in dsd[split]["relevant_ids"]:
                assert {product_split[pid] for pid in ids} == {expected}, (lang, split, ids)
                used.setdefault(expected, set()).update(ids)
        assert not used["train"] & used["test"]
        assert not used["train"] & used["validation"]


def test_queries_are_real_terms(loaded):
    """Real queries are a localized name/keyword of every relevant product; composed ones two such terms."""
    products = {p.product_id: p for p in select_cldr_products(ensure_sources(), LANGUAGES, 60)}
    for lang, dsd in loaded.items():
        for row in dsd["train"].select(range(min(300, len(dsd["train"])))):
            terms = [set(product_terms(products[pid], lang)[1]) for pid in row["relevant_ids"]]
            if not row["composed"]:
                assert all(row["query"] in t for t in terms), row
            else:
                words = row["query"].split(" ")
                cuts = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
                assert any(all(a in t and b in t for t in terms) for a, b in cuts), row
            name = normalize_query(products[row["relevant_ids"][0]].titles[lang])
            if not row["composed"]:
                assert (row["relevance"][0] == 2) == (row["query"] == name)
            elif row["relevance"][0] == 2:
                assert row["query"].startswith(name + " ") or row["query"].endswith(" " + name)


def test_candidates_are_shuffled_and_mixed(loaded):
    rows = [r for dsd in loaded.values() for r in dsd["train"]]
    first_good = sum(r["candidate_sources"][0].startswith("aligned") for r in rows) / len(rows)
    assert 0.2 < first_good < 0.9
    assert all(any(s.startswith("aligned") for s in r["candidate_sources"]) for r in rows)
    noisy = {"wrong_sense", "other_product", "word_drop", "truncation", "en_keyword"}
    assert sum(bool(noisy & set(r["candidate_sources"])) for r in rows) / len(rows) > 0.95


@pytest.mark.slow
def test_build_is_deterministic_and_seeded(tmp_path):
    kwargs = dict(languages=["th", "fil"], max_products=30, max_queries_per_language=120, progress=False)
    a = build_cldr_dataset(tmp_path / "a", seed=13, **kwargs)
    b = build_cldr_dataset(tmp_path / "b", seed=13, **kwargs)
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert not mismatch and not errors
    c = build_cldr_dataset(tmp_path / "c", seed=14, **kwargs)
    assert not filecmp.cmp(a / "corpus/corpus-00000-of-00001.parquet", c / "corpus/corpus-00000-of-00001.parquet",
                           shallow=False)  # fmt: skip
    # rebuilding over a previous build replaces it atomically
    build_cldr_dataset(a, seed=14, **kwargs)
    assert filecmp.cmp(a / "README.md", c / "README.md", shallow=False)
    assert not [p for p in os.listdir(tmp_path) if re.match(r"\.\w+\.(tmp|old)-", p)]


def test_full_selection_rule():
    products = select_cldr_products(ensure_sources(), languages=("th",))
    assert len(products) == 599
    groups = {p.group for p in products}
    assert groups == {"Food & Drink", "Objects", "Activities", "Travel & Places", "Animals & Nature"}
    assert all(p.titles["th"] and p.title_en for p in products)
    by_name = {p.title_en: p for p in products}
    assert by_name["red apple"].category == "food-fruit" and by_name["t-shirt"].category == "clothing"
    assert by_name["bicycle"].category == "transport-ground" and by_name["umbrella"].category == "sky & weather"
    assert "grinning face" not in by_name and "dog" not in by_name


@pytest.mark.slow
def test_build_is_stable_across_processes(tmp_path):
    """Byte-identical output under different string-hash seeds (no set-order dependence)."""
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"h{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        cmd = [sys.executable, "-m", "dataset_builder", "build", "--out", str(out), "--languages", "vi", "ur",
               "--max-products", "40", "--max-queries-per-language", "150", "--quiet"]  # fmt: skip
        subprocess.run(cmd, check=True, env=env, capture_output=True, cwd=REPO_ROOT)
        outs.append(out)
    files = sorted(str(p.relative_to(outs[0])) for p in outs[0].rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(outs[0], outs[1], files, shallow=False)
    assert len(match) == len(files) > 5 and not mismatch and not errors
