"""The GPU path's vocabulary trim per tokenizer family: BPE keeps every merge a kept token needs (and no other), a
family it cannot trim exactly is refused by name and the job goes on with an untrimmed copy. The whole trim of a
Qwen3 / XLM-R / MPNet LiRA is in tests/model/test_backbone_matrix.py."""

import json
import os

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from tests.model.backbones import build_case
from training.gpu.vocab_trim import (LiraUntrimmableTokenizer, encode_all, keep_ids, stream_prefixes, stream_texts,
                                     trim_lira, trim_or_copy, trim_tokenizer_json)


def _bpe_json(**model_options):
    vocab = {"a": 0, "b": 1, "c": 2, "x": 3, "y": 4, "ab": 5, "abc": 6, "xy": 7, "q": 8}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b"), ("x", "y"), ("ab", "c")], **model_options))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return json.loads(tok.to_str())


def test_bpe_trim_keeps_the_merge_chain_of_every_kept_token():
    tok_json = _bpe_json()
    used = {i for ids in encode_all(tok_json, ["abc"]) for i in ids}
    assert used == {6}  # "abc" is one token, built by a+b -> ab, ab+c -> abc: "ab" is never output
    keep = keep_ids(tok_json, used, reserve=0)
    assert keep == [0, 1, 2, 3, 4, 5, 6, 8]  # every single character, the chain a, b, ab, c; not the unused "xy"
    trimmed, old2new = trim_tokenizer_json(tok_json, keep)
    assert [tuple(m) for m in trimmed["model"]["merges"]] == [("a", "b"), ("ab", "c")]  # "x y" made "xy": dropped
    tok = Tokenizer.from_str(json.dumps(trimmed))
    assert tok.encode("abc").tokens == ["abc"] and tok.encode("abc").ids == [old2new[6]]
    assert tok.encode("xy abcq").tokens == ["x", "y", "abc", "q"]  # an unused word still tokenizes, in smaller pieces


def test_bpe_with_dropout_is_refused_by_name_and_the_job_copies_the_model(tmp_path, capsys):
    with pytest.raises(LiraUntrimmableTokenizer, match=r"BPE with dropout=0\.1.*untrimmed"):
        keep_ids(_bpe_json(dropout=0.1), {0}, reserve=0)
    model, processor = build_case("qwen3-last-token-left")
    full = tmp_path / "full"
    model.save_pretrained(full)
    processor.save_pretrained(full)
    tok_json = json.load(open(full / "tokenizer.json"))
    tok_json["model"]["dropout"] = 0.1  # a sampling tokenizer: no fixed segmentation to keep
    (full / "tokenizer.json").write_text(json.dumps(tok_json))
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(ValueError, match=r"\(encoder\): the tokenizer model BPE with dropout=0\.1 cannot be trimmed "
                                         r"exactly.*the run goes on untrimmed"):
        trim_lira(str(full), str(data), str(tmp_path / "never"))
    assert not (tmp_path / "never").exists()
    report = trim_or_copy(str(full), str(data), str(tmp_path / "copy"))
    assert "vocabulary not trimmed" in capsys.readouterr().out
    for stream in ("encoder", "english_encoder"):
        assert report[stream]["trimmed"] is False and report[stream]["kept"] == report[stream]["vocab_size"]
        assert report[stream]["old2new"][7] == 7
    for name in ("model.safetensors", "tokenizer.json", "config.json", os.path.join("english_tokenizer",
                                                                                     "tokenizer.json")):
        assert (tmp_path / "copy" / name).read_bytes() == (full / name).read_bytes(), name


def test_measured_strings_carry_the_processors_prefixes(tmp_path):
    model, processor = build_case("qwen3-last-token-left")
    processor.english_prefix = "en: "
    processor.save_pretrained(tmp_path)
    prefixes = stream_prefixes(str(tmp_path))
    assert prefixes == {"encoder": (processor.query_prefix, ""), "english_encoder": ("en: ",)}
    assert stream_texts("encoder", ["book"], prefixes["encoder"]) == [processor.query_prefix + "book", "book"]
    assert stream_texts("english_encoder", ["book"], prefixes["english_encoder"]) == ["en: book", "book"]
    assert stream_texts("encoder", ["book"]) == ["query: book", "passage: book", "book"]  # e5's, as before
    assert stream_prefixes(str(tmp_path / "missing")) == {"encoder": ("query: ", "passage: "),
                                                         "english_encoder": ("",)}
