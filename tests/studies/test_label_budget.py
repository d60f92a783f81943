"""The label-budget axis: seeded budgets, parallel pairs in the shared plan, the stage-2 parallel anchor, the LoRA
fine-tune and the study's report (tiny models and rows built in code)."""

import json
import math
import os

import numpy as np
import pytest
import torch

from studies.budget_report import build_report
from studies.label_budget import cell_name, grid, parse_budgets
from training.data import plan_with_parallel, sample_train_rows, training_rows
from training.trainer import parallel_anchor


def _rows(n_per_language=20, languages=("vi", "th")):
    return [{"query_id": f"{lang}-{i}", "language": lang, "query": f"{lang} {i}", "relevant_ids": [f"p{i % 8}"],
             "relevance": [1]} for lang in languages for i in range(n_per_language)]


def test_budget_sample_is_per_language_seeded_and_keeps_dataset_order():
    rows = _rows()
    kept = sample_train_rows(rows, 5, seed=13)
    assert [sum(r["language"] == lang for r in kept) for lang in ("vi", "th")] == [5, 5]
    assert kept == sample_train_rows(rows, 5, seed=13)  # every system with the seed reads the same rows
    assert kept != sample_train_rows(rows, 5, seed=14)  # another seed, another subset
    assert [rows.index(r) for r in kept] == sorted(rows.index(r) for r in kept)
    assert sample_train_rows(rows, 0, seed=13) == [] and sample_train_rows(rows, None, seed=13) == rows
    assert len(sample_train_rows(rows, 500, seed=1)) == len(rows)  # a budget above the split keeps it all
    with pytest.raises(ValueError, match="-1"):
        sample_train_rows(rows, -1, seed=13)


def _parallel(n=12):
    rows = [{"query_id": f"par-q{i}", "language": "vi", "query": f"local {i}", "relevant_ids": [f"par-{i}"],
             "relevance": [1], "parallel": True} for i in range(n)]
    return rows, [f"par-{i}" for i in range(n)]


def test_parallel_pairs_fill_their_share_of_every_batch_with_distinct_positives():
    rows = _rows()
    prow, pids = _parallel()
    products = [f"p{i}" for i in range(8)]
    merged, plan = plan_with_parallel(rows, products, prow, pids, steps=5, batch_size=8, share=0.25, seed=3)
    assert merged == rows + prow and len(plan) == 40
    for step in range(5):
        batch = plan[step * 8:(step + 1) * 8]
        assert [merged[i].get("parallel", False) for i, _ in batch] == [False] * 6 + [True] * 2
        assert len({pid for _, pid in batch}) == 8
        assert all(pid in merged[i]["relevant_ids"] for i, pid in batch)
    # no labelled rows (budget 0): every pair is parallel
    only, plan0 = plan_with_parallel([], products, prow, pids, steps=2, batch_size=4, share=0.25, seed=3)
    assert only == prow and all(only[i]["parallel"] for i, _ in plan0) and len(plan0) == 8
    with pytest.raises(ValueError, match="parallel-share"):
        plan_with_parallel(rows, products, prow, pids, steps=1, batch_size=8, share=0.0, seed=3)
    with pytest.raises(ValueError, match="also name products"):
        plan_with_parallel(rows, products + ["par-1"], prow, pids, steps=1, batch_size=8, share=0.5, seed=3)


def test_budget_zero_without_parallel_text_names_the_fix(eval_training_dataset_dir):
    from lira_utils.dataset import load_corpus_rows

    corpus = load_corpus_rows(eval_training_dataset_dir)
    with pytest.raises(ValueError, match="--parallel-dataset"):
        training_rows(eval_training_dataset_dir, ["vi"], corpus, 2, 2, 13, train_queries_per_language=0)


class _Out:
    def __init__(self, anchored, english, selected):
        self.anchored_embeddings, self.english_embeddings, self.selected_candidate = anchored, english, selected


def test_parallel_anchor_is_one_minus_cosine_on_both_halves_of_parallel_rows_only():
    torch.manual_seed(0)
    anchored = torch.nn.functional.normalize(torch.randn(6, 4), dim=-1)  # (2B, d), B = 3
    english = torch.nn.functional.normalize(torch.randn(6, 4), dim=-1)
    selected = torch.zeros(6, dtype=torch.long)
    rows = torch.tensor([True, False, True])
    got = parallel_anchor(_Out(anchored, english, selected), rows)
    idx = [0, 2, 3, 5]  # rows 0 and 2 and their English texts read by g (B + 0, B + 2)
    want = (1 - (anchored[idx] * english[idx]).sum(-1)).mean()
    assert torch.allclose(got, want)
    assert parallel_anchor(_Out(anchored, english, selected), torch.tensor([False] * 3)) is None
    assert parallel_anchor(_Out(anchored, None, selected), rows) is None


def test_stage2_logs_the_parallel_anchor_and_it_trains(tmp_path, tiny_processor, tiny_training_rows):
    from tests.training.test_training import _model, _trainer

    rows, corpus = tiny_training_rows
    par = [dict(r, parallel=True, candidates=[corpus[i % len(corpus)]["title_en"]], critic_scores=[[10.0] * 3],
                relevant_ids=[corpus[i % len(corpus)]["product_id"]]) for i, r in enumerate(rows)]
    trainer = _trainer(tmp_path, _model(), tiny_processor, par, corpus, "lasr", args={"max_steps": 4})
    trainer.train()
    logs = [h["loss_parallel_anchor"] for h in trainer.state.log_history if "loss_parallel_anchor" in h]
    assert len(logs) == 4 and all(math.isfinite(v) and 0.0 <= v <= 2.0 for v in logs)
    plain = _trainer(tmp_path / "plain", _model(), tiny_processor, rows, corpus, "lasr")
    plain.train()
    assert not any("loss_parallel_anchor" in h for h in plain.state.log_history)


def test_lora_finetune_adapts_the_same_layers_and_saves_a_plain_encoder(tmp_path, tiny_backbones_dir,
                                                                         eval_training_dataset_dir):
    from transformers import AutoModel

    from training.finetune import LiraFinetuneArguments, run_finetune

    me5 = os.path.join(tiny_backbones_dir, "multilingual-e5-small")
    args = LiraFinetuneArguments(model=me5, dataset=eval_training_dataset_dir, output_dir=str(tmp_path / "lora"),
                                 run_dir=str(tmp_path / "run"), languages="vi,th", steps=3, batch_size=4,
                                 learning_rate=5e-2, save_steps=3, late_fusion_queries_per_language=0, lora_r=2,
                                 train_queries_per_language=5)
    facts = run_finetune(args)
    assert facts["train_queries"] == 10 and facts["parallel_pairs"] == 0
    before = AutoModel.from_pretrained(me5, add_pooling_layer=False).state_dict()
    after = AutoModel.from_pretrained(args.output_dir, add_pooling_layer=False).state_dict()
    assert set(after) == set(before)  # merged: no lora_ keys, a plain encoder folder
    for name in ("encoder.layer.0.attention.self.query.weight", "encoder.layer.0.output.dense.weight"):
        assert not torch.equal(before[name], after[name]), name
    for name in ("embeddings.word_embeddings.weight", "encoder.layer.0.attention.output.LayerNorm.weight"):
        assert torch.equal(before[name], after[name]), name  # LoRA touches only the linear layers


def test_budgets_and_grid():
    assert parse_budgets("0, 10,all") == [0, 10, None]
    with pytest.raises(ValueError, match="'ten'"):
        parse_budgets("ten")
    cells = grid([0, 10], [False, True], [13])
    assert cells == [(10, False, 13), (0, True, 13), (10, True, 13)]  # budget 0 without parallel text = backbone
    assert cell_name(None, True, 14) == "ball-par-s14"


def _cell(out, seed, lira_shift, langs=("vi", "th"), n=40):
    rng = np.random.default_rng(seed)
    splits = {}
    for split in ("products", "ood"):
        results, per_query = {}, {}
        base = {lang: rng.uniform(0.2, 0.6, n) for lang in langs}  # the queries' difficulty, shared by systems
        for system in ("backbone", "finetune", "finetune_lora", "lira_lrl"):
            results[system], per_query[system] = {}, {}
            for lang in langs:
                shift = lira_shift if system == "lira_lrl" and split == "ood" else 0.0
                scores = np.clip(base[lang] + rng.normal(0, 0.02, n) + shift, 0, 1)
                ids = [f"{lang}-{i}" for i in range(n)]
                per_query[system][lang] = {"query_id": ids, "ndcg@10": scores.tolist()}
                results[system][lang] = {"ndcg@10": float(scores.mean())}
        splits[split] = {"languages": list(langs), "results": results, "per_query": {"test": per_query}}
    folder = os.path.join(out, f"b10-par-s{seed}")
    os.makedirs(folder)
    with open(os.path.join(folder, "cell.json"), "w") as f:
        json.dump({"budget": 10, "parallel": True, "seed": seed, "splits": splits}, f)


def test_report_pairs_seeds_and_finds_a_real_gain_only_where_there_is_one(tmp_path):
    for seed in (13, 14):
        _cell(str(tmp_path), seed, lira_shift=0.2)
    text, data = build_report(str(tmp_path))
    by_split = {g["split"]: g for g in data["groups"]}
    ood = by_split["ood"]["pairs"]["lira_lrl - finetune"]
    assert ood["low"] > 0.1 and by_split["ood"]["seeds"] == [13, 14]
    same = by_split["products"]["pairs"]["lira_lrl - finetune"]
    assert same["low"] < 0 < same["high"] and abs(same["delta"]) < 0.01  # no shift: no claimed gain
    assert "| 10 | yes | 2 |" in text
    # the per-language rows: the languages in the cells' order, each delta a real +0.2 on ood and about 0 on products
    head = next(line for line in text.splitlines() if line.startswith("| set |"))
    assert head.startswith("| set | budget | parallel | seeds | vs | vi | th | macro |")
    row = next(line for line in text.splitlines() if line.startswith("| ood | 10 | yes | 2 | full FT |"))
    assert [float(c.split()[0]) > 0.15 for c in row.split(" | ")[5:7]] == [True, True]
    row = next(line for line in text.splitlines() if line.startswith("| products | 10 | yes | 2 | LoRA FT |"))
    assert all(abs(float(c.split()[0])) < 0.02 for c in row.split(" | ")[5:7])
    with pytest.raises(ValueError, match="no finished cell"):
        build_report(str(tmp_path / "empty"))
