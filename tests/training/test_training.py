"""LiraTrainer: finite logged losses, gradient accumulation, resume, frozen weights (tiny model, CPU)."""

import math
import os

import pytest
import torch
from transformers import TrainingArguments

from modeling_lira import LiraConfig, LiraModel, LiraProcessor
from tests.fixtures_model import tiny_config_kwargs
from training.collator import LiraRetrievalCollator
from training.data import LiraQueryDataset
from training.train import LiraRunArguments, build_peft_model, run_training, set_stage_trainable, stage2_callbacks
from training.trainer import LiraTrainer, graded_gains

NO_DROPOUT = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def _model(seed=0):
    kwargs = tiny_config_kwargs(distillation_weight=1.0)  # off by default; on here so every trainer test covers it
    kwargs["encoder_config"] = dict(kwargs["encoder_config"], **NO_DROPOUT)
    kwargs["english_encoder_config"] = dict(kwargs["english_encoder_config"], **NO_DROPOUT)
    torch.manual_seed(seed)
    return LiraModel(LiraConfig(**kwargs))


def _args(tmp_path, **overrides):
    base = dict(output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=4, learning_rate=1e-2,
                logging_steps=1, save_strategy="no", report_to=[], remove_unused_columns=False, label_names=[],
                use_cpu=True, seed=0, disable_tqdm=True)
    base.update(overrides)
    return TrainingArguments(**base)


def _trainer(tmp_path, model, processor, rows, corpus, stage, **kw):
    collator = LiraRetrievalCollator(processor, corpus, language_dropout=kw.pop("language_dropout", 0.5))
    return LiraTrainer(model=model, args=_args(tmp_path, **kw.pop("args", {})), train_dataset=LiraQueryDataset(rows),
                       data_collator=collator, stage=stage, **kw)


def test_graded_gains():
    gains = graded_gains(torch.tensor([3, 5, 3]), torch.tensor([[3, -1], [5, 7]]), torch.tensor([[2.0, 0.0],
                                                                                                  [1.0, 2.0]]))
    assert gains.tolist() == [[2.0, 0.0, 2.0], [0.0, 1.0, 0.0]]


@pytest.mark.parametrize("stage", ["arca", "lasr"])
def test_two_steps_give_finite_logged_losses(tmp_path, tiny_processor, tiny_training_rows, stage):
    rows, corpus = tiny_training_rows
    trainer = _trainer(tmp_path, _model(), tiny_processor, rows, corpus, stage)
    trainer.train()
    logs = [h for h in trainer.state.log_history if "loss" in h]
    assert len(logs) == 2 and all(math.isfinite(h["loss"]) for h in logs)
    expected = {"arca": ["loss_rl", "loss_anchor", "loss_language_id"],
                "lasr": ["loss_ndcg_full", "loss_hinge_full", "loss_infonce_full", "loss_ndcg_lrl", "loss_correlation",
                         "loss_consistency", "loss_distillation", "loss_language_id"]}[stage]
    for key in expected:
        assert all(math.isfinite(h[key]) for h in logs), key


def test_planned_dataset_is_read_in_order_with_its_positives(tmp_path, tiny_processor, tiny_training_rows):
    """A planned `LiraQueryDataset` is read sequentially (the plan's distinct positives stay together, a resumed run
    continues the plan) and the collator takes each row's planned positive; unplanned data is shuffled."""
    from training.data import plan_batches

    rows, corpus = tiny_training_rows
    plan = plan_batches(rows, [p["product_id"] for p in corpus], steps=3, batch_size=2, seed=5)
    trainer = _trainer(tmp_path, _model(), tiny_processor, rows, corpus, "lasr")
    planned = LiraQueryDataset(rows, plan)
    assert list(trainer._get_train_sampler(planned)) == list(range(len(plan)))
    assert not isinstance(trainer._get_train_sampler(LiraQueryDataset(rows)), torch.utils.data.SequentialSampler)
    collator = LiraRetrievalCollator(tiny_processor, corpus)
    keys = {p["product_id"]: i for i, p in enumerate(corpus)}
    batch = collator([planned[0], planned[1]])
    assert batch["doc_keys"].tolist() == [keys[plan[0][1]], keys[plan[1][1]]]
    with pytest.raises(ValueError, match="not in the corpus"):
        collator([dict(rows[0], positive_id="no-such-product")])


@pytest.mark.parametrize("doc_queue_size", [0, 16])
def test_doc_queue_is_off_at_zero_and_filled_otherwise(tmp_path, tiny_processor, tiny_training_rows, doc_queue_size):
    rows, corpus = tiny_training_rows
    model = _model()
    model.config.doc_queue_size = doc_queue_size
    trainer = _trainer(tmp_path, model, tiny_processor, rows, corpus, "lasr")
    trainer.train()
    # 2 steps x 4 queries: the CorrQueue holds both steps' 4 x 4 in-batch pairs either way (capacity 16)
    assert len(trainer.corr_queue) == 16
    if doc_queue_size:
        assert {view: len(q) for view, q in trainer.doc_queues.items()} == {"full": 8, "lrl": 8}
    else:
        assert trainer.doc_queues == {}
    assert all(math.isfinite(h["loss"]) for h in trainer.state.log_history if "loss" in h)


def test_gradient_accumulation_matches_large_batch(tmp_path, tiny_processor, tiny_training_rows):
    rows, corpus = tiny_training_rows
    rows = rows[:4]
    results = []
    for bs, ga in [(4, 1), (2, 2)]:
        model = _model(seed=1)
        trainer = _trainer(tmp_path / f"{bs}", model, tiny_processor, rows, corpus, "arca", language_dropout=0.0,
                           sample_candidates=False,
                           args=dict(max_steps=1, per_device_train_batch_size=bs, gradient_accumulation_steps=ga,
                                     optim="sgd", learning_rate=0.5, max_grad_norm=0.0, warmup_steps=0))
        trainer.train()
        results.append((trainer.state.log_history[0]["loss"], {n: p.detach().clone()
                                                                 for n, p in model.named_parameters()}))
    (loss_a, params_a), (loss_b, params_b) = results
    assert loss_a == pytest.approx(loss_b, rel=1e-5)
    changed = [n for n in params_a if not torch.equal(params_a[n], _model(seed=1).state_dict()[n])]
    assert changed  # the step did something
    for name in params_a:
        assert torch.allclose(params_a[name], params_b[name], atol=1e-6), name


def test_resume_continues_at_the_right_step(tmp_path, tiny_processor, tiny_training_rows):
    rows, corpus = tiny_training_rows
    args = dict(max_steps=4, save_strategy="steps", save_steps=2, per_device_train_batch_size=2)
    _trainer(tmp_path, _model(), tiny_processor, rows, corpus, "lasr", args=args).train()
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-2", "checkpoint-4"]
    import shutil

    shutil.rmtree(tmp_path / "checkpoint-4")
    resumed = _trainer(tmp_path, _model(seed=5), tiny_processor, rows, corpus, "lasr", args=args)
    resumed.train(resume_from_checkpoint=str(tmp_path / "checkpoint-2"))
    steps = [h["step"] for h in resumed.state.log_history if "loss" in h]
    # steps 1-2 come from the checkpoint's history, 3-4 were trained after resuming (no step repeated)
    assert resumed.state.global_step == 4 and steps == [1, 2, 3, 4]


def test_early_stopping_stops_when_validation_stops_improving(tmp_path, tiny_processor, tiny_training_rows):
    """Validation peaks at the first check and falls after: patience 1 stops at step 2 of 10, best = step 1."""
    rows, corpus = tiny_training_rows
    scores = iter([0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0])
    args = dict(max_steps=10, eval_strategy="steps", eval_steps=1, save_strategy="steps", save_steps=1,
                load_best_model_at_end=True, metric_for_best_model="ndcg@10", greater_is_better=True,
                per_device_train_batch_size=2)
    run = LiraRunArguments(early_stopping_patience=1)
    trainer = _trainer(tmp_path, _model(), tiny_processor, rows, corpus, "lasr", args=args,
                       validation=lambda model: {"ndcg@10": next(scores)}, callbacks=stage2_callbacks(run),
                       eval_dataset=LiraQueryDataset(rows))
    trainer.train()
    assert trainer.state.global_step == 2
    assert trainer.state.best_metric == 0.5 and trainer.state.best_model_checkpoint.endswith("checkpoint-1")
    assert stage2_callbacks(LiraRunArguments()) == []
    with pytest.raises(ValueError, match="--no-validate"):
        stage2_callbacks(LiraRunArguments(early_stopping_patience=2, validate=False))
    # the entry point refuses the combination before loading anything or running stage 1
    with pytest.raises(ValueError, match="--no-validate"):
        run_training(LiraRunArguments(model=str(tmp_path / "missing"), run_dir=str(tmp_path / "never"),
                                      early_stopping_patience=2, validate=False))
    assert not (tmp_path / "never").exists()


def test_stage1_leaves_frozen_weights_bit_identical(tmp_path, tiny_processor, tiny_training_rows):
    rows, corpus = tiny_training_rows
    peft_model = build_peft_model(_model(), LiraRunArguments(lora_r=4, lora_alpha=8))
    lora = [n for n, _ in peft_model.named_parameters() if "lora_" in n]
    assert lora and not any("english_encoder" in n for n in lora)  # LoRA only on g, on every linear layer
    assert {n.split(".")[-4] for n in lora} >= {"query", "key", "value", "dense"}
    set_stage_trainable(peft_model, "arca", use_lora=False)
    before = {n: p.detach().clone() for n, p in peft_model.named_parameters()}
    trainable = {n for n, p in peft_model.named_parameters() if p.requires_grad}
    assert trainable and all(("english_in" in n or "arca" in n or "language_identifier" in n) for n in trainable)
    _trainer(tmp_path, peft_model, tiny_processor, rows, corpus, "arca").train()
    after = dict(peft_model.named_parameters())
    for name, value in before.items():
        if name in trainable:
            continue
        assert torch.equal(value, after[name]), name
    assert any(not torch.equal(before[n], after[n]) for n in trainable)


@pytest.mark.slow
def test_run_training_end_to_end_on_real_data_slice(tmp_path, tiny_model, tiny_processor, tiny_products_dir):
    """Both stages + validation + merge on a tiny model and a real CLDR slice; the merged folder reloads."""
    import json

    start = tmp_path / "start"
    tiny_model.save_pretrained(start)
    tiny_processor.save_pretrained(start)
    args = LiraRunArguments(model=str(start), dataset=str(tiny_products_dir), output_dir=str(tmp_path / "merged"),
                            run_dir=str(tmp_path / "run"), languages="vi,th", stage1_steps=2, stage2_steps=2,
                            batch_size=4, eval_steps=2, validation_queries_per_language=5, lora_r=4, lora_alpha=8,
                            config_overrides="retrieval_temperature=0.07, doc_queue_size=16")
    facts = run_training(args)
    assert facts["best_metric"] is not None and 0.0 <= facts["best_metric"] <= 1.0
    assert 0.0 <= facts["language_id_train_accuracy"] <= 1.0  # the head was refit after merging
    merged = LiraModel.from_pretrained(tmp_path / "merged")
    assert merged.lasr.english_scale.item() == facts["english_scale"]["english_scale"]  # calibrated s was saved
    assert (merged.config.retrieval_temperature, merged.config.doc_queue_size) == (0.07, 16)  # overrides persist
    assert not any("lora" in k or "modules_to_save" in k for k in merged.state_dict())
    assert json.load(open(tmp_path / "merged" / "training_facts.json"))["train_queries"] == facts["train_queries"]
    reloaded = LiraProcessor.from_pretrained(tmp_path / "merged")  # the query normalizer travels with the model
    assert reloaded.query_normalizer.languages == ["th", "vi"]
    assert facts["query_normalizer_entries"]["vi"] == len(reloaded.query_normalizer.vocabulary["vi"]) > 0
    chosen = facts["query_normalizer_letters_choice"]["chosen"]  # bounds chosen on validation travel with it
    assert set(chosen) == {"vi", "th"} and all(n in (3, 4, 5, 6) for n in chosen.values())
    assert {lang: reloaded.query_normalizer.min_letters(lang) for lang in ("vi", "th")} == chosen
    real = facts["query_normalizer_real_words"]  # the lexicon's real words travel too (wordfreq has no Thai list)
    assert real == {k: len(v) for k, v in reloaded.query_normalizer.real_words.items()} and "th" not in real
    lexicon = facts["query_normalizer_lexicon"]  # and the lexicon of long words the shop lacks
    assert lexicon == {k: len(v) for k, v in reloaded.query_normalizer.lexicon.items()} and "th" not in lexicon
    assert lexicon["vi"] > 0
    adapter = tmp_path / "run" / "adapter" / "adapter_model.safetensors"
    full = tmp_path / "merged" / "model.safetensors"
    assert adapter.stat().st_size < full.stat().st_size  # the artefact that leaves a GPU run is the small one
    # the merged model differs from the start (LoRA + heads were trained) but keeps the frozen English encoder
    for name, value in tiny_model.state_dict().items():
        if name.startswith("english_encoder."):
            assert torch.equal(value, merged.state_dict()[name]), name
    assert any(not torch.equal(v, merged.state_dict()[k]) for k, v in tiny_model.state_dict().items()
               if k.startswith("lasr."))


@pytest.mark.parametrize("text, message", [("retrieval_temprature=0.05", "retrieval_temprature"),
                                           ("doc_queue_size", "doc_queue_size"),
                                           ("doc_queue_size=big", "'big'"),
                                           ("lang2id=1", "lang2id"),
                                           ("use_language_embedding=maybe", "'maybe'")])
def test_config_overrides_reject_bad_items(text, message):
    with pytest.raises(ValueError, match=message):
        LiraRunArguments(config_overrides=text).parsed_config_overrides()


def test_config_overrides_are_typed_like_the_defaults():
    parsed = LiraRunArguments(config_overrides="doc_queue_size=64, consistency_weight=1,use_language_embedding=false")
    assert parsed.parsed_config_overrides() == {"doc_queue_size": 64, "consistency_weight": 1.0,
                                                "use_language_embedding": False}
    assert isinstance(parsed.parsed_config_overrides()["consistency_weight"], float)


@pytest.mark.slow
def test_ablation_command_trains_variants_and_prints_table(tmp_path, tiny_model, tiny_processor, tiny_products_dir,
                                                          tiny_backbones_dir, capsys):
    import json

    from studies.ablations import main

    start = tmp_path / "start"
    tiny_model.save_pretrained(start)
    tiny_processor.save_pretrained(start)
    main(["--model", str(start), "--dataset", str(tiny_products_dir), "--languages", "vi,th", "--variants", "full",
          "no_actor", "with_doc_queue", "--stage1-steps", "1", "--stage2-steps", "1", "--batch-size", "4",
          "--max-queries", "5", "--out", str(tmp_path / "abl"), "--backbones", tiny_backbones_dir])
    table = capsys.readouterr().out
    assert "| full |" in table and "| no_actor |" in table and "| with_doc_queue |" in table
    assert "| simple_baselines |" in table and "vs full (delta [95% CI])" in table
    results = json.load(open(tmp_path / "abl" / "ablations.json"))
    assert set(results) == {"full", "no_actor", "with_doc_queue", "simple_baselines"}
    # the baseline row was trained with LiRA's budget (stage 1 + stage 2 steps) and seed
    facts = json.load(open(tmp_path / "abl" / "finetune-s13" / "finetune_facts.json"))
    assert facts["pairs"] == (1 + 1) * 4 and facts["args"]["seed"] == 13
    # ... on exactly the (query, product) pairs LiRA's two stages saw, in the same order
    lira_facts = json.load(open(tmp_path / "abl" / "full-s13" / "training_facts.json"))
    assert lira_facts["plan_sha1"] == facts["plan_sha1"] and lira_facts["pairs"] == facts["pairs"]
    assert all(0.0 <= results[v]["lrl_ndcg@10"] <= 1.0 for v in results)
    assert results["no_actor"]["args"]["no_actor"] is True
    no_actor = json.load(open(tmp_path / "abl" / "no_actor-s13" / "training_facts.json"))
    assert no_actor["ablation"]["no_actor"] is True and "ablation" not in lira_facts  # the shipped recipe has none
    facts = json.load(open(tmp_path / "abl" / "with_doc_queue-s13" / "config.json"))
    assert facts["doc_queue_size"] == 256  # the variant's override reached the trained model's config


def test_language_probe_fits_the_head_and_only_the_head(tiny_processor, tiny_training_rows):
    from training.language_probe import fit_language_identifier, pooled_features, probe_examples

    rows, corpus = tiny_training_rows
    model = _model()
    texts, labels = probe_examples(rows, corpus, ["vi", "th"], per_language=3)
    assert labels.count("en") == min(3, len(labels) - labels.count("vi") - labels.count("th")) and "vi" in labels
    feats = pooled_features(model, tiny_processor, texts, progress=False)
    assert feats.shape == (len(texts), model.config.encoder_config.hidden_size)
    # separable synthetic features: the probe must reach 100 % and touch nothing but the head
    codes = sorted(model.config.lang2id)
    labels = [codes[i % len(codes)] for i in range(64)]
    x = torch.randn(64, feats.shape[1]) * 0.1
    for i, lab in enumerate(labels):
        x[i, model.config.lang2id[lab]] += 3.0
    before = {k: v.clone() for k, v in model.state_dict().items()}
    acc = fit_language_identifier(model, x, labels, steps=200)
    assert acc == 1.0
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith("language_identifier.") for k in changed)
    with pytest.raises(ValueError, match="xx"):
        fit_language_identifier(model, x[:1], ["xx"])


@pytest.mark.parametrize("command", ["studies.ablations", "training.language_probe"])
def test_side_commands_reject_an_empty_language_list_before_any_work(tmp_path, command):
    import importlib

    main = importlib.import_module(command).main
    # the model folder does not exist: the language check must come first and name the flag
    with pytest.raises(ValueError, match="--languages ' , '"):
        main(["--model", str(tmp_path / "missing"), "--languages", " , "])
    assert not any(tmp_path.iterdir())


def test_english_scale_calibration_scores_every_s_exactly(tiny_processor, tiny_training_rows):
    """The grid shortcut (halves encoded once) equals re-encoding with each s; the best s is written."""
    import numpy as np

    from evaluation.evaluator import score_system
    from training.english_scale import calibrate_english_scale
    from training.validation import LiraInMemorySystem

    rows, corpus = tiny_training_rows
    by_lang = {"vi": [r for r in rows if r["language"] == "vi"], "th": [r for r in rows if r["language"] == "th"]}
    model = _model().eval()
    grid = (0.25, 1.0, 4.0)
    result = calibrate_english_scale(model, tiny_processor, by_lang, corpus, grid=grid)
    assert result["previous"] == model.config.english_scale_init and result["english_scale"] in grid
    assert model.lasr.english_scale.item() == result["english_scale"]
    assert result["macro_ndcg@10"][result["english_scale"]] == max(result["macro_ndcg@10"].values())
    for s in grid:
        with torch.no_grad():
            model.lasr.english_scale.fill_(s)
        system = LiraInMemorySystem(model, tiny_processor, mode="noisy")
        full = np.mean([score_system(system, r, corpus)["ndcg@10"] for r in by_lang.values()])
        assert abs(full - result["macro_ndcg@10"][s]) < 1e-6, s


@pytest.mark.parametrize("grid", [(), (0.0, 1.0), (float("nan"),)])
def test_english_scale_calibration_rejects_bad_grids(tiny_processor, tiny_training_rows, grid):
    from training.english_scale import calibrate_english_scale

    rows, corpus = tiny_training_rows
    with pytest.raises(ValueError, match="grid"):
        calibrate_english_scale(_model(), tiny_processor, {"vi": rows[:1]}, corpus, grid=grid)


def test_english_scale_command_rewrites_the_folder_in_place(tmp_path, tiny_model, tiny_processor, tiny_products_dir,
                                                            capsys):
    import json

    from training.english_scale import main

    folder = tmp_path / "m"
    tiny_model.save_pretrained(folder)
    tiny_processor.save_pretrained(folder)
    (folder / "training_facts.json").write_text("{}")
    main(["--model", str(folder), "--dataset", str(tiny_products_dir), "--languages", "vi,th",
          "--queries-per-language", "5", "--grid", "0.5,3"])
    assert "english_scale 5.000 ->" in capsys.readouterr().out
    chosen = LiraModel.from_pretrained(folder).lasr.english_scale.item()
    assert chosen in (0.5, 3.0)
    facts = json.loads((folder / "training_facts.json").read_text())  # kept, with the chosen s added
    assert facts["english_scale"]["english_scale"] == chosen
    with pytest.raises(ValueError, match="--grid"):
        main(["--model", str(folder), "--grid", "1,x"])


def test_device_settings_pick_bf16_and_fused_adamw_only_on_a_gpu(tmp_path):
    from training.train import device_settings, training_arguments

    assert device_settings(cuda=True, bf16_supported=True) == dict(bf16=True, optim="adamw_torch_fused",
                                                                   dataloader_pin_memory=True, use_cpu=False)
    assert device_settings(cuda=True, bf16_supported=False)["bf16"] is False  # e.g. a V100: fp32, still fused
    assert device_settings(cuda=False) == dict(bf16=False, optim="adamw_torch", dataloader_pin_memory=False,
                                               use_cpu=True)
    if not torch.cuda.is_available():  # what this machine gets end to end
        built = training_arguments(LiraRunArguments(), str(tmp_path), 2, 1e-4, False)
        assert (built.bf16, built.optim.value, built.use_cpu) == (False, "adamw_torch", True)


@pytest.mark.parametrize("keep_dropout", [False, True])
def test_frozen_encoders_run_without_dropout_in_both_stages(tmp_path, tiny_processor, tiny_training_rows,
                                                            keep_dropout):
    """A sub-encoder with no trainable weight stays in eval mode through the Trainer's `model.train()` calls (h in
    both stages, g in stage 1), unless `frozen_encoder_dropout`; g with LoRA in stage 2 keeps its dropout."""
    rows, corpus = tiny_training_rows
    torch.manual_seed(0)
    model = LiraModel(LiraConfig(**tiny_config_kwargs(frozen_encoder_dropout=keep_dropout)))
    peft_model = build_peft_model(model, LiraRunArguments(lora_r=4, lora_alpha=8))
    seen = []

    def record(module, args):
        if module is model.encoder.embeddings or module is model.english_encoder.embeddings:
            seen.append((module is model.encoder.embeddings, module.training))

    hooks = [m.register_forward_pre_hook(record) for m in (model.encoder.embeddings, model.english_encoder.embeddings)]
    for stage, g_trains in [("arca", keep_dropout), ("lasr", True)]:
        set_stage_trainable(peft_model, stage, use_lora=True)
        seen.clear()
        _trainer(tmp_path / stage, peft_model, tiny_processor, rows, corpus, stage).train()
        assert (True, g_trains) in seen and (True, not g_trains) not in seen, stage
        assert (False, keep_dropout) in seen and (False, not keep_dropout) not in seen, stage
        assert peft_model.training  # the heads still train
    for hook in hooks:
        hook.remove()
    peft_model.eval()
    assert not model.encoder.training and not model.english_encoder.training


def test_frozen_encoder_dropout_is_the_only_difference_to_a_dropout_free_step(tmp_path, tiny_processor,
                                                                               tiny_training_rows):
    """With h's dropout set to 0, the default (h in eval mode) and `frozen_encoder_dropout=True` give the same stage-2
    loss and gradients: the switch changes the mode of frozen encoders and nothing else."""
    rows, corpus = tiny_training_rows
    losses, grads = [], []
    for keep in (False, True):
        kwargs = tiny_config_kwargs(frozen_encoder_dropout=keep)
        kwargs["english_encoder_config"] = dict(kwargs["english_encoder_config"], **NO_DROPOUT)
        torch.manual_seed(0)
        peft_model = build_peft_model(LiraModel(LiraConfig(**kwargs)), LiraRunArguments(lora_r=4, lora_alpha=8))
        set_stage_trainable(peft_model, "lasr", use_lora=True)
        peft_model.train()
        batch = LiraRetrievalCollator(tiny_processor, corpus, seed=0)(rows[:4])
        trainer = LiraTrainer(model=peft_model, args=_args(tmp_path), stage="lasr", sample_candidates=False)
        torch.manual_seed(1)
        loss = trainer.compute_loss(peft_model, batch)
        loss.backward()
        losses.append(loss.item())
        grads.append([p.grad for p in peft_model.parameters() if p.requires_grad])
    assert losses[0] == losses[1]
    assert any(g is not None for g in grads[0])
    assert all((a is None and b is None) or torch.equal(a, b) for a, b in zip(*grads))


def test_run_arguments_reach_the_trainer_and_peft(tmp_path):
    """`--torch-compile` reaches `TrainingArguments.torch_compile`; `--lora-dropout` reaches g's LoRA layers, and its
    default is the shared one (LiRA and the LoRA fine-tune alike)."""
    from lira_utils.defaults import LORA_DROPOUT
    from training.finetune import LiraFinetuneArguments
    from training.train import parse_args, training_arguments

    args = parse_args(["--model", "m", "--dataset", "d", "--output-dir", str(tmp_path), "--torch-compile", "true",
                       "--lora-dropout", "0.1"])
    assert training_arguments(args, str(tmp_path), 2, 1e-4, False).torch_compile is True
    assert training_arguments(LiraRunArguments(), str(tmp_path), 2, 1e-4, False).torch_compile is False
    assert LiraRunArguments().lora_dropout == LiraFinetuneArguments().lora_dropout == LORA_DROPOUT == 0.0
    peft_model = build_peft_model(_model(), args)
    drops = {m.p for n, m in peft_model.named_modules() if n.endswith("lora_dropout.default")}
    assert drops == {0.1}
    with pytest.raises(ValueError, match="--lora-dropout=1.0"):
        LiraRunArguments(lora_dropout=1.0)
