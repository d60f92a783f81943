"""Units of the any-backbone support: the three poolings, padding sides, prefixes and `text_type="document"`, the
config checks relaxed for Qwen3 (and the hostile values still refused), and files written before these fields existed
reloading with today's behaviour."""

import json

import pytest
import torch
import torch.nn.functional as F

from modeling_lira import LiraConfig, LiraModel, LiraProcessor
from modeling_lira.anchoring import real_token_bounds, sentence_vector
from modeling_lira.modeling_lira import encoder_kwargs
from tests.fixtures_model import tiny_config_kwargs
from tests.model.backbones import TEXTS, build_case

NEW_CONFIG_KEYS = ("encoder_pooling", "english_pooling", "encoder_padding_side", "english_padding_side",
                   "query_prefix", "document_prefix", "english_prefix")


def test_poolings_on_a_hand_made_tensor():
    states = torch.arange(3 * 4 * 2, dtype=torch.float32).view(3, 4, 2)  # (B=3, T=4, D=2): state = its position
    mask = torch.tensor([[1, 1, 1, 0],  # right padding
                         [0, 0, 1, 1],  # left padding
                         [0, 1, 1, 0]])  # both (a left-padded batch right-padded again, as the collator does)
    first, last = real_token_bounds(mask)
    assert first.tolist() == [0, 2, 1] and last.tolist() == [2, 3, 2]
    cls = sentence_vector(states, mask, "cls", None)
    assert torch.equal(cls, torch.stack([states[0, 0], states[1, 2], states[2, 1]]))
    last_token = sentence_vector(states, mask, "last_token", None)
    assert torch.equal(last_token, torch.stack([states[0, 2], states[1, 3], states[2, 2]]))
    mean = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    assert torch.equal(sentence_vector(states, mask, "mean", mean), mean)  # mean: the bins' masked mean
    empty = torch.zeros(1, 4, dtype=torch.long)  # no real token: zeros, as the masked mean gives
    assert torch.equal(sentence_vector(states[:1], empty, "last_token", None), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="pooling='max'"):
        sentence_vector(states, mask, "max", mean)


def test_last_token_pooling_gives_one_vector_per_text_under_any_padding():
    model, processor = build_case("qwen3-last-token-left")
    model.eval()
    texts = ["tai nghe không dây", "หูฟัง", "red apple running shoes and a kettle"]

    def vectors(side, extra_right=0):
        processor.tokenizer.padding_side = side
        batch = processor(texts, languages=["vi", "th", "en"])
        batch["input_ids"] = F.pad(batch["input_ids"], (0, extra_right), value=processor.tokenizer.pad_token_id)
        batch["attention_mask"] = F.pad(batch["attention_mask"], (0, extra_right))
        with torch.no_grad():
            return model(**batch).anchored_embeddings

    left, right, mixed = vectors("left"), vectors("right"), vectors("left", extra_right=3)
    processor.tokenizer.padding_side = "left"
    with torch.no_grad():  # each text alone, without any padding
        alone = torch.cat([model(**processor([t])).anchored_embeddings for t in texts])
    for other in (right, mixed, alone):
        assert torch.allclose(left, other, atol=1e-5)
    assert not torch.allclose(left[0], left[1], atol=1e-2)  # different texts, different vectors


@pytest.mark.parametrize("bad, match", [
    (dict(encoder_pooling="max"), r"LiraConfig\.encoder_pooling='max' must be one of 'mean', 'cls', 'last_token'"),
    (dict(english_pooling=None), r"LiraConfig\.english_pooling=None"),
    (dict(encoder_padding_side="center"), r"LiraConfig\.encoder_padding_side='center' must be one of 'right', 'left'"),
    (dict(english_padding_side=1), r"LiraConfig\.english_padding_side=1"),
    (dict(query_prefix=3), r"LiraConfig\.query_prefix=3 must be a string"),
    (dict(document_prefix="x" * 5000), r"LiraConfig\.document_prefix='xxx.* at most 4096 characters"),
    (dict(english_prefix=["en"]), r"LiraConfig\.english_prefix=\['en'\]"),
])
def test_bad_pooling_padding_and_prefix_values_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        LiraConfig(**tiny_config_kwargs(**bad))


@pytest.mark.parametrize("bad, match", [(dict(encoder_padding_side="up"), "encoder_padding_side='up'"),
                                        (dict(english_prefix=None), "english_prefix=None"),
                                        (dict(document_prefix="a", passage_prefix="b"), "passage_prefix='b'")])
def test_processor_names_bad_values(tiny_processor, bad, match):
    with pytest.raises(ValueError, match=match):
        LiraProcessor(tokenizer=tiny_processor.tokenizer, english_tokenizer=tiny_processor.english_tokenizer, **bad)


QWEN = dict(model_type="qwen3", vocab_size=64, hidden_size=30, intermediate_size=48, num_hidden_layers=1,
            num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=64)


def test_config_takes_a_qwen3_decoder_and_still_refuses_hostile_values():
    config = LiraConfig(**tiny_config_kwargs(encoder_config=QWEN))  # 30 % 4 != 0: Qwen3 has its own head_dim
    assert config.encoder_config.model_type == "qwen3" and config.encoder_config.pad_token_id is None
    assert LiraModel(config).encoder.__class__.__name__ == "Qwen3Model"
    for bad, match in [(dict(QWEN, head_dim=0), r"encoder_config\.head_dim=0 must be an integer"),
                       (dict(QWEN, head_dim=10**7), r"encoder_config\.head_dim=10000000"),
                       (dict(QWEN, num_key_value_heads=3), r"num_attention_heads=4 is not divisible by "
                                                           r"num_key_value_heads=3"),
                       (dict(QWEN, rms_norm_eps=0.0), r"encoder_config\.rms_norm_eps=0\.0"),
                       (dict(QWEN, pad_token_id=64), r"pad_token_id=64 must be an integer in \[0, 63\]")]:
        with pytest.raises(ValueError, match=match):
            LiraConfig(**tiny_config_kwargs(encoder_config=bad))
    bert = dict(tiny_config_kwargs()["encoder_config"], hidden_size=30, head_dim=8)  # a stray kwarg relaxes nothing
    with pytest.raises(ValueError, match="hidden_size=30 is not divisible by num_attention_heads=4"):
        LiraConfig(**tiny_config_kwargs(encoder_config=bert))


def test_decoders_get_no_token_type_ids_and_no_cache():
    model, _ = build_case("qwen3-last-token-left")
    types = torch.zeros(1, 3, dtype=torch.long)
    assert encoder_kwargs(model.encoder, types) == {"use_cache": False}  # Qwen3Model takes no token_type_ids
    assert set(encoder_kwargs(model.english_encoder, types)) == {"token_type_ids", "use_cache"}  # BERT takes both
    with torch.no_grad():  # the model passes them through the same rule
        out = model(input_ids=torch.tensor([[5, 6, 7]]), token_type_ids=types)
    assert torch.isfinite(out.embeddings).all()


def _strip_new_keys(folder):
    """Rewrites a saved folder as the code before the any-backbone fields wrote it."""
    config = json.load(open(folder / "config.json"))
    for key in NEW_CONFIG_KEYS:
        config.pop(key)
    (folder / "config.json").write_text(json.dumps(config))
    proc = json.load(open(folder / "processor_config.json"))
    proc["passage_prefix"] = proc.pop("document_prefix")
    for key in ("english_prefix", "encoder_padding_side", "english_padding_side"):
        proc.pop(key)
    (folder / "processor_config.json").write_text(json.dumps(proc))


def test_files_written_before_the_new_fields_reload_with_todays_behaviour(tmp_path, tiny_model, tiny_processor):
    folder = tmp_path / "old"
    tiny_model.save_pretrained(folder)
    tiny_processor.save_pretrained(folder)
    _strip_new_keys(folder)
    model, proc = LiraModel.from_pretrained(folder).eval(), LiraProcessor.from_pretrained(folder)
    assert [getattr(model.config, k) for k in NEW_CONFIG_KEYS] == ["mean", "mean", "right", "right", "query: ",
                                                                   "passage: ", ""]
    assert (proc.query_prefix, proc.document_prefix, proc.passage_prefix, proc.english_prefix) == (
        "query: ", "passage: ", "passage: ", "")
    assert proc.tokenizer.padding_side == proc.english_tokenizer.padding_side == "right"
    tiny_model.eval()
    texts, cands = ["tai nghe không dây", "red apple book"], [["wireless headphones"], []]
    for kwargs in ({}, {"candidates": cands}, {"text_type": "passage"}):
        old_inputs, new_inputs = tiny_processor(texts, **kwargs), proc(texts, **kwargs)
        assert all(torch.equal(old_inputs[k], new_inputs[k]) for k in old_inputs)
        with torch.no_grad():
            a, b = tiny_model(**old_inputs), model(**new_inputs)
        assert torch.equal(a.embeddings, b.embeddings)
    with torch.no_grad():  # and today's behaviour is the masked mean of g
        batch = proc(texts)
        out = model(**batch)
        states = model.encoder(batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    mask = batch["attention_mask"][..., None]
    assert torch.allclose(out.anchored_embeddings, F.normalize((states * mask).sum(1) / mask.sum(1), dim=-1),
                          atol=1e-6)


def test_text_type_document_is_passage_and_processor_from_config(tiny_config, tiny_processor):
    texts = ["book", "red apple"]
    document, passage = tiny_processor(texts, text_type="document"), tiny_processor(texts, text_type="passage")
    assert all(torch.equal(document[k], passage[k]) for k in document)
    assert not torch.equal(document["input_ids"], tiny_processor(texts, text_type="query")["input_ids"])
    old_name = LiraProcessor(tokenizer=tiny_processor.tokenizer, english_tokenizer=tiny_processor.english_tokenizer,
                             passage_prefix="query: ")  # an old processor_config.json's key
    assert old_name.document_prefix == "query: " and "passage_prefix" not in old_name.to_dict()
    config = LiraConfig(**tiny_config_kwargs(query_prefix="q> ", document_prefix="", english_prefix="en: ",
                                             encoder_padding_side="left", lang2id={"en": 0, "vi": 1}))
    proc = LiraProcessor.from_config(config, tiny_processor.tokenizer, tiny_processor.english_tokenizer,
                                     max_length=16)
    assert (proc.query_prefix, proc.document_prefix, proc.english_prefix) == ("q> ", "", "en: ")
    assert proc.tokenizer.padding_side == proc.encoder_padding_side == "left" and proc.english_padding_side == "right"
    assert proc.lang2id == {"en": 0, "vi": 1} and proc.num_candidates == config.num_candidates == 3
    with_prefix = proc(["book"], candidates=[["red apple"]])["candidate_input_ids"][0, 0]
    tokens = proc.english_tokenizer.convert_ids_to_tokens(with_prefix.tolist())
    assert tokens[:5] == ["[CLS]", "[UNK]", ":", "red", "apple"]  # "en: " before the candidate ("en" is unknown)
    plain = tiny_processor(["book"], candidates=[["red apple"]])["candidate_input_ids"][0, 0]
    assert tiny_processor.english_tokenizer.convert_ids_to_tokens(plain.tolist())[:3] == ["[CLS]", "red", "apple"]


def test_matrix_texts_cover_the_low_resource_scripts():
    joined = "".join(TEXTS)
    assert any("\u0e00" <= c <= "\u0e7f" for c in joined) and any("\u0980" <= c <= "\u09ff" for c in joined)
    assert "không" in joined


@pytest.mark.parametrize("bad, match", [
    (dict(query_prefix=7), r"LiraProcessor\.query_prefix=7 must be a string of at most 4096 characters"),
    (dict(english_prefix="x" * 5000), r"LiraProcessor\.english_prefix='xxx.* at most 4096 characters"),
    (dict(encoder_padding_side="up"), r"LiraProcessor\.encoder_padding_side='up' must be one of 'right', 'left' "
                                      r"or None \(keep the tokenizer's own side\)"),
])
def test_processor_names_bad_prefixes_and_padding_sides(bad, match):
    _, processor = build_case("xlmr-cls")
    with pytest.raises(ValueError, match=match):
        LiraProcessor(tokenizer=processor.tokenizer, english_tokenizer=processor.english_tokenizer, **bad)
