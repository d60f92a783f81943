"""Shared pytest fixtures for the eval area: a hand-made mini dataset in the `lira-products` layout, tiny encoders
built in code (HF backbones and a LiRA model), and a lookup system whose scores are known in advance."""

import os

import numpy as np
import pytest

EVAL_LANGS = ("vi", "th")

# 6 products; queries name them in vi/th. Hand-written so expected metrics are known exactly.
EVAL_PRODUCTS = [
    ("p0", "red apple", ["apple", "fruit"], "táo đỏ", "แอปเปิลแดง"),
    ("p1", "green apple", ["apple", "fruit"], "táo xanh", "แอปเปิลเขียว"),
    ("p2", "tea kettle", ["kettle", "tea"], "ấm trà", "กาน้ำชา"),
    ("p3", "running shoe", ["shoe", "sport"], "giày chạy", "รองเท้าวิ่ง"),
    ("p4", "umbrella", ["rain"], "ô", "ร่ม"),
    ("p5", "bicycle", ["bike", "sport"], "xe đạp", "จักรยาน"),
]


def _query_rows(lang, noisy=False):
    rows = []
    col = 3 if lang == "vi" else 4
    for i, product in enumerate(EVAL_PRODUCTS):
        text = product[col] + (" x" if noisy else "")
        wrong = EVAL_PRODUCTS[(i + 1) % len(EVAL_PRODUCTS)][1]
        rows.append({
            "query_id": f"{lang}-{i}{'-n' if noisy else ''}", "language": lang, "query": text,
            "relevant_ids": [product[0]], "relevance": [2], "category": "test", "composed": False,
            # best candidate (by semantic score) is the true title, but listed second
            "candidates": [wrong, product[1]], "candidate_sources": ["other_product", "aligned_name"],
            "critic_scores": [[3.0, 5.0, 5.0], [9.0, 8.0, 8.0]], "noise": "typo" if noisy else "none",
            "clean_query_id": f"{lang}-{i}",
        })
    # a two-answer keyword query (grades 1 and 1): "apple"
    keyword = "táo" if lang == "vi" else "แอปเปิล"
    rows.append({
        "query_id": f"{lang}-kw", "language": lang, "query": keyword + (" x" if noisy else ""),
        "relevant_ids": ["p0", "p1"], "relevance": [1, 1], "category": "test", "composed": False,
        "candidates": [], "candidate_sources": [], "critic_scores": [], "noise": "code_mix" if noisy else "none",
        "clean_query_id": f"{lang}-kw",
    })
    return rows


def write_eval_dataset(folder, languages=EVAL_LANGS, training_splits=False):
    """Writes the mini dataset (corpus + `test`/`test_noisy` per language) with a README YAML `configs` block;
    `training_splits=True` adds `train` and `validation` (copies of the clean rows) for training tests."""
    import datasets

    corpus = [{"product_id": p, "title_en": t, "keywords_en": kw, "category": "test",
               "titles": {"vi": vi, "th": th}, "split": "test", "emoji": ""}
              for p, t, kw, vi, th in EVAL_PRODUCTS]
    files = {("corpus", "corpus"): corpus}
    for lang in languages:
        files[(lang, "test")] = _query_rows(lang)
        files[(lang, "test_noisy")] = _query_rows(lang, noisy=True)
        if training_splits:
            files[(lang, "train")] = _query_rows(lang)
            files[(lang, "validation")] = _query_rows(lang)
    yaml = ["---", "configs:"]
    for config in ["corpus", *languages]:
        yaml += [f"- config_name: {config}", "  data_files:"]
        for (cfg, split), rows in files.items():
            if cfg == config:
                os.makedirs(os.path.join(folder, cfg), exist_ok=True)
                datasets.Dataset.from_list(rows).to_parquet(os.path.join(folder, cfg, f"{split}-00000.parquet"))
                yaml += [f"  - split: {split}", f"    path: {cfg}/{split}-*.parquet"]
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(yaml + ["---", "", "Mini lira-products for evaluation tests.", ""]))
    return folder


@pytest.fixture(scope="session")
def eval_dataset_dir(tmp_path_factory):
    """Mini `lira-products` folder (vi, th; 7 test queries each; 6 products)."""
    return write_eval_dataset(str(tmp_path_factory.mktemp("eval_dataset")))


@pytest.fixture(scope="session")
def eval_training_dataset_dir(tmp_path_factory):
    """The mini dataset with `train` and `validation` splits too (for the baselines' training commands)."""
    return write_eval_dataset(str(tmp_path_factory.mktemp("eval_training_dataset")), training_splits=True)


def _words():
    words = set("query passage : | , x".split())
    for p, t, kw, vi, th in EVAL_PRODUCTS:
        words.update(t.split() + kw + vi.split() + th.split())
    words.update(["táo", "แอปเปิล"])  # the keyword queries
    return sorted(words)


def _save_tiny_bert(folder, words, seed, hidden=32):
    import torch
    from transformers import BertConfig, BertModel

    from tests.fixtures_model import make_word_tokenizer

    tok = make_word_tokenizer(words)
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=48, max_position_embeddings=64, pad_token_id=0)
    BertModel(cfg, add_pooling_layer=False).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_backbones_dir(tmp_path_factory):
    """A `backbones` folder whose `multilingual-e5-small` and `all-MiniLM-L6-v2` are tiny BERTs built in code."""
    root = str(tmp_path_factory.mktemp("tiny_backbones"))
    _save_tiny_bert(os.path.join(root, "multilingual-e5-small"), _words(), seed=1)
    _save_tiny_bert(os.path.join(root, "all-MiniLM-L6-v2"), _words(), seed=2, hidden=24)
    return root


@pytest.fixture(scope="session")
def tiny_lira_dir(tmp_path_factory):
    """A tiny saved LiRA model (config, weights, processor with both tokenizers), built in code."""
    import torch

    from modeling_lira import LiraConfig, LiraModel, LiraProcessor
    from tests.fixtures_model import make_word_tokenizer, tiny_config_kwargs

    words = _words()
    tok = make_word_tokenizer(words)
    kwargs = tiny_config_kwargs(num_candidates=4)
    kwargs["encoder_config"] = dict(kwargs["encoder_config"], vocab_size=len(tok))
    kwargs["english_encoder_config"] = dict(kwargs["english_encoder_config"], vocab_size=len(tok))
    torch.manual_seed(0)
    model = LiraModel(LiraConfig(**kwargs)).eval()
    with torch.no_grad():  # LaSR starts at zero (untrained LiRA == its backbone); perturb it so candidates matter
        torch.nn.init.normal_(model.lasr.output.weight, std=0.3)
    proc = LiraProcessor(tokenizer=tok, english_tokenizer=make_word_tokenizer(words), num_candidates=4,
                         max_length=16, candidate_max_length=8)
    folder = str(tmp_path_factory.mktemp("tiny_lira"))
    model.save_pretrained(folder)
    proc.save_pretrained(folder)
    return folder


class LookupSystem:
    """Test system with known answers: a query maps to the one-hot vector of the product listed for its text in
    `answers` (text -> product id); unknown texts map to a fixed product. Counts its encode calls."""

    candidate_mode = "none"

    def __init__(self, answers, product_ids, name="lookup", fallback=None, key="v1"):
        self.answers = answers
        self.ids = list(product_ids)
        self.name = name
        self.fallback = fallback or self.ids[-1]
        self.key = key
        self.calls = 0

    def query_key(self):
        return f"{self.name}-{self.key}"

    def document_key(self):
        return f"{self.name}-docs"

    def _onehot(self, pid):
        v = np.zeros(len(self.ids), dtype=np.float32)
        v[self.ids.index(pid)] = 1.0
        return v

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        self.calls += 1
        return np.stack([self._onehot(self.answers.get(t, self.fallback)) for t in texts])

    def encode_documents(self, products):
        self.calls += 1
        return np.stack([self._onehot(p["product_id"]) for p in products])


@pytest.fixture
def lookup_system_factory():
    """Builds `LookupSystem`s (see its docstring)."""
    return LookupSystem
