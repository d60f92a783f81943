"""Known-answer tests of the local `evaluate` metric modules (values computed by hand in the comments)."""

import math

import pytest

from evaluation.metrics_loader import load_metric, metric_path


def test_modules_load_from_local_paths_offline():
    for name in ("retrieval", "accuracy"):
        assert metric_path(name).endswith(f"metrics/{name}/{name}.py")
        assert load_metric(name).name == name
    with pytest.raises(ValueError, match="unknown metric 'bleu'"):
        metric_path("bleu")


def test_retrieval_hand_computed():
    # q1: ranking d3 d1 d2 d4; d1 grade 2, d2 grade 1.
    #   DCG@3 = 0 + 2/log2(3) + 1/log2(4) = 1.26186 + 0.5 = 1.76186; IDCG@3 = 2/log2(2) + 1/log2(3) = 2.63093
    #   nDCG@3 = 0.66968; Recall@1 = 0, Recall@3 = 2/2; MRR@3 = 1/2; AP = (1/2 + 2/3) / 2 = 0.58333
    # q2: relevant c never retrieved: every score 0.
    m = load_metric("retrieval")
    out = m.compute(predictions=[["d3", "d1", "d2", "d4"], ["a", "b"]], references=[["d1", "d2"], ["c"]],
                    relevance=[[2, 1], [1]], k_values=[1, 3])
    assert out["num_queries"] == 2
    assert out["ndcg@1"] == 0.0
    assert out["ndcg@3"] == pytest.approx(0.66968 / 2, abs=1e-5)
    assert out["ndcg@3"] == pytest.approx((2 / math.log2(3) + 0.5) / (2 + 1 / math.log2(3)) / 2)
    assert out["recall@1"] == 0.0 and out["recall@3"] == 0.5
    assert out["mrr@1"] == 0.0 and out["mrr@3"] == 0.25
    assert out["map"] == pytest.approx((1 / 2 + 2 / 3) / 2 / 2)


def test_retrieval_perfect_cutoffs_and_map_depth():
    m = load_metric("retrieval")
    # single relevant at rank 1 -> every metric 1; binary grades by default
    out = m.compute(predictions=[["x", "y"]], references=[["x"]], k_values=[10])
    assert out["ndcg@10"] == out["recall@10"] == out["mrr@10"] == out["map"] == 1.0
    # relevant at rank 3: MRR@2 = 0, MRR@3 = 1/3, nDCG@3 = 1/log2(4) = 0.5; MAP@2 = 0, MAP@3 = 1/3
    out = m.compute(predictions=[["a", "b", "x"]], references=[["x"]], k_values=[2, 3], map_k=2)
    assert out["mrr@2"] == 0.0 and out["mrr@3"] == pytest.approx(1 / 3)
    assert out["ndcg@3"] == pytest.approx(0.5)
    assert out["map@2"] == 0.0
    # duplicates in a ranking are counted once
    out = m.compute(predictions=[["x", "x", "y"]], references=[["x", "y"]], k_values=[2])
    assert out["recall@2"] == 1.0
    per = m.compute(predictions=[["x"], ["z"]], references=[["x"], ["y"]], k_values=[1], return_per_query=True)
    assert per["per_query"]["recall@1"] == [1.0, 0.0]


def test_retrieval_rejects_bad_input():
    m = load_metric("retrieval")
    with pytest.raises(ValueError, match="no id with grade > 0"):
        m.compute(predictions=[["a"]], references=[["a"]], relevance=[[0]])
    with pytest.raises(ValueError, match="differ in length"):
        m.compute(predictions=[["a"]], references=[["a", "b"]], relevance=[[1]])
    with pytest.raises(ValueError, match="positive cut-offs"):
        m.compute(predictions=[["a"]], references=[["a"]], k_values=[0])


def test_accuracy_hand_computed():
    out = load_metric("accuracy").compute(predictions=["vi", "th", "id", "ur"], references=["vi", "th", "ms", "ur"])
    assert out == {"accuracy": 0.75, "num_examples": 4}
