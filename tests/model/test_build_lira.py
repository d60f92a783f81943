"""`push_scripts.build_lira`: an untrained LiRA from two local backbone folders (a Qwen3 decoder and a
sentence-transformers MPNet folder here, built in code), and `build_lira_small` as a thin call of it that writes
exactly what its old construction wrote."""

import json
import os

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModel

from lira_utils.atomic import atomic_folder
from modeling_lira import LiraConfig, LiraModel, LiraProcessor
from push_scripts.build_lira import build_lira, drop_json_keys, main
from tests.model.backbones import byte_bpe_tokenizer, encoder_config, wordpiece_tokenizer


def _backbone(kind, tokenizer, hidden=32, seed=0, **kwargs):
    torch.manual_seed(seed)
    return AutoModel.from_config(AutoConfig.for_model(**encoder_config(kind, tokenizer, hidden)), **kwargs).eval()


def _save(model, tokenizer, folder):
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def _old_build_lira_small(out_dir, me5_pair, minilm_pair):
    """`build_lira_small` as it was before `build_lira` (commit ae149b9), for the comparison."""
    (me5, me5_tokenizer), (minilm, minilm_tokenizer) = me5_pair, minilm_pair
    config = LiraConfig(encoder_config=me5.config.to_dict(), english_encoder_config=minilm.config.to_dict(),
                        adaptor_dim=me5.config.hidden_size)
    model = LiraModel(config)
    model.encoder.load_state_dict(me5.state_dict())
    model.english_encoder.load_state_dict(minilm.state_dict())
    processor = LiraProcessor(tokenizer=me5_tokenizer, english_tokenizer=minilm_tokenizer, lang2id=config.lang2id,
                              num_candidates=config.num_candidates)
    with atomic_folder(out_dir, what="--out") as tmp:
        model.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        for sub in ("", "english_tokenizer"):
            drop_json_keys(os.path.join(tmp, sub, "tokenizer_config.json"), ("is_local", "local_files_only"))


def _files(folder):
    return sorted(os.path.relpath(os.path.join(root, n), folder) for root, _, names in os.walk(folder) for n in names)


def test_build_lira_small_writes_what_its_old_construction_wrote(tmp_path, monkeypatch):
    from push_scripts import build_lira_small as small

    g_tok, h_tok = wordpiece_tokenizer(), wordpiece_tokenizer(vocab_size=200)
    me5 = (_backbone("bert", g_tok, add_pooling_layer=False), g_tok)
    minilm = (_backbone("bert", h_tok, hidden=24, seed=1, add_pooling_layer=False), h_tok)
    monkeypatch.setattr(small, "load_me5_small", lambda: me5)
    monkeypatch.setattr(small, "load_minilm", lambda: minilm)
    torch.manual_seed(7)
    _old_build_lira_small(str(tmp_path / "old"), me5, minilm)
    torch.manual_seed(7)
    small.build_lira_small(str(tmp_path / "new"))
    old, new = tmp_path / "old", tmp_path / "new"
    assert _files(old) == _files(new)
    for name in _files(old):
        if name.endswith(".json"):
            assert json.load(open(old / name)) == json.load(open(new / name)), name
        elif name.endswith(".safetensors"):
            a, b = load_file(old / name), load_file(new / name)
            assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
        else:
            assert (old / name).read_bytes() == (new / name).read_bytes(), name
    config = json.load(open(new / "config.json"))
    assert (config["encoder_pooling"], config["encoder_padding_side"], config["english_prefix"]) == ("mean", "right",
                                                                                                    "")
    assert small.build_lira_small(str(new)) == str(new)  # already built: kept as it is


def test_build_lira_from_two_local_folders(tmp_path, capsys):
    g_tok = byte_bpe_tokenizer()
    g = _backbone("qwen3", g_tok)
    g_dir = _save(g, g_tok, tmp_path / "qwen3")
    h_tok = wordpiece_tokenizer(mpnet=True)
    h = _backbone("mpnet", h_tok, hidden=48)  # with its pooler, which LiRA leaves out; wider than g
    st_dir = tmp_path / "st-mpnet"  # a sentence-transformers folder: the transformers files in 0_Transformer
    _save(h, h_tok, st_dir / "0_Transformer")
    (st_dir / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    out = tmp_path / "lira"
    prefix = "Instruct: find the product\nQuery: "
    flags = ["--encoder", g_dir, "--english-encoder", str(st_dir), "--out", str(out), "--encoder-pooling",
             "last_token", "--query-prefix", prefix, "--document-prefix", "", "--config-overrides",
             "num_bins=4,lasr_num_heads=3"]
    main(flags)
    assert capsys.readouterr().out.strip() == str(out)
    model, proc = LiraModel.from_pretrained(out).eval(), LiraProcessor.from_pretrained(out)
    c = model.config
    assert (c.encoder_pooling, c.english_pooling, c.encoder_padding_side, c.english_padding_side) == (
        "last_token", "mean", "left", "right")  # the padding sides: each tokenizer's own
    assert (c.query_prefix, c.document_prefix, c.english_prefix, c.num_bins) == (prefix, "", "", 4)
    assert c.adaptor_dim == 30 and c.english_encoder_config.hidden_size == 48
    assert (proc.query_prefix, proc.document_prefix, proc.tokenizer.padding_side) == (prefix, "", "left")
    for target, source in ((model.encoder, g), (model.english_encoder, h)):
        weights = source.state_dict()
        assert all(torch.equal(v, weights[k]) for k, v in target.state_dict().items())
    assert any(k.startswith("pooler.") for k in h.state_dict()) and model.english_encoder.pooler is None
    for name in ("modeling_lira.py", "configuration_lira.py", "processing_lira.py", ".lira-output.json",
                 os.path.join("english_tokenizer", "tokenizer.json")):
        assert (out / name).exists(), name
    assert "is_local" not in json.load(open(out / "tokenizer_config.json"))
    with torch.no_grad():  # untrained: the LRL-only vector is g's last real token, through the identity adaptor
        batch = proc(["tai nghe không dây"])
        states = g(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        anchored = model(**batch).anchored_embeddings
        full = model(**proc(["หูฟัง"], candidates=[["wireless headphones"]])).embeddings
    assert torch.allclose(anchored, F.normalize(states[:, -1], dim=-1), atol=1e-5)
    assert torch.isfinite(full).all() and full[0, c.adaptor_dim:].norm() > 0
    with pytest.raises(ValueError, match="already holds a LiRA output.*--overwrite"):  # a second build needs it
        main(flags)
    main(flags + ["--overwrite", "--english-pooling", "cls"])
    assert LiraConfig.from_pretrained(out).english_pooling == "cls"


@pytest.mark.parametrize("encoder, match", [("no-such-org/no-such-model", "--encoder 'no-such-org/no-such-model' "
                                                                          "does not load"),
                                            (3, "--encoder=3 must be a local folder")])
def test_build_lira_names_a_bad_side_and_a_foreign_folder(tmp_path, encoder, match):
    h_tok = wordpiece_tokenizer()
    h = _save(_backbone("bert", h_tok), h_tok, tmp_path / "bert")
    with pytest.raises(ValueError, match=match):
        build_lira(encoder, h, str(tmp_path / "out"))
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(ValueError, match="did not write"):
        build_lira(h, h, str(foreign))
    with pytest.raises(ValueError, match=r"LiraConfig\.encoder_pooling='max'"):
        build_lira(h, h, str(tmp_path / "out"), encoder_pooling="max")
    assert not (tmp_path / "out").exists() and (foreign / "notes.txt").read_text() == "keep"
