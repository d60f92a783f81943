"""Noise-aware training: only train queries are noised, deterministically, identically for LiRA and the fine-tune."""

import pytest

from training.data import LiraQueryDataset, plan_batches
from lira_utils.dataset import load_corpus_rows, load_query_rows
from training.train_noise import LiraTrainNoise


@pytest.fixture(scope="module")
def real_rows(tiny_products_dir):
    corpus = load_corpus_rows(tiny_products_dir)
    return load_query_rows(tiny_products_dir, ["vi", "th", "ur", "bn"], "train", 40), corpus


def test_train_noise_rewrites_queries_deterministically(real_rows):
    rows, corpus = real_rows
    assert all(LiraTrainNoise(corpus, 0.0)(i, r)["query"] == r["query"] for i, r in enumerate(rows))
    full = LiraTrainNoise(corpus, 1.0, seed=13)
    noisy = [full(i, r) for i, r in enumerate(rows)]
    assert all(n["query"] != r["query"] and n["noise"] != "none" for n, r in zip(noisy, rows))
    assert {n["noise"] for n in noisy} >= {"typo", "romanized"}
    assert [full(i, r)["query"] for i, r in enumerate(rows)] == [n["query"] for n in noisy]  # deterministic
    # a later slice of the plan with its offset noises item i like the whole plan noises item offset + i
    assert full.shifted(7)(0, rows[7]) == full(7, rows[7])
    # the noise never adds a token of a relevant product's English title (the answer)
    titles = {p["product_id"]: p["title_en"].lower().split() for p in corpus}
    for n, r in zip(noisy, rows):
        added = set(n["query"].lower().split()) - set(r["query"].lower().split())
        assert not added & {t for pid in r["relevant_ids"] for t in titles.get(pid, [])}
    half = [LiraTrainNoise(corpus, 0.5, seed=13)(i, r)["noise"] != "none" for i, r in enumerate(rows * 5)]
    assert 0.3 < sum(half) / len(half) < 0.7
    with pytest.raises(ValueError, match="noise rate"):
        LiraTrainNoise(corpus, 1.5)


def test_planned_dataset_applies_noise_to_its_items(real_rows):
    rows, corpus = real_rows
    plan = plan_batches(rows, [p["product_id"] for p in corpus], 2, 4, seed=0)
    clean, noisy = LiraQueryDataset(rows, plan), LiraQueryDataset(rows, plan, LiraTrainNoise(corpus, 1.0))
    for i in range(len(plan)):
        assert noisy[i]["positive_id"] == clean[i]["positive_id"]  # the pair is unchanged, only the text
        assert noisy[i]["query"] != clean[i]["query"]


@pytest.mark.slow
def test_training_noises_train_queries_only_and_like_the_finetune(tmp_path, tiny_model, tiny_processor,
                                                                  tiny_products_dir, tiny_backbones_dir,
                                                                  monkeypatch):
    """Every text the noiser sees during LiRA's run and the fine-tune's is a train query (validation and test rows
    never), and both runs noise the same queries the same way."""
    import os

    from dataset_builder.noise import QueryNoiser
    from training.finetune import LiraFinetuneArguments, run_finetune
    from training.train import LiraRunArguments, run_training

    seen = {"lira": [], "finetune": []}
    current = {"run": None}
    original = QueryNoiser.__call__

    def spy(self, query_id, text, forbidden):
        out = original(self, query_id, text, forbidden)
        seen[current["run"]].append((query_id, text, out[0]))
        return out

    monkeypatch.setattr(QueryNoiser, "__call__", spy)
    start = tmp_path / "start"
    tiny_model.save_pretrained(start)
    tiny_processor.save_pretrained(start)
    current["run"] = "lira"
    facts = run_training(LiraRunArguments(
        model=str(start), dataset=tiny_products_dir, output_dir=str(tmp_path / "lira"), run_dir=str(tmp_path / "r1"),
        languages="vi,th", stage1_steps=1, stage2_steps=2, batch_size=4, eval_steps=2, lora_r=4, lora_alpha=8,
        validation_queries_per_language=5, train_noise_rate=1.0, language_probe_per_language=0,
        english_scale_queries_per_language=0))
    current["run"] = "finetune"
    run_finetune(LiraFinetuneArguments(
        model=os.path.join(tiny_backbones_dir, "multilingual-e5-small"), dataset=tiny_products_dir,
        output_dir=str(tmp_path / "ft"), run_dir=str(tmp_path / "r2"), languages="vi,th", steps=3, batch_size=4,
        train_noise_rate=1.0, late_fusion_queries_per_language=0))
    train_ids = {r["query_id"] for r in load_query_rows(tiny_products_dir, ["vi", "th"], "train")}
    assert len(seen["lira"]) >= 12 and facts["args"]["train_noise_rate"] == 1.0
    for run in ("lira", "finetune"):
        assert {qid.split("#")[0] for qid, _, _ in seen[run]} <= train_ids  # never a validation or test row
    # the same seed and rate: the fine-tune's 12 noisy items are LiRA's (stage 1 + stage 2 = the same 3 x 4 pairs)
    assert sorted(set(seen["finetune"])) == sorted(set(seen["lira"]))


def test_read_split_without_datasets_reads_the_same_rows(tiny_products_dir, monkeypatch):
    """The GPU machine has no `datasets`: the Parquet fallback (README `configs:`) returns exactly its rows."""
    import sys

    from lira_utils.dataset import read_split

    with_datasets = read_split(tiny_products_dir, "th", "validation")
    corpus = read_split(tiny_products_dir, "corpus", "corpus")
    monkeypatch.setitem(sys.modules, "datasets", None)  # find_spec -> None, import fails: the GPU machine's view
    assert read_split(tiny_products_dir, "th", "validation") == with_datasets
    assert read_split(tiny_products_dir, "corpus", "corpus") == corpus
    with pytest.raises(ValueError, match="split 'nope'"):
        read_split(tiny_products_dir, "th", "nope")
