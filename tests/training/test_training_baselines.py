"""The strong simple baselines on tiny models built in code: the plain InfoNCE fine-tune and late fusion."""

import json
import os

import numpy as np
import pytest
import torch

from evaluation.fusion import LATE_FUSION_FILE, LateFusionSystem, score_fusion_grid
from evaluation.systems import build_system
from training.data import plan_batches
from training.finetune import LiraFinetuneArguments, LiraPairCollator, false_negative_mask, run_finetune


def _rows():
    return [{"query": f"q{i}", "relevant_ids": [f"p{i % 5}", f"p{(i + 1) % 5}"], "relevance": [2, 1]}
            for i in range(20)]


def test_plan_batches_has_distinct_best_positives_and_is_reproducible():
    corpus = [f"p{i}" for i in range(5)]
    plan = plan_batches(_rows(), corpus, steps=6, batch_size=4, seed=3)
    assert len(plan) == 24 and plan == plan_batches(_rows(), corpus, steps=6, batch_size=4, seed=3)
    assert plan != plan_batches(_rows(), corpus, steps=6, batch_size=4, seed=4)
    for start in range(0, 24, 4):
        positives = [pid for _, pid in plan[start : start + 4]]
        assert len(set(positives)) == 4
    assert all(pid == f"p{i % 5}" for i, pid in plan)  # the grade-2 product, never the grade-1 one
    with pytest.raises(ValueError, match="batch-size"):
        plan_batches(_rows(), corpus, steps=1, batch_size=6, seed=0)


def test_collator_masks_in_batch_products_relevant_to_the_query(tiny_backbones_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(os.path.join(tiny_backbones_dir, "multilingual-e5-small"))
    rows = [{"query": "táo đỏ", "relevant_ids": ["p0", "p1"]}, {"query": "táo xanh", "relevant_ids": ["p1"]},
            {"query": "ô", "relevant_ids": ["p4"]}]
    items = [dict(rows[0], positive_id="p0"), dict(rows[1], positive_id="p1"), dict(rows[2], positive_id="p4")]
    batch = LiraPairCollator(tok, {"p0": "red apple", "p1": "green apple", "p4": "umbrella"})(items)
    assert batch["positive_keys"].tolist() == [0, 1, 2]
    assert batch["relevant_keys"].tolist() == [[0, 1], [1, -1], [2, -1]]
    expected = torch.tensor([[False, True, False], [False, False, False], [False, False, False]])
    # p1 is relevant to query 0 but is not its positive
    assert torch.equal(false_negative_mask(batch["positive_keys"], batch["relevant_keys"]), expected)
    assert batch["query_input_ids"].shape[0] == batch["passage_input_ids"].shape[0] == 3


def test_run_finetune_trains_everything_but_word_embeddings_and_picks_a_fusion_weight(
        tmp_path, tiny_backbones_dir, eval_training_dataset_dir):
    from transformers import AutoModel

    me5 = os.path.join(tiny_backbones_dir, "multilingual-e5-small")
    args = LiraFinetuneArguments(model=me5, dataset=eval_training_dataset_dir, output_dir=str(tmp_path / "ft"),
                                 run_dir=str(tmp_path / "run"), languages="vi,th", steps=3, batch_size=4,
                                 learning_rate=1e-2, save_steps=3, late_fusion_queries_per_language=7,
                                 english_encoder=os.path.join(tiny_backbones_dir, "all-MiniLM-L6-v2"))
    facts = run_finetune(args)
    before = AutoModel.from_pretrained(me5, add_pooling_layer=False).state_dict()
    after = AutoModel.from_pretrained(args.output_dir, add_pooling_layer=False).state_dict()
    assert torch.equal(before["embeddings.word_embeddings.weight"], after["embeddings.word_embeddings.weight"])
    assert not torch.equal(before["encoder.layer.0.attention.self.query.weight"],
                           after["encoder.layer.0.attention.self.query.weight"])
    assert facts["pairs"] == 12
    saved = json.load(open(os.path.join(args.output_dir, LATE_FUSION_FILE), encoding="utf-8"))
    assert saved["weight"] == facts["late_fusion"]["weight"] and len(saved["macro_ndcg@10"]) == 11
    # the evaluator builds both trained baselines from the folder
    ft = build_system("finetune", backbones_dir=tiny_backbones_dir, finetune_dir=args.output_dir, progress=False)
    fused = build_system("late_fusion", backbones_dir=tiny_backbones_dir, finetune_dir=args.output_dir,
                         progress=False)
    assert ft.candidate_mode == "none" and fused.candidate_mode == "noisy" and fused.weight == saved["weight"]


def test_missing_finetune_folder_names_the_command(tmp_path, tiny_backbones_dir):
    with pytest.raises(ValueError, match="python -m training.finetune"):
        build_system("late_fusion", backbones_dir=tiny_backbones_dir, finetune_dir=str(tmp_path / "none"))


def test_late_fusion_ranks_by_cos_ft_plus_w_cos_en(tiny_backbones_dir):
    me5 = os.path.join(tiny_backbones_dir, "multilingual-e5-small")
    en = os.path.join(tiny_backbones_dir, "all-MiniLM-L6-v2")
    products = [{"product_id": f"p{i}", "title_en": t} for i, t in enumerate(["red apple", "tea kettle", "umbrella"])]
    texts, cands, scores = ["táo đỏ", "ô"], [["green apple", "umbrella"], []], [[[2, 5, 5], [9, 5, 5]], []]
    for w in (0.0, 0.5, 4.0):
        system = LateFusionSystem(me5, en, weight=w, progress=False)
        fused = system.encode_queries(texts, None, cands, scores) @ system.encode_documents(products).T  # (2, 3)
        q_ft, q_en = system.query_halves(texts, cands, scores)
        d_ft, d_en = system.document_halves(products)
        direct = q_ft @ d_ft.T + w * q_en @ d_en.T  # (2, 3)
        np.testing.assert_allclose(fused * (1 + w), direct, atol=1e-5)
    # the grid search scores exactly what the system ranks
    rows = {"vi": [{"relevant_ids": ["p0"], "relevance": [2]}, {"relevant_ids": ["p2"], "relevance": [2]}]}
    grid = score_fusion_grid(d_ft, d_en, {"vi": (q_ft, q_en)}, rows, ["p0", "p1", "p2"], [0.0, 2.0])
    assert set(grid) == {0.0, 2.0} and all(0.0 <= v["vi"] <= 1.0 for v in grid.values())
    with pytest.raises(ValueError, match="weight"):
        LateFusionSystem(me5, en, weight=-1.0)
