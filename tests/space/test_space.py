"""The demo Space (`space/`): input validation, ranking equal to the evaluation systems, the corpus cache, error pages,
and the app itself driven in headless Chromium with a Thai and a Bengali query.

Everything runs on tiny models built in code and a 6-product dataset with Thai and Bengali queries.
"""

import html
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from evaluation.lira_system import LiraSystem
from evaluation.search import top_k
from evaluation.systems import build_system
from modeling_lira.processing_lira import MAX_CHARS_PER_TOKEN
from tests.fixtures_eval import _save_tiny_bert
from tests import REPO_ROOT
from tests.fixtures_model import make_word_tokenizer, tiny_config_kwargs

REPO = str(REPO_ROOT)
SPACE = os.path.join(REPO, "space")
sys.path.insert(0, SPACE)

from space_inputs import LiraSpaceInputError, parse_query  # noqa: E402
from space_render import render_result  # noqa: E402
from space_search import LiraSpaceSearcher  # noqa: E402

SCREENSHOT = os.path.join(REPO, "artifacts", "space", "screenshot-test.png")
LANGS = ["vi", "th", "id", "ms", "fil", "ur", "bn"]
# product id, English title, keywords, Thai title, Bengali title
PRODUCTS = [
    ("p0", "red apple", ["apple", "fruit"], "แอปเปิลแดง", "লাল আপেল"),
    ("p1", "green apple", ["apple", "fruit"], "แอปเปิลเขียว", "সবুজ আপেল"),
    ("p2", "tea kettle", ["kettle", "tea"], "กาน้ำชา", "চায়ের কেটলি"),
    ("p3", "running shoe", ["shoe", "sport"], "รองเท้าวิ่ง", "দৌড়ের জুতা"),
    ("p4", "umbrella", ["rain"], "ร่ม", "ছাতা"),
    ("p5", "bicycle", ["bike", "sport"], "จักรยาน", "সাইকেল"),
]
LEXICON = {"vocabulary": ["red", "apple", "tea", "kettle", "shoe", "bicycle"], "affect_words": ["happy"]}


def _words():
    words = set("query passage : happy".split())
    for _, title, kw, th, bn in PRODUCTS:
        words.update(title.split() + kw + th.split() + bn.split())
    return sorted(words)


def _write_dataset(folder):
    import datasets

    corpus = [{"product_id": p, "title_en": t, "keywords_en": kw, "category": "test", "titles": {"th": th, "bn": bn},
               "split": "test", "emoji": ""} for p, t, kw, th, bn in PRODUCTS]
    files = {"corpus/corpus": corpus}
    for col, lang in [(3, "th"), (4, "bn")]:
        files[f"{lang}/test"] = [{
            "query_id": f"{lang}-{i}", "language": lang, "query": p[col], "relevant_ids": [p[0]], "relevance": [2],
            "category": "test", "composed": False, "candidates": [PRODUCTS[(i + 1) % 6][1], p[1]],
            "candidate_sources": ["other_product", "aligned_name"], "critic_scores": [[3.0, 5.0, 5.0], [9.0, 8.0, 8.0]],
            "noise": "none"} for i, p in enumerate(PRODUCTS)]
    yaml = ["---", "configs:"]
    for key, rows in files.items():
        config, split = key.split("/")
        os.makedirs(os.path.join(folder, config), exist_ok=True)
        datasets.Dataset.from_list(rows).to_parquet(os.path.join(folder, config, f"{split}-00000.parquet"))
        yaml += [f"- config_name: {config}", "  data_files:", f"  - split: {split}", f"    path: {config}/{split}-*"]
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(yaml + ["---", "", "Tiny lira-products (th, bn) for the Space tests.", ""]))
    return folder


def _save_tiny_lira(folder, seed=0):
    import torch

    from modeling_lira import LiraConfig, LiraModel, LiraProcessor

    tok = make_word_tokenizer(_words())
    kwargs = tiny_config_kwargs(num_candidates=4)
    kwargs["encoder_config"] = dict(kwargs["encoder_config"], vocab_size=len(tok))
    kwargs["english_encoder_config"] = dict(kwargs["english_encoder_config"], vocab_size=len(tok))
    torch.manual_seed(seed)
    model = LiraModel(LiraConfig(**kwargs)).eval()
    with torch.no_grad():  # LaSR starts at zero; perturb it so that candidates change the vector
        torch.nn.init.normal_(model.lasr.output.weight, std=0.3)
    model.save_pretrained(folder)
    LiraProcessor(tokenizer=tok, english_tokenizer=make_word_tokenizer(_words()), num_candidates=4, max_length=16,
                  candidate_max_length=8).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def space_sources(tmp_path_factory):
    """Paths of a tiny LiRA, backbone, fine-tune, dataset and critic lexicon."""
    root = tmp_path_factory.mktemp("space")
    lexicon = root / "critic_lexicon.json"
    lexicon.write_text(json.dumps(LEXICON))
    return {
        "model": _save_tiny_lira(str(root / "lira")),
        "backbone": _save_tiny_bert(str(root / "backbones" / "multilingual-e5-small"), _words(), seed=1),
        "finetune": _save_tiny_bert(str(root / "finetune"), _words(), seed=3),
        "dataset": _write_dataset(str(root / "data")),
        "lexicon": str(lexicon),
    }


@pytest.fixture(scope="module")
def searcher(space_sources):
    s = space_sources
    return LiraSpaceSearcher(s["model"], s["dataset"], s["backbone"], finetune=s["finetune"], critic_lexicon=LEXICON)


def _ids(rows):
    return [r["product_id"] for r in rows]


# --- input validation ------------------------------------------------------------------------------------------------

def test_parse_query_accepts_good_input():
    q = parse_query("  หูฟัง   ไร้สาย ", "auto", "\nwireless headphones\n\n headphone \n", LANGS, 4)
    assert (q.text, q.language, q.candidates) == ("หูฟัง ไร้สาย", None, ["wireless headphones", "headphone"])
    assert parse_query("ছাতা", "bn", "", LANGS, 4).language == "bn"
    assert parse_query("ছাতা", None, None, LANGS, 4).candidates == []


@pytest.mark.parametrize("text, language, candidates, message", [
    ("", "auto", "", "The query is empty"),
    ("   \n ", "th", "", "The query is empty"),
    ("ร่ม", "xx", "", "Language 'xx' is not one the model knows; pick one of vi, th"),
    ("ร่ม", "en", "", "Language 'en' is not one the model knows"),
    ("ร่ม", "th", "a\nb\nc\nd\ne", "5 candidate translations were given, but the model takes at most K = 4; remove 1"),
    ("ร่ม" * 200, "th", "", "The query is 600 characters long; the demo takes at most 300"),
    ("ร่ม", "th", "umbrella " * 40, "Candidate 1 is 359 characters long"),
])
def test_parse_query_rejects_bad_input_with_the_fix(text, language, candidates, message):
    with pytest.raises(LiraSpaceInputError, match=message.replace("(", r"\(")):
        parse_query(text, language, candidates, LANGS, 4)


# --- ranking equals the evaluation systems ----------------------------------------------------------------------------

def test_rankings_equal_the_evaluation_systems(searcher, space_sources):
    corpus = searcher.corpus
    backbones_dir = os.path.dirname(space_sources["backbone"])
    lrl, full = LiraSystem(space_sources["model"], "lrl", progress=False), LiraSystem(space_sources["model"], "noisy",
                                                                                      progress=False)
    backbone = build_system("backbone", backbones_dir=backbones_dir, progress=False)
    for text, lang, cands in [("แอปเปิลแดง", "th", []), ("ছাতা", "bn", ["bicycle", "umbrella"]),
                              ("সাইকেল", None, ["red apple", "bicycle", "tea kettle"])]:
        result = searcher.search(parse_query(text, lang or "auto", cands, searcher.languages, 4))
        scores = [c["scores"] for c in result["candidates"]]
        assert len(scores) == len(cands) and all(1 <= s <= 10 for row in scores for s in row)
        system = full if cands else lrl
        q = system.encode_queries([text], [lang], [cands] if cands else None, [scores] if cands else None)
        idx, val = top_k(q, system.encode_documents(corpus), 10)
        assert _ids(result["rankings"]["lira"]) == [corpus[j]["product_id"] for j in idx[0]]
        assert np.allclose([r["score"] for r in result["rankings"]["lira"]], val[0], atol=1e-4)
        idx, _ = top_k(backbone.encode_queries([text]), backbone.encode_documents(corpus), 10)
        assert _ids(result["rankings"]["backbone"]) == [corpus[j]["product_id"] for j in idx[0]]
        assert result["lira_mode"] == ("full" if cands else "lrl") and len(result["rankings"]["finetune"]) == 6
        assert sum(c["chosen"] for c in result["candidates"]) == (1 if cands else 0)
        # the detected language is the head's argmax with languages=None, whatever language was given
        assert result["language"]["detected"] == lrl.predict_languages([text])[0]
        assert result["language"]["given"] == lang
    # localized titles follow the given language
    top = searcher.search(parse_query("ร่ม", "th", "", searcher.languages, 4))["rankings"]["lira"]
    assert {r["title"] for r in top} == {p[3] for p in PRODUCTS}


def test_typed_candidates_get_the_dataset_critic_scores(searcher):
    from dataset_builder.qe_critic import QualityEstimationCritic
    from evaluation.encoders import MeanPoolEncoder

    result = searcher.search(parse_query("ছাতা", "bn", "umbrella\nbicycle bicycle", searcher.languages, 4))
    encoder = MeanPoolEncoder(searcher.systems["backbone"].weights_dir, max_length=32, progress=False)
    vocabulary = {"red", "green", "apple", "fruit", "tea", "kettle", "running", "shoe", "sport", "umbrella", "rain",
                  "bicycle", "bike"} | set(LEXICON["vocabulary"])
    critic = QualityEstimationCritic(encoder, vocabulary=vocabulary, affect_words=LEXICON["affect_words"])
    expected = critic.score(["ছাতা"], [["umbrella", "bicycle bicycle"]], ["bn"])[0]
    assert [c["scores"] for c in result["candidates"]] == expected
    assert expected[1][2] < expected[0][2]  # the repeated word lowers the pragmatic score


def test_corpus_embeddings_are_cached_by_model_hash(space_sources, tmp_path):
    s = space_sources
    first = LiraSpaceSearcher(s["model"], s["dataset"], s["backbone"], cache_dir=str(tmp_path))
    first.prepare()
    assert first.cache.stats["computed_embeddings"] == 3 and first.cache.stats["cached_embeddings"] == 0
    again = LiraSpaceSearcher(s["model"], s["dataset"], s["backbone"], cache_dir=str(tmp_path))
    again.prepare()
    assert again.cache.stats["computed_embeddings"] == 0 and again.cache.stats["cached_embeddings"] == 3
    assert np.array_equal(again.documents("lira_full"), first.documents("lira_full"))
    other = _save_tiny_lira(str(tmp_path / "lira-other"), seed=5)  # other weights: a new key for LiRA only
    changed = LiraSpaceSearcher(other, s["dataset"], s["backbone"], cache_dir=str(tmp_path))
    changed.prepare()
    assert changed.cache.stats["computed_embeddings"] == 2 and changed.cache.stats["cached_embeddings"] == 1
    assert not np.allclose(changed.documents("lira_lrl"), first.documents("lira_lrl"))


def test_examples_come_from_the_test_split(searcher):
    examples = searcher.examples()
    assert [e[1] for e in examples] == ["th", "bn"]  # dataset languages, in the model's order
    assert examples[0] == ["แอปเปิลแดง", "th", "green apple\nred apple"]


def test_missing_sources_name_the_fix(space_sources, tmp_path):
    with pytest.raises(ValueError, match="neither a local folder nor a Hub repo reachable here"):
        LiraSpaceSearcher(str(tmp_path / "nope"), space_sources["dataset"], space_sources["backbone"])


# --- the query normalizer: every column reads what LiRA's processor reads ---------------------------------------------

# romanized Thai back into Thai script (a tiny `query_normalizer.json`, as `dataset_builder.normalizer` writes them)
NORMALIZER_VOCABULARY = {"th": [{"text": "รองเท้าวิ่ง", "romanized": ["rongthao wing"]},
                                {"text": "ร่ม", "romanized": ["rom"]}]}


@pytest.fixture(scope="module")
def normalized_searcher(space_sources, tmp_path_factory):
    """A searcher whose LiRA folder also ships a `query_normalizer.json` (loaded by the processor)."""
    from modeling_lira.query_normalizer import LiraQueryNormalizer

    folder = str(tmp_path_factory.mktemp("space-normalizer") / "lira")
    shutil.copytree(space_sources["model"], folder)
    LiraQueryNormalizer(NORMALIZER_VOCABULARY).save_pretrained(folder)
    s = space_sources
    return LiraSpaceSearcher(folder, s["dataset"], s["backbone"], finetune=s["finetune"], critic_lexicon=LEXICON)


def _spy_queries(monkeypatch, system):
    """Records the texts `system.encode_queries` receives (then encodes them as before)."""
    seen, encode = [], system.encode_queries

    def spy(texts, *args, **kwargs):
        seen.append(list(texts))
        return encode(texts, *args, **kwargs)

    monkeypatch.setattr(system, "encode_queries", spy)
    return seen


@pytest.mark.parametrize("language", ["th", "auto"])
def test_every_column_reads_the_normalized_query(normalized_searcher, space_sources, monkeypatch, language):
    searcher = normalized_searcher
    assert searcher.lira.query_normalizer is not None  # loaded by LiraProcessor.from_pretrained from the folder
    seen = {name: _spy_queries(monkeypatch, searcher.systems[name]) for name in ("backbone", "finetune")}
    result = searcher.search(parse_query("rongthao wing", language, "", searcher.languages, 4))
    assert result["query"] == "rongthao wing" and result["normalized_query"] == "รองเท้าวิ่ง"
    assert seen == {"backbone": [["รองเท้าวิ่ง"]], "finetune": [["รองเท้าวิ่ง"]]}
    # like for like: the romanized query ranks exactly as the same query typed in Thai script, in every column
    typed_thai = searcher.search(parse_query("รองเท้าวิ่ง", language, "", searcher.languages, 4))
    assert typed_thai["normalized_query"] == "รองเท้าวิ่ง"
    assert typed_thai["rankings"] == result["rankings"]
    # LiRA's column is what LiRA's own processor makes of the raw text (evaluation's LiraSystem normalizes inside)
    lrl = LiraSystem(searcher.lira.folder, "lrl", progress=False)
    lang = None if language == "auto" else language
    idx, val = top_k(lrl.encode_queries(["rongthao wing"], [lang]), lrl.encode_documents(searcher.corpus), 10)
    assert _ids(result["rankings"]["lira"]) == [searcher.corpus[j]["product_id"] for j in idx[0]]
    assert np.allclose([r["score"] for r in result["rankings"]["lira"]], val[0], atol=1e-4)
    # ... and the raw text would have ranked the fine-tune differently (so the check above can fail)
    finetune = searcher.systems["finetune"]
    _, raw = top_k(finetune.encode_queries(["rongthao wing"]), searcher.documents("finetune"), 10)
    assert not np.allclose([r["score"] for r in result["rankings"]["finetune"]], raw[0], atol=1e-4)
    page = render_result(result)
    assert 'data-query-normalizer="rewritten"' in page and 'data-normalized-query="รองเท้าวิ่ง"' in page
    assert "Normalized query: <b>รองเท้าวิ่ง</b> (typed: rongthao wing)" in page and "plain fine-tune" in page


def test_a_query_the_normalizer_keeps_is_shown_as_unchanged(normalized_searcher, monkeypatch):
    seen = _spy_queries(monkeypatch, normalized_searcher.systems["finetune"])
    result = normalized_searcher.search(parse_query("ร่ม", "th", "umbrella", normalized_searcher.languages, 4))
    assert result["normalized_query"] == "ร่ม" and seen == [["ร่ม"]]
    page = render_result(result)
    assert 'data-query-normalizer="unchanged"' in page and "Normalized query: unchanged" in page
    assert "Normalized query: <b>" not in page


def test_without_a_normalizer_every_column_reads_the_raw_text(searcher, monkeypatch):
    assert searcher.lira.query_normalizer is None
    seen = {name: _spy_queries(monkeypatch, searcher.systems[name]) for name in ("backbone", "finetune")}
    result = searcher.search(parse_query("rongthao wing", "th", "", searcher.languages, 4))
    assert result["normalized_query"] == "rongthao wing" and not result["has_normalizer"]
    assert seen == {"backbone": [["rongthao wing"]], "finetune": [["rongthao wing"]]}
    page = render_result(result)
    assert 'data-query-normalizer="none"' in page and "ships no query normalizer" in page


def test_the_normalized_query_is_escaped_in_the_page():
    result = {"query": "x", "normalized_query": "<b>x</b>", "has_normalizer": True, "seconds": 0.1, "lira_mode": "lrl",
              "language": {"given": "th", "detected": "th", "probabilities": {"th": 1.0}}, "candidates": [],
              "rankings": {"lira": [], "finetune": []}}
    page = render_result(result)
    assert "<b>x</b>" not in page and "Normalized query: <b>&lt;b&gt;x&lt;/b&gt;</b>" in page


def test_normalize_query_rejects_bad_values(normalized_searcher):
    with pytest.raises(ValueError, match="the query must be a string, got int"):
        normalized_searcher.lira.normalize_query(3, "th")
    with pytest.raises(ValueError, match="language 'xx' is not one of the model's"):
        normalized_searcher.lira.normalize_query("rom", "xx")


def test_normalize_query_is_the_processors_normalize_queries(normalized_searcher, searcher, monkeypatch):
    """One path: the Space asks `processor.normalize_queries`, so it reads what `processor(...)` tokenizes."""
    lira = normalized_searcher.lira
    proc = lira.load()[1]
    seen, method = [], proc.normalize_queries
    monkeypatch.setattr(proc, "normalize_queries", lambda texts, languages=None, **kw: seen.append(
        (list(texts), languages, kw)) or method(texts, languages, **kw))
    assert lira.normalize_query("rongthao wing", "th") == "รองเท้าวิ่ง"
    assert lira.normalize_query("rongthao wing", None) == "รองเท้าวิ่ง"  # language unknown: every language tried
    assert seen == [(["rongthao wing"], ["th"], {}), (["rongthao wing"], [None], {})]
    long = "rongthao wing " * 400  # 5,600 characters: longer than the processor's character cut
    read = lira.normalize_query(long, "th")
    assert read == method([long], ["th"])[0] and len(read) < len(long)
    assert proc([long], ["th"])["input_ids"].tolist() == proc([read], ["th"], normalize=False)["input_ids"].tolist()
    # without a normalizer the text is cut the way the processor cuts it (the Space used to hand on the raw text)
    plain = searcher.lira.load()[1]
    one_word = "x" * 5000
    cut = searcher.lira.normalize_query(one_word, "th")
    assert cut == plain.normalize_queries([one_word], ["th"])[0] and len(cut) == MAX_CHARS_PER_TOKEN * plain.max_length


class _OlderProcessor:
    """A processor of an older model revision: `query_normalizer`, `query_prefix`, `max_length`, `__call__` and
    (unless `kept_text=False`) `kept_text`, but no `normalize_queries`."""

    def __init__(self, proc, kept_text=True, normalizer=True):
        self._proc, self.calls = proc, []  # calls: what the normalizer was given
        self.query_prefix, self.max_length = proc.query_prefix, proc.max_length
        self.query_normalizer = self._normalize if normalizer else None
        if kept_text:
            self.kept_text = proc.kept_text

    def _normalize(self, texts, languages=None):
        self.calls.append((list(texts), languages))
        return self._proc.query_normalizer(texts, languages)

    def __call__(self, *args, **kwargs):
        return self._proc(*args, **kwargs)


def test_a_processor_without_normalize_queries_gets_the_old_call(normalized_searcher, monkeypatch):
    """The Space may load an older Hub revision whose processor lacks `normalize_queries`: it then calls the
    normalizer itself, as it did before the method existed."""
    searcher, lira = normalized_searcher, normalized_searcher.lira
    model, proc = lira.load()
    older = _OlderProcessor(proc)
    assert not hasattr(older, "normalize_queries")
    monkeypatch.setattr(lira, "_loaded", (model, older))
    assert lira.normalize_query("rongthao wing", "th") == "รองเท้าวิ่ง"
    long = "rongthao wing " * 400
    assert lira.normalize_query(long, "th") == proc.normalize_queries([long], ["th"])[0]  # kept_text cuts it too
    assert older.calls[0] == (["rongthao wing"], ["th"])
    assert older.calls[1] == (proc.kept_text([long], proc.query_prefix, proc.max_length), ["th"])
    result = searcher.search(parse_query("rongthao wing", "th", "", searcher.languages, 4))  # the whole search runs
    assert result["normalized_query"] == "รองเท้าวิ่ง" and result["has_normalizer"]
    oldest = _OlderProcessor(proc, kept_text=False)  # no kept_text either: the normalizer reads the whole text
    monkeypatch.setattr(lira, "_loaded", (model, oldest))
    assert lira.normalize_query("rongthao wing", None) == "รองเท้าวิ่ง" and oldest.calls == [(["rongthao wing"], [None])]
    monkeypatch.setattr(lira, "_loaded", (model, _OlderProcessor(proc, normalizer=False)))
    assert lira.normalize_query(long, "th") == long  # no normalizer: the text as typed, as before
    with pytest.raises(ValueError, match="language 'xx' is not one of the model's"):
        lira.normalize_query("rom", "xx")


# --- the page's answer to bad input -----------------------------------------------------------------------------------

def test_answer_shows_messages_never_tracebacks(searcher, monkeypatch):
    import app

    for text, lang, cands, message in [
        ("", "auto", "", "The query is empty"), ("ร่ม", "klingon", "", "Language &#x27;klingon&#x27; is not one"),
        ("ร่ม", "th", "a\nb\nc\nd\ne\nf", "6 candidate translations were given"),
        ("x" * 5000, "auto", "", "The query is 5,000 characters long"),
    ]:
        page = app.answer(searcher, text, lang, cands)
        assert 'class="lira-error" role="alert"' in page and message in page and "Traceback" not in page
    page = app.answer(searcher, "ร่ม", "th", "<script>alert(1)</script>")
    assert "<script>" not in page and html.escape("<script>alert(1)</script>") in page

    def broken(query, k=10):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(searcher, "search", broken)
    page = app.answer(searcher, "ร่ม", "th", "")
    assert "the search failed on the server (RuntimeError)" in page and "secret internal detail" not in page


# --- the app in a real browser ----------------------------------------------------------------------------------------

def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running_app(space_sources, tmp_path):
    """`python space/app.py` on a free local port, stopped (by its pid) after the test."""
    port = _free_port()
    s = space_sources
    cmd = [sys.executable, os.path.join(SPACE, "app.py"), "--model", s["model"], "--dataset", s["dataset"],
           "--backbone", s["backbone"], "--finetune", s["finetune"], "--critic-lexicon", s["lexicon"],
           "--cache-dir", str(tmp_path / "cache"), "--port", str(port)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    log = open(tmp_path / "app.log", "w+", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    try:
        deadline = time.time() + 120
        while True:
            log.seek(0)
            text = log.read()
            if "LIRA_SPACE_READY" in text:
                break
            assert proc.poll() is None and time.time() < deadline, f"the app did not start:\n{text[-3000:]}"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_app_in_headless_chromium(running_app, searcher):
    from browser_check import CHROMIUM, LiraSpaceBrowser

    assert os.path.exists(CHROMIUM), (f"Chromium is missing at {CHROMIUM}: the browser test needs Debian's chromium "
                                      "(`apt-get install -y chromium`, done by scripts/install.sh).")
    searches = [("รองเท้าวิ่ง", "th", ""), ("সাইকেল", "auto", "bicycle\nred apple")]
    with LiraSpaceBrowser(running_app) as browser:
        for text, lang, cands in searches:
            shown = browser.search(text, lang, cands)
            expected = searcher.search(parse_query(text, lang, cands, searcher.languages, 4))
            assert shown["error"] is None
            assert shown["rankings"] == {name: _ids(rows) for name, rows in expected["rankings"].items()}
            assert list(shown["rankings"]) == ["lira", "backbone", "finetune"]
            assert all(len(ids) == 6 for ids in shown["rankings"].values())
            assert shown["detected"] == expected["language"]["detected"]
            assert shown["read"] == text and "ships no query normalizer" in shown["normalized"]  # none in this model
            chosen = [c["text"] for c in expected["candidates"] if c["chosen"]]
            assert shown["chosen"] == (chosen[0] if chosen else None)
        browser.screenshot(SCREENSHOT)  # the Bengali search in full mode, under the form (git-ignored)
        bad = browser.search("ร่ม", "th", "a\nb\nc\nd\ne")
        assert bad["error"].startswith("Cannot search: 5 candidate translations were given")
    assert os.path.getsize(SCREENSHOT) > 10_000
