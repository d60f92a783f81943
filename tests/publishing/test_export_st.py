"""push_scripts/export_sentence_transformers.py on tiny LiRA models built in code: the stock sentence-transformers
folder gives the full model's LRL-only `anchored_embeddings` for each pooling (mean, CLS, last token) and padding side,
with prompts `query` / `document` and `query` as the default prompt, through the current (non-deprecated) modules."""

import json
import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest
import torch

from modeling_lira import LiraConfig, LiraModel, LiraProcessor
from push_scripts.export_sentence_transformers import (DEFAULT_PROMPT_NAME, export_pooling_mode, export_prompts,
                                                       export_sentence_transformers)
from tests.fixtures_model import REPO, WORDS, make_word_tokenizer, tiny_config_kwargs
from tests.model.backbones import build_case

QUERIES = ["tai nghe không dây", "หูฟัง", "sepatu lari running shoes red apple kettle", "বই"]
DOCUMENTS = ["wireless headphones", "running shoes", "red apple", "book camera umbrella tea bicycle"]


def _randomize_adaptor(model, seed=1):
    """A trained-looking adaptor (the untrained one is the identity), so the export's Dense is really tested."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.adaptor.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    return model.eval()


def _bert_case(pooling, padding_side):
    config = LiraConfig(**tiny_config_kwargs(encoder_pooling=pooling, encoder_padding_side=padding_side))
    torch.manual_seed(0)
    tokenizer = make_word_tokenizer(WORDS)
    processor = LiraProcessor.from_config(config, tokenizer, make_word_tokenizer(WORDS), max_length=16,
                                          candidate_max_length=8)
    return LiraModel(config), processor


CASES = {  # name: builder of (model, processor)
    "bert-mean-right": lambda: _bert_case("mean", "right"),
    "bert-cls-right": lambda: _bert_case("cls", "right"),
    "bert-last-token-left": lambda: _bert_case("last_token", "left"),
    "qwen3-last-token-left": lambda: build_case("qwen3-last-token-left"),  # a decoder with an instruction prefix
    "xlmr-cls": lambda: build_case("xlmr-cls"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def exported(request, tmp_path_factory):
    model, processor = CASES[request.param]()
    model = _randomize_adaptor(model)
    root = tmp_path_factory.mktemp(f"export-{request.param}")
    model.save_pretrained(root / "model")
    processor.save_pretrained(root / "model")
    out = export_sentence_transformers(str(root / "model"), str(root / "st"), model=model, processor=processor)
    return model, processor, out


def test_export_reproduces_the_anchored_embeddings(exported):
    from sentence_transformers import SentenceTransformer

    model, processor, out = exported
    st = SentenceTransformer(out, device="cpu")
    with torch.no_grad():
        queries = model(**processor(QUERIES, normalize=False)).anchored_embeddings  # (B, d)
        documents = model(**processor(DOCUMENTS, text_type="document")).anchored_embeddings  # (B, d)
    e_query = st.encode_query(QUERIES, convert_to_tensor=True)
    e_plain = st.encode(QUERIES, convert_to_tensor=True)  # the default prompt: the query side
    e_document = st.encode_document(DOCUMENTS, convert_to_tensor=True)
    assert (e_query - queries).abs().max() < 1e-5 and (e_plain - queries).abs().max() < 1e-5
    assert (e_document - documents).abs().max() < 1e-5
    if processor.query_prefix != processor.document_prefix:  # the prompts matter: documents are not queries
        assert (st.encode_query(DOCUMENTS, convert_to_tensor=True) - documents).abs().max() > 1e-4  # >> 1e-7 noise


def test_export_from_a_folder_loads_it_lrl_only_with_the_same_result(exported, tmp_path, monkeypatch):
    """Given only the folder, the export loads the model with `lrl_only=True` (no h, actor or LaSR) and writes the
    folder that the whole model gives."""
    from sentence_transformers import SentenceTransformer

    model, processor, out = exported
    loaded, real = [], LiraModel.from_pretrained

    def spy(*args, **kwargs):
        loaded.append(real(*args, **kwargs))
        return loaded[-1]

    monkeypatch.setattr(LiraModel, "from_pretrained", spy)
    again = export_sentence_transformers(os.path.join(os.path.dirname(out), "model"), str(tmp_path / "st"))
    assert len(loaded) == 1 and loaded[0].config.lrl_only and loaded[0].english_encoder is None
    whole, lrl = SentenceTransformer(out, device="cpu"), SentenceTransformer(again, device="cpu")
    for encode in ("encode_query", "encode_document"):
        assert torch.equal(getattr(lrl, encode)(QUERIES, convert_to_tensor=True),
                           getattr(whole, encode)(QUERIES, convert_to_tensor=True)), encode


def test_export_folder_follows_the_config(exported):
    model, processor, out = exported
    config = model.config
    with open(os.path.join(out, "modules.json"), encoding="utf-8") as f:
        modules = json.load(f)
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Dense", "Normalize"]
    assert all(m["type"].startswith("sentence_transformers.") for m in modules)  # no custom code
    with open(os.path.join(out, "1_Pooling", "config.json"), encoding="utf-8") as f:
        pooling = json.load(f)
    assert pooling["pooling_mode"] == {"mean": "mean", "cls": "cls", "last_token": "lasttoken"}[config.encoder_pooling]
    with open(os.path.join(out, "tokenizer_config.json"), encoding="utf-8") as f:
        tokenizer_config = json.load(f)
    assert tokenizer_config["padding_side"] == config.encoder_padding_side
    assert not {"auto_map", "processor_class", "is_local", "local_files_only"} & set(tokenizer_config)
    with open(os.path.join(out, "config_sentence_transformers.json"), encoding="utf-8") as f:
        st_config = json.load(f)
    assert st_config["prompts"] == {"query": config.query_prefix, "document": config.document_prefix}
    assert st_config["default_prompt_name"] == DEFAULT_PROMPT_NAME == "query"


def test_prompts_are_the_processors_prefixes():
    """The processor's prefixes are what the full model reads; the config's are the fallback (an older processor)."""
    config = SimpleNamespace(query_prefix="q: ", document_prefix="d: ")
    processor = SimpleNamespace(query_prefix="Instruct: find\nQuery: ", document_prefix="")
    assert export_prompts(config, processor) == {"query": "Instruct: find\nQuery: ", "document": ""}
    old = SimpleNamespace(query_prefix="query: ", passage_prefix="passage: ")  # before `document_prefix`
    assert export_prompts(SimpleNamespace(), old) == {"query": "query: ", "document": "passage: "}
    assert export_prompts(config, SimpleNamespace()) == {"query": "q: ", "document": "d: "}


def test_pooling_modes_and_older_configs():
    assert export_pooling_mode(SimpleNamespace()) == "mean"  # a config saved before `encoder_pooling` existed
    assert export_pooling_mode(SimpleNamespace(encoder_pooling="last_token")) == "lasttoken"
    with pytest.raises(ValueError, match="encoder_pooling='max' has no sentence-transformers Pooling mode"):
        export_pooling_mode(SimpleNamespace(encoder_pooling="max"))


def test_export_uses_no_deprecated_sentence_transformers_path(tmp_path):
    """In a fresh process (a module warns on its first import only), with sentence-transformers' deprecation
    warnings made errors: the export imports the current module paths (`sentence_transformers.models` moved in 5.4)."""
    script = textwrap.dedent(f"""
        import warnings
        warnings.filterwarnings("error", message=".*sentence_transformers", category=DeprecationWarning)
        warnings.filterwarnings("error", message=".*sentence_transformers", category=FutureWarning)
        import torch
        from modeling_lira import LiraConfig, LiraModel, LiraProcessor
        from push_scripts.export_sentence_transformers import export_sentence_transformers
        from tests.fixtures_model import WORDS, make_word_tokenizer, tiny_config_kwargs
        from sentence_transformers import SentenceTransformer
        config = LiraConfig(**tiny_config_kwargs())
        processor = LiraProcessor(tokenizer=make_word_tokenizer(WORDS), english_tokenizer=make_word_tokenizer(WORDS),
                                  num_candidates=3, max_length=16)
        out = export_sentence_transformers("unused", {str(tmp_path / "st")!r}, model=LiraModel(config).eval(),
                                           processor=processor)
        SentenceTransformer(out, device="cpu").encode_query(["tai nghe"])
        print("clean")
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env.update(PYTHONPATH=REPO, HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("clean"), done.stderr[-3000:]
    with open(os.path.join(REPO, "setup.cfg"), encoding="utf-8") as f:
        assert "DeprecationWarning:sentence_transformers" not in f.read()  # no filter hides such a warning
