"""mteb both ways: lira-products as an mteb task, LiRA and the baselines as mteb encoders, the `mteb` subcommand.

The core check: mteb's own retrieval and nDCG@10 (`pytrec_eval`) over the wrapped systems give the project
evaluator's nDCG@10 per language and split, on tiny models built in code and the hand-made mini dataset.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

mteb = pytest.importorskip("mteb")

from evaluation.evaluator import run_evaluation  # noqa: E402
from evaluation.mteb_model import LiraMtebModel, SystemMtebEncoder, mteb_models, subset_languages  # noqa: E402
from evaluation.mteb_task import (LIRA_TO_MTEB, ROW_COLUMN, lira_language, lira_products_tasks,  # noqa: E402
                                  mteb_language)
from evaluation.systems import build_system  # noqa: E402
from tests.fixtures_eval import write_eval_dataset  # noqa: E402

SYSTEMS = ("lira_lrl", "lira_noisy", "lira_oracle", "backbone", "finetune", "translate_test")


@pytest.fixture(scope="module")
def zero_shot_dataset_dir(tmp_path_factory):
    """The mini dataset with `vi` and a zero-shot `hi` config (Thai rows relabelled; the tiny LiRA lacks `hi`)."""
    folder = write_eval_dataset(str(tmp_path_factory.mktemp("mteb_dataset")), languages=("vi", "hi"))
    with open(os.path.join(folder, "lira_build.json"), "w", encoding="utf-8") as f:
        json.dump({"zero_shot_languages": ["hi"]}, f)
    return folder


def _build(names, tiny_lira_dir, tiny_backbones_dir):
    finetune = os.path.join(tiny_backbones_dir, "multilingual-e5-small")  # any mean-pooled BERT stands in for it
    return [build_system(n, model=tiny_lira_dir, backbones_dir=tiny_backbones_dir, finetune_dir=finetune,
                         progress=False) for n in names]


def test_language_mapping():
    expected = {"tha-Thai": "th", "vie-Latn": "vi", "ind-Latn": "id", "zsm-Latn": "ms", "msa-Latn": "ms",
                "fil-Latn": "fil", "tgl-Latn": "fil", "urd-Arab": "ur", "ben-Beng": "bn", "eng-Latn": "en",
                "hin-Deva": "hi", "khm-Khmr": "km", "lao-Laoo": "lo", "mya-Mymr": "my", "nep-Deva": "ne",
                "npi-Deva": "ne", "sin-Sinh": "si", "tam-Taml": "ta", "tha_Thai": "th", "vie": "vi", "th": "th",
                "deu-Latn": None, "zho-Hans": None, "": None, None: None}
    assert {code: lira_language(code) for code in expected} == expected
    assert all(lira_language(mteb_language(lang)) == lang for lang in LIRA_TO_MTEB)  # round trip
    with pytest.raises(ValueError, match="'xx' has no mteb code"):
        mteb_language("xx")
    # mteb's own tasks: the query side first (MLQA `vie-eng`: Vietnamese questions, English contexts)
    mlqa = mteb.get_task("MLQARetrieval").metadata
    assert subset_languages(mlqa, "vie-eng") == ("vi", "en") and subset_languages(mlqa, "deu-vie") == (None, "vi")
    sts = mteb.get_task("STS22").metadata
    assert subset_languages(sts, "de-en") == (None, "en") and subset_languages(sts, "en") == ("en", "en")


def test_task_mirrors_the_dataset(zero_shot_dataset_dir):
    (task,) = lira_products_tasks(zero_shot_dataset_dir, splits=("test", "test_noisy"), max_queries=5)
    assert task.hf_subsets == ["vi", "hi"] and task.metadata.main_score == "ndcg_at_10"
    assert task.metadata.eval_langs == {"vi": ["vie-Latn", "eng-Latn"], "hi": ["hin-Deva", "eng-Latn"]}
    assert task.zero_shot == ("hi",) and "zero-shot" in task.metadata.description
    task.load_data()
    data = task.dataset["vi"]["test_noisy"]
    assert len(data["queries"]) == 5 and data["queries"][0]["text"] == "táo đỏ x"
    assert data["corpus"]["text"] == ["red apple", "green apple", "tea kettle", "running shoe", "umbrella", "bicycle"]
    assert data["relevant_docs"]["vi-0-n"] == {"p0": 2}
    assert json.loads(data["queries"][0][ROW_COLUMN])["critic_scores"][1] == [9.0, 8.0, 8.0]
    (kw,) = lira_products_tasks(zero_shot_dataset_dir, languages=["vi"], doc_field="title_keywords")
    kw.load_data()
    assert kw.dataset["vi"]["test"]["corpus"]["text"][0] == "red apple | apple, fruit"
    assert kw.dataset["vi"]["test"]["relevant_docs"]["vi-kw"] == {"p0": 1, "p1": 1}
    for bad, match in ((dict(languages=["bn"]), r"no config for \['bn'\]"), (dict(splits=("train",)), "train"),
                       (dict(doc_field="body"), "doc_field='body'"), (dict(max_queries=0), "max_queries=0")):
        with pytest.raises(ValueError, match=match):
            lira_products_tasks(zero_shot_dataset_dir, **bad)


def test_mteb_scores_equal_the_evaluator(tiny_lira_dir, tiny_backbones_dir, zero_shot_dataset_dir):
    systems = _build(SYSTEMS, tiny_lira_dir, tiny_backbones_dir)
    ours = run_evaluation(systems, zero_shot_dataset_dir, ["vi", "hi"], ("test", "test_noisy"), progress=False)
    tasks = lira_products_tasks(zero_shot_dataset_dir, splits=("test", "test_noisy"))
    for system in systems:
        result = mteb.evaluate(SystemMtebEncoder(system) if system.name != "lira_lrl" else
                               LiraMtebModel(tiny_lira_dir), tasks, cache=None, show_progress_bar=False)
        for split, entries in result.task_results[0].scores.items():
            assert {e["hf_subset"] for e in entries} == {"vi", "hi"}
            for e in entries:
                theirs = ours["splits"][split][system.name][e["hf_subset"]]
                # mteb rounds its means to 5 decimals
                assert e["ndcg_at_10"] == pytest.approx(theirs["ndcg@10"], abs=1e-4), (system.name, split, e)
                assert e["recall_at_10"] == pytest.approx(theirs["recall@10"], abs=1e-4)
    # the scores are not trivially equal: the systems and modes differ, candidates matter
    vi = {s: ours["splits"]["test_noisy"][s]["vi"]["ndcg@10"] for s in SYSTEMS}
    assert len({round(v, 6) for v in vi.values()}) >= 4, vi


def test_lira_wrapper_on_a_public_task(tiny_lira_dir, eval_dataset_dir, monkeypatch):
    from mteb._create_dataloaders import create_dataloader
    from datasets import Dataset

    from lira_utils.dataset import load_queries

    rows = load_queries(eval_dataset_dir, "th", "test")
    texts = [r["query"] for r in rows]
    base = build_system("lira_lrl", model=tiny_lira_dir, progress=False)
    noisy_model = LiraMtebModel(tiny_lira_dir, mode="noisy")
    # a public task (no lira rows): the subset's language, and the LRL-only twin in a candidate mode
    task = mteb.get_task("BelebeleRetrieval").metadata
    queries = create_dataloader(Dataset.from_dict({"id": [str(i) for i in range(len(texts))], "text": texts}),
                                task_metadata=task, prompt_type="query", batch_size=3)
    got = noisy_model.encode(queries, task_metadata=task, hf_split="test", hf_subset="tha_Thai-eng_Latn",
                             prompt_type="query")
    assert np.allclose(got, base.encode_queries(texts, ["th"] * len(texts)), atol=1e-6)
    docs = create_dataloader(Dataset.from_dict({"id": ["a", "b"], "text": ["red apple", "umbrella"]}),
                             task_metadata=task, prompt_type="document", batch_size=1)
    got = noisy_model.encode(docs, task_metadata=task, hf_split="test", hf_subset="tha_Thai-eng_Latn",
                             prompt_type="document")
    assert np.allclose(got, base.encode_documents([{"title_en": "red apple"}, {"title_en": "umbrella"}]), atol=1e-6)
    # a Thai corpus: LRL-only passages read as Thai, not as English; an unknown language as None
    seen, run = [], noisy_model.lrl_system._run
    monkeypatch.setattr(noisy_model.lrl_system, "_run", lambda texts, languages, *a, **k: seen.append(
        (languages, a[2])) or run(texts, languages, *a, **k))
    for subset in ("eng_Latn-tha_Thai", "eng_Latn-deu_Latn", "tha_Thai-eng_Latn"):
        noisy_model.encode(docs, task_metadata=task, hf_split="test", hf_subset=subset, prompt_type="document")
    assert seen == [(["th", "th"], "passage"), ([None, None], "passage"), (["en", "en"], "passage")]
    meta = noisy_model.mteb_model_meta
    assert meta.name.startswith("local/") and meta.embed_dim == 64 and meta.experiment_kwargs["mode"] == "noisy"
    assert "tha-Thai" in meta.languages and meta.n_parameters > 0 and meta.similarity_fn_name == "cosine"


def test_query_normalizer_on_by_default_off_on_request(tiny_lira_dir, tmp_path):
    import shutil

    from modeling_lira.query_normalizer import LiraQueryNormalizer

    folder = str(tmp_path / "lira")
    shutil.copytree(tiny_lira_dir, folder)  # the tiny LiRA, now shipping a query normalizer
    LiraQueryNormalizer({"th": [{"text": "รองเท้าวิ่ง", "romanized": ["rongthao wing"]}]}).save_pretrained(folder)
    typed = ["rongthao wing"]
    evaluator = build_system("lira_lrl", model=folder, progress=False)
    default, plain = LiraMtebModel(folder).system, LiraMtebModel(folder, normalize=False).system
    assert np.allclose(default.encode_queries(typed, ["th"]), evaluator.encode_queries(typed, ["th"]), atol=1e-6)
    assert np.allclose(default.encode_queries(typed, ["th"]), evaluator.encode_queries(["รองเท้าวิ่ง"], ["th"]),
                       atol=1e-6)  # the normalizer restored the Thai script
    assert not np.allclose(plain.encode_queries(typed, ["th"]), default.encode_queries(typed, ["th"]), atol=1e-4)
    meta = LiraMtebModel(folder, normalize=False).mteb_model_meta
    assert meta.experiment_kwargs == {"mode": "lrl", "query_normalizer": False}


def test_mteb_models_for_the_baselines(tiny_backbones_dir, eval_dataset_dir):
    finetune = os.path.join(tiny_backbones_dir, "multilingual-e5-small")
    models = mteb_models(["finetune", "backbone"], backbones_dir=tiny_backbones_dir, finetune_dir=finetune)
    assert list(models) == ["finetune", "backbone"]
    assert models["finetune"].mteb_model_meta.name == "lira-baselines/finetune"
    assert models["finetune"].system.query_prefix == "query: "
    assert models["backbone"].system.passage_prefix == "passage: "
    result = mteb.evaluate(models["backbone"], lira_products_tasks(eval_dataset_dir), cache=None,
                           show_progress_bar=False)
    assert 0 < result.task_results[0].get_score() <= 1


def test_cli_end_to_end_with_compare(tiny_lira_dir, tiny_backbones_dir, zero_shot_dataset_dir, tmp_path, capsys):
    from evaluation.__main__ import main

    finetune = os.path.join(tiny_backbones_dir, "multilingual-e5-small")
    common = ["--model", tiny_lira_dir, "--dataset", zero_shot_dataset_dir, "--backbones", tiny_backbones_dir,
              "--finetune", finetune, "--systems", "lira_lrl", "finetune", "--no-progress", "--max-queries", "6"]
    main(["evaluate", *common, "--splits", "test", "--languages", "vi", "--out", str(tmp_path / "ours")])
    report = main(["mteb", *common, "--out", str(tmp_path / "mteb"),
                   "--compare", str(tmp_path / "ours" / "results.json")])
    out = tmp_path / "mteb"
    assert report["languages"] == ["vi", "hi"] and report["num_queries"] == {"test": {"vi": 6, "hi": 6}}
    saved = json.loads((out / "mteb" / "lira_lrl" / "LiraProductsRetrieval.json").read_text())
    assert saved["task_name"] == "LiraProductsRetrieval" and saved["scores"]["test"][0]["main_score"] >= 0
    assert json.loads((out / "mteb_scores.json").read_text())["scores"] == report["scores"]
    compare = report["compare"]
    assert compare["max_abs_diff"] < 1e-4 and len(compare["rows"]) == 4  # 2 systems x (vi, hi)
    assert [r["ours"] is None for r in compare["rows"] if r["language"] == "hi"] == [True, True]  # not in results.json
    text = capsys.readouterr().out
    assert "mteb vs the project's evaluator" in text and "max abs. difference" in text
    assert (out / "mteb.md").read_text() in text


def test_without_mteb_the_subcommand_says_how_to_install(monkeypatch, tmp_path):
    from evaluation.__main__ import main

    monkeypatch.setitem(sys.modules, "mteb", None)  # `import mteb` now raises ImportError
    with pytest.raises(ValueError, match=r'pip install "mteb>=2.26,<3".*\.\[mteb\]'):
        main(["mteb", "--dataset", "nowhere", "--systems", "backbone", "--out", str(tmp_path)])


def test_the_main_job_never_imports_mteb():
    code = ("import sys, evaluation.__main__ as m, evaluation.evaluator, evaluation.systems; "
            "m.parse_args(['evaluate', '--out', 'x']); print('mteb' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert out.stdout.strip() == "False", out.stderr
