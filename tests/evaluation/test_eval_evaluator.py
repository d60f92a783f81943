"""The evaluator on the hand-made mini dataset: known answers, caching, robustness and language checks."""

import numpy as np
import pytest

from evaluation.inputs import check_languages, query_inputs
from lira_utils.dataset import load_corpus, load_queries
from evaluation.evaluator import evaluate_encoder, run_evaluation
from evaluation.robustness import robustness
from evaluation.search import exact_top_k, top_k
from evaluation.systems import top_candidate
from tests.fixtures_eval import EVAL_PRODUCTS

IDS = [p[0] for p in EVAL_PRODUCTS]
VI = {p[3]: p[0] for p in EVAL_PRODUCTS}
TH = {p[4]: p[0] for p in EVAL_PRODUCTS}


def perfect_answers():
    answers = {**VI, **TH, "táo": "p0", "แอปเปิล": "p1", "táo x": "p0", "แอปเปิล x": "p1"}
    answers.update({t + " x": pid for t, pid in list(VI.items()) + list(TH.items())})
    return answers


def test_known_answers_clean_and_noisy(eval_dataset_dir, lookup_system_factory, tmp_path):
    # Clean: every named query finds its product at rank 1; the 2-answer keyword query finds p0 first, p1 second.
    # Noisy (" x" appended): this system only knows the clean strings of vi, so vi noisy queries all fall back to
    # p5 (one named query correct: the bicycle), th noisy queries are still perfect.
    answers = {**VI, **TH, "táo": "p0", "แอปเปิล": "p1", "แอปเปิล x": "p1"}
    answers.update({t + " x": pid for t, pid in TH.items()})
    system = lookup_system_factory(answers, IDS)
    report = run_evaluation([system], eval_dataset_dir, ["vi", "th"], out_dir=str(tmp_path), progress=False)
    clean = report["splits"]["test"]["lookup"]
    assert clean["vi"]["recall@1"] == pytest.approx((6 + 0.5) / 7)  # keyword query: 1 of 2 at rank 1
    assert clean["vi"]["recall@10"] == 1.0 and clean["vi"]["ndcg@10"] == 1.0 and clean["vi"]["mrr@10"] == 1.0
    noisy = report["splits"]["test_noisy"]["lookup"]
    assert noisy["th"]["ndcg@10"] == 1.0
    # vi noisy: 7 queries all ranked p5 first (one-hot ties broken by corpus order afterwards: p0, p1, ...)
    assert noisy["vi"]["mrr@1"] == pytest.approx(1 / 7)
    drop = report["robustness"]["lookup"]
    assert drop["th"]["ndcg@10"] == 0.0 and drop["vi"]["mrr@10"] > 0.3
    assert report["num_queries"] == {"test": {"vi": 7, "th": 7}, "test_noisy": {"vi": 7, "th": 7}}
    assert report["results"] == report["splits"]["test"] and report["split"] == "test"
    assert report["macro_average"]["test_noisy"]["lookup"]["mrr@1"] == pytest.approx((1 / 7 + 1) / 2)
    # per noise type, paired with the clean row: 6 typo rows + 1 code_mix row per language
    by_noise = report["robustness_by_noise"]["lookup"]
    assert by_noise["typo"]["pairs"] == 12 and by_noise["code_mix"]["pairs"] == 2
    assert by_noise["typo"]["clean"] == 1.0 and by_noise["code_mix"]["clean"] == 1.0
    # vi: typo rows all rank p5, p0, p1, ... so the product of row i sits at rank 2..6 (bicycle: rank 1) and
    # nDCG = 1/log2(rank + 1); the code_mix row ('táo x': p0, p1 at ranks 2, 3) scores
    # (1/log2(3) + 1/log2(4)) / (1 + 1/log2(3)); th: perfect
    vi_typo = np.mean([1 / np.log2(rank + 1) for rank in (2, 3, 4, 5, 6, 1)])
    vi_kw = (1 / np.log2(3) + 1 / np.log2(4)) / (1 + 1 / np.log2(3))
    assert by_noise["typo"]["noisy"] == pytest.approx((vi_typo + 1) / 2)
    assert by_noise["code_mix"]["noisy"] == pytest.approx((vi_kw + 1) / 2)


def test_rerun_computes_nothing_and_only_changes_recompute(eval_dataset_dir, lookup_system_factory, tmp_path):
    a = lookup_system_factory(perfect_answers(), IDS, name="a")
    b = lookup_system_factory(perfect_answers(), IDS, name="b")
    first = run_evaluation([a, b], eval_dataset_dir, ["vi", "th"], out_dir=str(tmp_path), progress=False)
    assert first["cache"]["computed_results"] == 8 and a.calls > 0
    a2 = lookup_system_factory(perfect_answers(), IDS, name="a")
    b2 = lookup_system_factory(perfect_answers(), IDS, name="b", key="v2")  # "new weights" for b only
    second = run_evaluation([a2, b2], eval_dataset_dir, ["vi", "th"], out_dir=str(tmp_path), progress=False)
    assert a2.calls == 0, "system a was recomputed although nothing changed"
    assert second["cache"]["computed_results"] == 4 and second["cache"]["cached_results"] == 4
    assert b2.calls == 4  # 4 query sets; its documents (same document key) came from the cache
    third = run_evaluation([a2, b2], eval_dataset_dir, ["vi", "th"], out_dir=str(tmp_path), progress=False)
    assert third["cache"].get("computed_results", 0) == 0 and third["cache"].get("computed_embeddings", 0) == 0
    assert third["splits"] == second["splits"]


def test_evaluate_encoder_for_training_code(eval_dataset_dir, lookup_system_factory):
    out = evaluate_encoder(lookup_system_factory(perfect_answers(), IDS), eval_dataset_dir, ["th"], max_queries=3)
    assert list(out) == ["th"] and out["th"]["num_queries"] == 3 and out["th"]["ndcg@10"] == 1.0


def test_language_mismatch_is_refused(eval_dataset_dir):
    with pytest.raises(ValueError, match=r"has no config for \['bn'\].*--languages vi th"):
        check_languages(eval_dataset_dir, ["vi", "bn"])
    with pytest.raises(ValueError, match=r"model knows languages \['vi', 'en'\] but \['th'\].*do not match"):
        check_languages(eval_dataset_dir, ["vi", "th"], model_languages=["vi", "en"])
    with pytest.raises(ValueError, match="split 'dev'"):
        load_queries(eval_dataset_dir, "vi", "dev")


def test_query_inputs_modes(eval_dataset_dir):
    rows = load_queries(eval_dataset_dir, "vi", "test")
    titles = {p["product_id"]: p["title_en"] for p in load_corpus(eval_dataset_dir)}
    none = query_inputs(rows, "none", titles)
    assert none["candidates"] is None and none["languages"][0] == "vi"
    noisy = query_inputs(rows, "noisy", titles)
    assert noisy["candidates"][0] == ["green apple", "red apple"] and noisy["critic_scores"][0][1] == [9.0, 8.0, 8.0]
    oracle = query_inputs(rows, "oracle", titles)
    assert oracle["candidates"][0] == ["red apple"] and oracle["candidates"][-1] == ["red apple"]  # tie -> first
    # translate-test's top candidate: highest semantic critic score, not the first listed
    assert top_candidate("q", noisy["candidates"][0], noisy["critic_scores"][0]) == "red apple"
    assert top_candidate("q", [], []) == "q"
    with pytest.raises(ValueError, match="candidate_mode 'gold'"):
        query_inputs(rows, "gold", titles)


def test_exact_and_faiss_search_agree():
    rng = np.random.default_rng(0)
    docs = rng.normal(size=(500, 16)).astype(np.float32)
    queries = rng.normal(size=(20, 16)).astype(np.float32)
    idx, scores = exact_top_k(queries, docs, 5)
    brute = np.argsort(-(queries @ docs.T), axis=1)[:, :5]
    assert (idx == brute).all() and (np.diff(scores, axis=1) <= 0).all()
    faiss_idx, _ = top_k(queries, docs, 5, index="Flat")
    assert (faiss_idx == idx).all()
    assert exact_top_k(queries, docs[:3], 10)[0].shape == (20, 3)


def test_robustness_is_clean_minus_noisy():
    splits = {"test": {"s": {"vi": {"ndcg@10": 0.5, "recall@10": 0.6, "mrr@10": 0.4}}},
              "test_noisy": {"s": {"vi": {"ndcg@10": 0.3, "recall@10": 0.6, "mrr@10": 0.5}}}}
    drop = robustness(splits)["s"]["vi"]
    assert drop["ndcg@10"] == pytest.approx(0.2) and drop["recall@10"] == 0 and drop["mrr@10"] == pytest.approx(-0.1)
    assert robustness({"test": splits["test"]}) == {}


def test_rebuilt_dataset_folder_is_not_served_stale(tmp_path):
    # `datasets` keys the Arrow cache of README-declared configs by folder name + config only; the loader must not
    # return the rows of an older build of the same folder.
    import tests.fixtures_eval as fe

    folder = str(tmp_path / "same_name")
    fe.write_eval_dataset(folder, languages=("vi",))
    assert load_queries(folder, "vi", "test")[0]["query"] == "táo đỏ"
    original = fe._query_rows
    try:
        fe._query_rows = lambda lang, noisy=False: [dict(r, query=r["query"] + " v2") for r in original(lang, noisy)]
        fe.write_eval_dataset(folder, languages=("vi",))
    finally:
        fe._query_rows = original
    assert load_queries(folder, "vi", "test")[0]["query"] == "táo đỏ v2"
