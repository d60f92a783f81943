"""Zero-shot languages: test-only configs of lira-products (`--zero-shot-languages`), and the evaluator reading them
for a LiRA model that never saw them (language unknown) while still refusing a language the dataset does not mark.

The builds use a small CLDR slice and the string-agreement critic (no encoder to load), so they take seconds; the
QE critic's own determinism is covered by the real rebuild compared with `artifacts/lira-products` (see the task
report), not here.
"""

import filecmp
import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from dataset_builder.schema import LANGUAGES, NOISE_TYPES, ZERO_SHOT_LANGUAGES, check_zero_shot_languages

PRODUCTS, QUERIES, ZERO_SHOT = 60, 300, ("km", "hi")


def _build(out, zero_shot=None, languages=None):
    from dataset_builder import ReferenceTranslationCritic, build_cldr_dataset

    return build_cldr_dataset(out, languages=languages, max_products=PRODUCTS, max_queries_per_language=QUERIES,
                              seed=13, critic=ReferenceTranslationCritic(), progress=False,
                              zero_shot_languages=zero_shot)  # fmt: skip


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """`(plain build, the same build with ZERO_SHOT)` folders."""
    root = tmp_path_factory.mktemp("zero-shot")
    return _build(root / "plain"), _build(root / "zs", ZERO_SHOT)


def _rows(path):
    return pq.read_table(path).to_pylist()


def test_zero_shot_configs_hold_only_test_rows_about_test_products(builds):
    _, zs = builds
    corpus = {r["product_id"]: r for r in _rows(zs / "corpus/corpus-00000-of-00001.parquet")}
    stats = json.loads((zs / "lira_build.json").read_text(encoding="utf-8"))
    assert stats["zero_shot_languages"] == list(ZERO_SHOT) and stats["languages"] == list(LANGUAGES)
    for lang in ZERO_SHOT:
        assert sorted(os.listdir(zs / "data" / lang)) == ["test-00000-of-00001.parquet",
                                                          "test_noisy-00000-of-00001.parquet"]  # fmt: skip
        test, noisy = (_rows(zs / f"data/{lang}/{s}-00000-of-00001.parquet") for s in ("test", "test_noisy"))
        assert len(test) == stats["queries"][lang]["test"]["rows"] > 20
        assert stats["queries"][lang]["train"]["rows"] == stats["queries"][lang]["validation"]["rows"] == 0
        for row in test:
            assert row["language"] == lang and row["query_id"].startswith(f"{lang}-") and row["noise"] == "none"
            assert row["relevant_ids"] and all(corpus[pid]["split"] == "test" for pid in row["relevant_ids"])
            assert 1 <= len(row["candidates"]) <= 4 and len(row["critic_scores"]) == len(row["candidates"])
        assert any(r["composed"] for r in test) and any(not r["composed"] for r in test)  # same composition
        assert [r["clean_query_id"] for r in noisy] == sorted(r["query_id"] for r in test)
        assert {r["noise"] for r in noisy} <= {"typo", "code_mix"} < set(NOISE_TYPES)  # no rule, no romaniser
        assert all(all(corpus[p]["split"] == "test" for p in r["relevant_ids"]) for r in noisy)
    card = (zs / "README.md").read_text(encoding="utf-8")
    assert "## Zero-shot languages" in card and "zero_shot_languages:\n- km\n- hi\n" in card


def test_trained_languages_and_corpus_are_unchanged_by_the_option(builds):
    plain, zs = builds
    files = sorted(str(p.relative_to(plain)) for p in plain.rglob("*.parquet"))
    assert len(files) == 1 + 4 * len(LANGUAGES)
    match, mismatch, errors = filecmp.cmpfiles(plain, zs, files, shallow=False)
    assert not mismatch and not errors, mismatch
    extra = sorted(str(p.relative_to(zs)) for p in zs.rglob("*.parquet") if not (plain / p.relative_to(zs)).exists())
    assert extra == sorted(f"data/{lang}/{s}-00000-of-00001.parquet" for lang in ZERO_SHOT for s in ("test",
                                                                                                      "test_noisy"))


def test_default_config_keeps_the_trained_languages_only(builds, tmp_path):
    from datasets import get_dataset_config_names, load_dataset

    plain, zs = builds
    assert get_dataset_config_names(str(zs)) == ["default", *LANGUAGES, *ZERO_SHOT, "corpus"]
    a = load_dataset(str(plain), split="test", cache_dir=str(tmp_path / "a"))
    b = load_dataset(str(zs), split="test", cache_dir=str(tmp_path / "b"))
    assert a["query_id"] == b["query_id"] and not set(b["language"]) & set(ZERO_SHOT)
    km = load_dataset(str(zs), "km", cache_dir=str(tmp_path / "c"))
    assert list(km) == ["test", "test_noisy"]


def test_zero_shot_language_codes_are_checked():
    assert check_zero_shot_languages(["km", "lo", "km"]) == ("km", "lo")
    assert check_zero_shot_languages(None) == ()
    for bad in (["th"], ["Khmer"], [""]):
        with pytest.raises(ValueError):
            check_zero_shot_languages(bad)
    from dataset_builder.__main__ import _parser

    args = _parser().parse_args(["build", "--out", "x", "--zero-shot-languages"])
    assert args.zero_shot_languages == ZERO_SHOT_LANGUAGES
    assert _parser().parse_args(["build", "--out", "x", "--zero-shot-languages", "km,ta"]).zero_shot_languages == (
        "km", "ta")
    assert _parser().parse_args(["build", "--out", "x"]).zero_shot_languages == ()
    with pytest.raises(SystemExit):
        _parser().parse_args(["build", "--out", "x", "--zero-shot-languages", "km,vi"])


def test_zero_shot_language_needs_names_for_most_test_products(tmp_path):
    from dataset_builder.products import LiraProduct
    from dataset_builder.pipeline import build_dataset
    from dataset_builder import ReferenceTranslationCritic

    products = [LiraProduct(f"p{i}", f"thing {i}", [f"word{i}"], "c", {"vi": f"vat {i}"}, {"vi": [f"tu{i}"]},
                            split="test" if i < 5 else "train") for i in range(10)]  # fmt: skip
    products[0].titles["km"], products[0].keywords["km"] = "ក", []
    with pytest.raises(ValueError, match="names 1 of the 5 test products"):
        build_dataset(tmp_path / "out", products, ["vi"], critic=ReferenceTranslationCritic(), progress=False,
                      zero_shot_languages=["km"])  # fmt: skip
    assert not (tmp_path / "out").exists()


# --- evaluation -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zs_eval_dataset(tmp_path_factory):
    """The mini eval dataset with vi, th and two more configs, `km` (marked zero-shot in the card) and `lo` (not)."""
    from tests.fixtures_eval import write_eval_dataset

    folder = write_eval_dataset(str(tmp_path_factory.mktemp("zs_eval")), languages=("vi", "th", "km", "lo"))
    readme = os.path.join(folder, "README.md")
    text = open(readme, encoding="utf-8").read()
    with open(readme, "w", encoding="utf-8") as f:
        f.write(text.replace("---\nconfigs:", "---\nzero_shot_languages:\n- km\nconfigs:", 1))
    return folder


def test_evaluator_reads_a_zero_shot_language_as_unknown_for_lira(zs_eval_dataset, tiny_lira_dir,
                                                                 lookup_system_factory):  # fmt: skip
    from lira_utils.dataset import dataset_zero_shot_languages, load_queries
    from evaluation.evaluator import run_evaluation
    from evaluation.lira_system import LiraSystem

    assert dataset_zero_shot_languages(zs_eval_dataset) == ("km",)
    lrl, noisy = LiraSystem(tiny_lira_dir, "lrl", progress=False), LiraSystem(tiny_lira_dir, "noisy", progress=False)
    assert "km" not in lrl.languages
    baseline = lookup_system_factory({}, [f"p{i}" for i in range(6)])
    report = run_evaluation([lrl, noisy, baseline], zs_eval_dataset, ["vi", "km"], ("test",), progress=False)
    for name in ("lira_lrl", "lira_noisy", "lookup"):
        assert set(report["results"][name]) == {"vi", "km"} and 0 <= report["results"][name]["km"]["ndcg@10"] <= 1
    assert "langid_acc" in report["results"]["lira_lrl"]["vi"] and "langid_acc" not in report["results"]["lira_lrl"]["km"]
    assert report["macro_average"]["test"]["lira_lrl"]["langid_acc"] == report["results"]["lira_lrl"]["vi"]["langid_acc"]
    # the km queries were encoded with the language unknown: exactly `languages=None`, not a trained language's id
    # (the language reaches the vector through LaSR, which reads candidates: the noisy mode)
    rows = load_queries(zs_eval_dataset, "km")
    texts, cands = [r["query"] for r in rows], [r["candidates"] for r in rows]
    scores = [r["critic_scores"] for r in rows]
    as_km = noisy.encode_queries(texts, ["km"] * len(texts), cands, scores)
    np.testing.assert_allclose(as_km, noisy.encode_queries(texts, [None] * len(texts), cands, scores), atol=1e-6)
    assert not np.allclose(as_km, noisy.encode_queries(texts, ["th"] * len(texts), cands, scores), atol=1e-4)


def test_evaluator_still_refuses_a_language_the_dataset_does_not_mark(zs_eval_dataset, tiny_lira_dir,
                                                                     eval_dataset_dir):  # fmt: skip
    from evaluation.inputs import check_languages
    from evaluation.evaluator import run_evaluation
    from evaluation.lira_system import LiraSystem

    system = LiraSystem(tiny_lira_dir, "lrl", progress=False)
    with pytest.raises(ValueError, match=r"\['lo'\] were requested.*zero-shot languages \['km'\]"):
        run_evaluation([system], zs_eval_dataset, ["vi", "lo"], ("test",), progress=False)
    with pytest.raises(ValueError, match="has no config for"):  # a typo of a trained language
        check_languages(zs_eval_dataset, ["vi", "thh"], system.languages)
    assert check_languages(zs_eval_dataset, ["vi", "km"], system.languages) == ["km"]
    assert check_languages(zs_eval_dataset, ["vi", "lo"]) == []  # baselines: no model languages, nothing special
    with pytest.raises(ValueError, match="only languages it lacks"):
        system.allow_unknown_languages(["th"])
    # without the allowance the processor refuses the code, as before
    with pytest.raises(ValueError, match="is not a known language"):
        LiraSystem(tiny_lira_dir, "lrl", progress=False).encode_queries(["ร่ม"], ["km"])
