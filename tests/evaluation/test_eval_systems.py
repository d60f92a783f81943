"""Systems on tiny encoders built in code: baselines (tiny BERTs in place of the real backbones) and LiRA."""

import json
import os

import numpy as np
import pytest

from lira_utils.dataset import load_corpus, load_queries
from evaluation.inputs import query_inputs
from evaluation.systems import build_system, document_text


def test_document_text():
    p = {"title_en": "red apple", "keywords_en": ["apple", "fruit"]}
    assert document_text(p) == "red apple"
    assert document_text(p, "title_keywords") == "red apple | apple, fruit"
    with pytest.raises(ValueError, match="doc_field='body'"):
        document_text(p, "body")


def test_baselines_encode_normalised_vectors(tiny_backbones_dir, eval_dataset_dir):
    corpus = list(load_corpus(eval_dataset_dir))
    rows = load_queries(eval_dataset_dir, "vi", "test")
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    out = {}
    for name in ("backbone", "minilm_query", "translate_test", "translate_test_first"):
        system = build_system(name, backbones_dir=tiny_backbones_dir, progress=False)
        q = system.encode_queries(**query_inputs(rows, system.candidate_mode, titles))
        d = system.encode_documents(corpus)
        assert q.shape[0] == len(rows) and d.shape[0] == len(corpus) and q.dtype == np.float32
        assert np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-5)
        out[name] = (q, d, system)
    # the e5 prefixes reach the encoder: backbone query vectors differ from the raw-text encoding of the same model
    backbone = out["backbone"][2]
    raw = backbone.encoder.encode([r["query"] for r in rows])
    assert not np.allclose(raw, out["backbone"][0])
    # translate-test encodes the top candidate (the true English title here), i.e. the document of the product
    q, d, _ = out["translate_test"]
    assert np.allclose(q[0], d[0], atol=1e-5)
    q_first = out["translate_test_first"][0]  # the first listed candidate is the next product's title
    assert np.allclose(q_first[0], d[1], atol=1e-5)
    # the two MiniLM systems share document embeddings (same key), not query embeddings
    assert out["minilm_query"][2].document_key() == out["translate_test"][2].document_key()
    assert out["minilm_query"][2].query_key() != out["translate_test"][2].query_key()
    with pytest.raises(ValueError, match="needs a LiRA model"):
        build_system("lira_lrl")
    with pytest.raises(ValueError, match="unknown system 'bm25'"):
        build_system("bm25")


def test_use_m3_baseline_is_real_and_normalised():
    system = build_system("use_m3", progress=False)
    v = system.encode_queries(["หูฟังไร้สาย", "wireless headphones", "red apple"])
    assert v.shape == (3, 512) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > v[2] @ v[1]  # Thai is one of USE-m3's 16 languages


def test_lira_system_three_modes(tiny_lira_dir, eval_dataset_dir):
    corpus = list(load_corpus(eval_dataset_dir))
    rows = load_queries(eval_dataset_dir, "th", "test")
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    systems = {m: build_system(f"lira_{m}", model=tiny_lira_dir, progress=False) for m in ("lrl", "noisy", "oracle")}
    vecs = {}
    for mode, system in systems.items():
        assert system.candidate_mode == {"lrl": "none", "noisy": "noisy", "oracle": "oracle"}[mode]
        q = system.encode_queries(**query_inputs(rows, system.candidate_mode, titles))
        d = system.encode_documents(corpus)
        # the LiRA vector is z = [g half; h half]: 2 * adaptor_dim (32) wide
        assert q.shape == (len(rows), 64) and d.shape == (len(corpus), 64)
        assert np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-5)
        vecs[mode] = q
    # one model in memory for the three modes: `lrl` loaded it LRL-only, `noisy` replaced it by the whole model
    assert systems["lrl"]._load()[0] is systems["noisy"]._load()[0] is systems["oracle"]._load()[0]
    assert not np.allclose(vecs["lrl"], vecs["noisy"])  # candidates change the vector
    assert systems["noisy"].document_key() == systems["oracle"].document_key() != systems["lrl"].document_key()
    langs = systems["lrl"].predict_languages([r["query"] for r in rows])
    assert len(langs) == len(rows) and set(langs) <= {"vi", "th", "id", "ms", "fil", "ur", "bn", "en"}


def test_lira_lrl_system_loads_the_model_lrl_only_with_the_same_vectors(tiny_lira_dir, eval_dataset_dir,
                                                                        monkeypatch):
    """`lira_lrl` alone loads `lrl_only=True` (no h); its vectors and language ids equal the whole model's, which a
    candidate mode loads in its place."""
    from evaluation import lira_system

    monkeypatch.setattr(lira_system, "_LOADED", {})
    corpus = list(load_corpus(eval_dataset_dir))
    rows = load_queries(eval_dataset_dir, "th", "test")
    lrl = build_system("lira_lrl", model=tiny_lira_dir, progress=False)
    texts = [r["query"] for r in rows]

    def encode():
        q = lrl.encode_queries(**query_inputs(rows, lrl.candidate_mode, {}))
        return q, lrl.encode_documents(corpus), lrl.language_logits(texts)

    alone = encode()
    model = lrl._load()[0]
    assert model.config.lrl_only and model.english_encoder is None and model.lasr is None
    noisy = build_system("lira_noisy", model=tiny_lira_dir, progress=False)
    whole = noisy._load()[0]
    assert not whole.config.lrl_only and whole.english_encoder is not None
    assert lrl._load()[0] is whole  # the whole model now serves `lrl` too (at most one model in memory)
    for got, expected in zip(alone, encode()):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_cli_evaluates_every_system_and_writes_reports(tiny_lira_dir, tiny_backbones_dir, eval_dataset_dir, tmp_path):
    from evaluation.__main__ import main

    out = str(tmp_path / "eval")
    args = ["evaluate", "--model", tiny_lira_dir, "--dataset", eval_dataset_dir, "--backbones", tiny_backbones_dir,
            "--out", out, "--no-progress", "--systems", "lira_lrl", "lira_noisy", "lira_oracle", "backbone",
            "minilm_query", "translate_test"]
    report = main(args)
    assert set(report["results"]) == {"lira_lrl", "lira_noisy", "lira_oracle", "backbone", "minilm_query",
                                      "translate_test"}
    assert set(report["robustness"]["backbone"]) == {"vi", "th"}
    assert 0 <= report["results"]["lira_lrl"]["vi"]["langid_acc"] <= 1
    for name in ("results.json", "results.md", "ndcg_at_10.png", "recall_at_10.png", "mrr_at_10.png"):
        assert os.path.getsize(os.path.join(out, name)) > 0
    saved = json.load(open(os.path.join(out, "results.json"), encoding="utf-8"))
    assert saved["results"]["translate_test"]["th"]["ndcg@10"] == report["results"]["translate_test"]["th"]["ndcg@10"]
    # translate-test reads the true title (top critic candidate) for the 6 named queries -> they rank it first
    assert report["results"]["translate_test"]["th"]["recall@1"] >= 6 / 7 - 1e-9
    again = main(args)
    assert again["cache"].get("computed_results", 0) == 0 and again["cache"]["cached_results"] == 24


def test_cli_refuses_model_dataset_language_mismatch(tiny_lira_dir, tiny_backbones_dir, eval_dataset_dir, tmp_path):
    import shutil

    from evaluation.__main__ import main

    model = str(tmp_path / "lira_vi_only")
    shutil.copytree(tiny_lira_dir, model)
    cfg_path = os.path.join(model, "config.json")
    cfg = json.load(open(cfg_path))
    cfg["lang2id"] = {"vi": 0, "en": 1}
    json.dump(cfg, open(cfg_path, "w"))
    with pytest.raises(ValueError, match=r"model knows languages \['vi', 'en'\] but \['th'\] .*do not match"):
        main(["evaluate", "--model", model, "--dataset", eval_dataset_dir, "--languages", "vi", "th",
              "--systems", "lira_lrl", "--out", str(tmp_path / "o"), "--no-progress"])
    with pytest.raises(ValueError, match="not a LiRA model"):
        build_system("lira_lrl", model=os.path.join(tiny_backbones_dir, "multilingual-e5-small"))


def test_lira_top_passes_only_the_critics_top_candidate(tiny_lira_dir, eval_dataset_dir):
    """`lira_top` = `lira_noisy` given only the critic's top candidate: the same vector as `lira_noisy` on rows whose
    candidate list is cut to that one candidate by hand."""
    from evaluation.lira_system import top_candidate_pair

    assert top_candidate_pair(["a", "b", "c"], [[3, 5, 5], [9, 1, 1], [9, 9, 9]]) == (["b"], [[9, 1, 1]])
    assert top_candidate_pair([], []) == ([], [])
    assert top_candidate_pair(["a", "b"], None) == (["a"], [])
    corpus = list(load_corpus(eval_dataset_dir))
    rows = load_queries(eval_dataset_dir, "th", "test")
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    top = build_system("lira_top", model=tiny_lira_dir, progress=False)
    noisy = build_system("lira_noisy", model=tiny_lira_dir, progress=False)
    assert top.candidate_mode == "noisy" and top.document_key() == noisy.document_key()
    assert top.query_key() != noisy.query_key()
    inputs = query_inputs(rows, "noisy", titles)
    cut = [top_candidate_pair(c, s) for c, s in zip(inputs["candidates"], inputs["critic_scores"])]
    by_hand = dict(inputs, candidates=[c for c, _ in cut], critic_scores=[s for _, s in cut])
    assert np.allclose(top.encode_queries(**inputs), noisy.encode_queries(**by_hand), atol=1e-6)
    assert any(len(c) > 1 for c in inputs["candidates"])  # the cut mattered on this data


def test_critic_selection_makes_lira_noisy_equal_lira_top(tiny_lira_dir, eval_dataset_dir, tmp_path):
    """With `candidate_selection="critic"` (the default) the model itself uses the critic's top candidate, so
    `lira_noisy` over all candidates equals `lira_top`; with `"actor"` the actor's argmax decides, and the two
    selections never share cached query vectors."""
    import json
    import shutil

    import torch

    rows = load_queries(eval_dataset_dir, "th", "test")
    titles = {p["product_id"]: p["title_en"] for p in load_corpus(eval_dataset_dir)}
    inputs = query_inputs(rows, "noisy", titles)
    top = build_system("lira_top", model=tiny_lira_dir, progress=False).encode_queries(**inputs)
    critic = build_system("lira_noisy", model=tiny_lira_dir, progress=False)
    assert np.allclose(critic.encode_queries(**inputs), top, atol=1e-6)
    from modeling_lira import LiraModel

    actor_dir = tmp_path / "actor"
    shutil.copytree(tiny_lira_dir, actor_dir)
    model = LiraModel.from_pretrained(actor_dir, candidate_selection="actor")
    with torch.no_grad():  # an actor that prefers low critic scores, so its pick differs from the critic's
        model.arca.actor.reward_prior.mul_(-1.0)
    model.save_pretrained(actor_dir)
    assert json.load(open(actor_dir / "config.json"))["candidate_selection"] == "actor"
    actor = build_system("lira_noisy", model=str(actor_dir), progress=False)
    assert actor.query_key() != critic.query_key()
    assert not np.allclose(actor.encode_queries(**inputs), top, atol=1e-6)


def test_english_encoder_option_swaps_the_english_side(tiny_backbones_dir, eval_dataset_dir, tmp_path):
    """`english_encoder=DIR` puts another English encoder behind translate-test and late fusion, and late fusion
    reads the weight validated with that encoder (`late_fusion.<name>.json`), never MiniLM's."""
    import shutil

    from evaluation.fusion import late_fusion_file

    corpus = list(load_corpus(eval_dataset_dir))
    rows = load_queries(eval_dataset_dir, "vi", "test")
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    other = str(tmp_path / "other-english")
    shutil.copytree(os.path.join(tiny_backbones_dir, "multilingual-e5-small"), other)  # a different English side
    default = build_system("translate_test", backbones_dir=tiny_backbones_dir, progress=False)
    swapped = build_system("translate_test", backbones_dir=tiny_backbones_dir, progress=False, english_encoder=other)
    inputs = query_inputs(rows, "noisy", titles)
    q0, q1 = default.encode_queries(**inputs), swapped.encode_queries(**inputs)
    assert q0.shape[1] != q1.shape[1] or not np.allclose(q0, q1)  # hidden 24 vs the e5 stand-in's width
    assert default.query_key() != swapped.query_key()

    assert late_fusion_file() == late_fusion_file("x/all-MiniLM-L6-v2/") == "late_fusion.json"
    assert late_fusion_file("artifacts/backbones/all-mpnet-base-v2") == "late_fusion.all-mpnet-base-v2.json"
    finetune = str(tmp_path / "finetune")
    shutil.copytree(os.path.join(tiny_backbones_dir, "multilingual-e5-small"), finetune)
    with open(os.path.join(finetune, "late_fusion.json"), "w") as f:
        json.dump({"weight": 1.0}, f)
    with pytest.raises(ValueError, match=r"late_fusion\.other-english\.json is missing.*--english-encoder"):
        build_system("late_fusion", backbones_dir=tiny_backbones_dir, finetune_dir=finetune, english_encoder=other)
    with open(os.path.join(finetune, late_fusion_file(other)), "w") as f:
        json.dump({"weight": 4.0}, f)
    fused = build_system("late_fusion", backbones_dir=tiny_backbones_dir, finetune_dir=finetune,
                         english_encoder=other, progress=False)
    assert fused.weight == 4.0 and fused.english_dir == other
    assert build_system("late_fusion", backbones_dir=tiny_backbones_dir, finetune_dir=finetune).weight == 1.0
    with pytest.raises(ValueError, match="no config.json"):
        build_system("translate_test", backbones_dir=tiny_backbones_dir, english_encoder=str(tmp_path / "nope"))


def test_merge_pairs_systems_of_two_runs(tiny_backbones_dir, eval_dataset_dir, tmp_path, capsys):
    """`evaluation.merge` renames each run's systems `name@label`; compare then pairs them across runs: the same
    system scored twice has a zero delta, another English encoder a non-zero one."""
    import shutil

    from evaluation.__main__ import main as evaluate
    from evaluation.compare import comparison_table_runs
    from evaluation.merge import main as merge

    other = str(tmp_path / "other-english")
    shutil.copytree(os.path.join(tiny_backbones_dir, "multilingual-e5-small"), other)
    base = ["evaluate", "--dataset", eval_dataset_dir, "--backbones", tiny_backbones_dir, "--no-progress",
            "--splits", "test", "--systems", "backbone", "translate_test"]
    evaluate(base + ["--out", str(tmp_path / "a")])
    evaluate(base + ["--out", str(tmp_path / "b"), "--english-encoder", other])
    out = str(tmp_path / "merged" / "results.json")
    merge([f"a={tmp_path / 'a' / 'results.json'}", f"b={tmp_path / 'b' / 'results.json'}", "--out", out])
    merged = json.load(open(out, encoding="utf-8"))
    assert merged["systems"] == ["backbone@a", "translate_test@a", "backbone@b", "translate_test@b"]
    table = comparison_table_runs([merged], pairs=[("backbone@a", "backbone@b"),
                                                   ("translate_test@a", "translate_test@b")], metrics=("ndcg@10",))
    macro = next(line for line in table.splitlines() if "macro" in line)
    assert "(+0.000 [+0.000, +0.000])" in macro.split("|")[2]
    with pytest.raises(ValueError, match="LABEL=results.json"):
        merge(["nolabel", "--out", out])
    with pytest.raises(ValueError, match="is given twice"):
        merge([f"a={out}", f"a={out}", "--out", out])
