"""push_scripts/export_onnx.py and evaluation/onnx_system.py on a tiny LiRA model built in code: the ONNX fp32 file
served by onnxruntime gives the sentence-transformers export's vectors, the int8 file is really quantized and stays
close, bad folders are refused by name, the `onnx/` folder is written atomically, and the publishing path stages
the files beside the weights without LiRA's marker."""

import collections
import copy
import json
import os
import shutil

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from evaluation.onnx_system import FP32_FILE, INT8_FILE, OnnxQueryEncoder, export_digest, read_st_folder  # noqa: E402
from evaluation.systems import build_system  # noqa: E402
from lira_utils.atomic import MARKER  # noqa: E402
from modeling_lira import LiraConfig, LiraModel, LiraProcessor  # noqa: E402
from push_scripts import export_onnx as export_onnx_module  # noqa: E402
from push_scripts.export_onnx import export_onnx, fp32_matmuls, main, quantize_int8  # noqa: E402
from push_scripts.export_sentence_transformers import export_sentence_transformers  # noqa: E402
from tests.fixtures_model import WORDS, make_word_tokenizer, tiny_config_kwargs  # noqa: E402

QUERIES = ["tai nghe không dây", "หูฟัง", "sepatu lari running shoes red apple kettle", "বই", "zzz unknown",
           " ".join(WORDS * 3)]  # the last one is longer than max_length (16): truncated
DOCUMENTS = ["wireless headphones", "running shoes", "red apple", "book camera umbrella tea bicycle"]


def _tiny_st(root, pooling="mean", padding_side="right"):
    """A tiny BERT LiRA model with a random (trained-looking) adaptor, exported with sentence-transformers."""
    config = LiraConfig(**tiny_config_kwargs(encoder_pooling=pooling, encoder_padding_side=padding_side))
    torch.manual_seed(0)
    processor = LiraProcessor.from_config(config, make_word_tokenizer(WORDS), make_word_tokenizer(WORDS),
                                          max_length=16, candidate_max_length=8)
    model = LiraModel(config).eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in model.adaptor.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    model.save_pretrained(root / "model")
    processor.save_pretrained(root / "model")
    return export_sentence_transformers(str(root / "model"), str(root / "st"), model=model, processor=processor)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    st_dir = _tiny_st(tmp_path_factory.mktemp("onnx-export"))
    result = export_onnx(st_dir, log=lambda *_: None)
    return st_dir, result


@pytest.fixture(scope="module")
def st_model(exported):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(exported[0], device="cpu")


def _tree(folder):
    return sorted(os.path.relpath(os.path.join(r, n), folder) for r, _, names in os.walk(folder) for n in names)


@pytest.mark.slow
def test_fp32_onnx_gives_the_sentence_transformers_vectors(exported, st_model):
    st_dir, result = exported
    assert result["files"] == [FP32_FILE, INT8_FILE]
    assert result["checks"][FP32_FILE]["max_abs_diff"] < 1e-5
    encoder = OnnxQueryEncoder(st_dir, FP32_FILE, batch_size=4, progress=False)  # batches of several lengths
    queries, documents = encoder.encode_query(QUERIES), encoder.encode_document(DOCUMENTS)  # (B, d)
    assert queries.shape == (len(QUERIES), 32) and queries.dtype == np.float32
    assert np.abs(queries - st_model.encode_query(QUERIES)).max() < 1e-5
    assert np.abs(documents - st_model.encode_document(DOCUMENTS)).max() < 1e-5
    assert np.abs(encoder.encode(QUERIES) - st_model.encode(QUERIES)).max() < 1e-5  # the default prompt
    # the prompts matter (documents are not embedded as queries), and so does the Dense layer
    assert np.abs(encoder.encode_query(DOCUMENTS) - documents).max() > 1e-3
    assert encoder.encode_query([]).shape == (0, 32)


@pytest.mark.slow
def test_onnx_file_layout_is_the_one_sentence_transformers_reads(exported):
    st_dir, _ = exported
    assert _tree(os.path.join(st_dir, "onnx")) == sorted([MARKER, "model.onnx", "model_qint8_avx512_vnni.onnx"])
    graph = onnx.load(os.path.join(st_dir, FP32_FILE)).graph
    assert [i.name for i in graph.input] == ["input_ids", "attention_mask", "token_type_ids"]
    assert [o.name for o in graph.output] == ["last_hidden_state"]
    dims = [d.dim_param or d.dim_value for d in graph.output[0].type.tensor_type.shape.dim]
    assert dims == ["batch_size", "sequence_length", 32]


def _op_counts(path):
    return collections.Counter(n.op_type for n in onnx.load(path).graph.node)


@pytest.mark.slow
def test_int8_is_quantized_and_close(exported, st_model, tmp_path):
    st_dir, result = exported
    fp32 = os.path.join(st_dir, FP32_FILE)
    kept = fp32_matmuls(fp32)  # 2 layers: scores + context (activation x activation) and the down-projection
    assert len(kept) == 6 and sum("intermediate" in n for n in kept) == 0
    assert sum(n.endswith("/output/dense/MatMul") and "attention" not in n for n in kept) == 2
    assert _op_counts(fp32)["MatMul"] == 16
    ops = _op_counts(os.path.join(st_dir, INT8_FILE))
    assert ops["MatMul"] == 6 and ops["MatMulInteger"] == 10 and ops["DynamicQuantizeLinear"] > 0
    assert result["checks"][INT8_FILE]["fp32_matmuls"] == 6
    stock = str(tmp_path / "stock.onnx")
    assert quantize_int8(fp32, stock, stock=True) == []  # sentence-transformers' own file: every MatMul
    assert _op_counts(stock)["MatMul"] == 0 and _op_counts(stock)["MatMulInteger"] == 16
    int8 = OnnxQueryEncoder(st_dir, INT8_FILE, progress=False)
    reference = st_model.encode_query(QUERIES)  # (B, d), unit rows
    vectors = int8.encode_query(QUERIES)  # (B, d), unit rows
    cosine = (reference * vectors).sum(1)  # (B,)
    assert cosine.min() >= 0.99 and np.abs(vectors - reference).max() > 1e-6  # close, but not the fp32 file
    assert result["checks"][INT8_FILE]["min_cosine"] >= 0.99


@pytest.mark.slow
def test_evaluation_systems_serve_the_export(exported):
    st_dir, _ = exported
    products = [{"title_en": t, "keywords_en": []} for t in DOCUMENTS]
    systems = {n: build_system(n, st_export=st_dir, batch_size=4, progress=False)
               for n in ("st_export", "st_onnx", "st_onnx_int8")}
    reference = systems["st_export"].encode_queries(QUERIES)
    assert np.abs(systems["st_onnx"].encode_queries(QUERIES) - reference).max() < 1e-5
    assert np.abs(systems["st_onnx"].encode_documents(products)
                  - systems["st_export"].encode_documents(products)).max() < 1e-5
    keys = {n: (s.query_key(), s.document_key()) for n, s in systems.items()}
    assert len({k for pair in keys.values() for k in pair}) == 6  # each format caches apart, per side
    assert export_digest(st_dir, FP32_FILE) != export_digest(st_dir, INT8_FILE) != export_digest(st_dir)


def test_systems_need_the_export_folder():
    with pytest.raises(ValueError, match="--st-export"):
        build_system("st_onnx")


def test_cli_refuses_contradicting_int8_flags(tmp_path):
    with pytest.raises(ValueError, match="--stock-int8.*--no-int8"):
        main(["--st-dir", str(tmp_path), "--no-int8", "--stock-int8"])


def test_cli_refuses_a_folder_that_is_not_a_sentence_transformers_export(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match=r"no modules\.json.*export_sentence_transformers"):
        main(["--st-dir", str(tmp_path)])
    with pytest.raises(ValueError, match="is not a folder"):
        main(["--st-dir", str(tmp_path / "missing")])
    assert _tree(tmp_path) == ["model.safetensors"]  # nothing written


def test_other_module_layouts_are_refused(tmp_path):
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Custom", "type": "my_package.MyPooling"}]))
    with pytest.raises(ValueError, match=r"\['Transformer', 'MyPooling'\]"):
        read_st_folder(str(tmp_path))


@pytest.mark.slow
def test_a_failed_export_leaves_no_onnx_folder(tmp_path, monkeypatch):
    st_dir = _tiny_st(tmp_path)
    before = _tree(st_dir)

    def broken(src, dst, per_channel=True, stock=False):
        open(dst, "wb").close()  # half a file, then the failure
        raise OSError("disk full")

    monkeypatch.setattr(export_onnx_module, "quantize_int8", broken)
    with pytest.raises(OSError, match="disk full"):
        export_onnx(st_dir, log=lambda *_: None)
    assert _tree(st_dir) == before and not os.path.exists(os.path.join(st_dir, "onnx"))
    assert not [n for n in os.listdir(st_dir) if n.startswith(".tmp")]


@pytest.mark.slow
def test_a_wrong_fp32_export_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    st_dir = _tiny_st(tmp_path)
    real = export_onnx_module.export_transformer

    def scrambled(model, tokenizer, path, opset=18):
        other = copy.deepcopy(model)  # an export that does not match the folder's weights
        with torch.no_grad():
            other.embeddings.word_embeddings.weight.mul_(2.0)
        return real(other, tokenizer, path, opset)

    monkeypatch.setattr(export_onnx_module, "export_transformer", scrambled)
    with pytest.raises(RuntimeError, match="does not reproduce"):
        export_onnx(st_dir, int8=False, log=lambda *_: None)
    assert not os.path.exists(os.path.join(st_dir, "onnx"))


@pytest.mark.slow
def test_onnx_folder_is_replaced_only_when_lira_wrote_it(tmp_path):
    st_dir = _tiny_st(tmp_path)
    user = os.path.join(st_dir, "onnx")
    os.makedirs(user)
    with open(os.path.join(user, "model.onnx"), "wb") as f:
        f.write(b"the user's own export")
    with pytest.raises(ValueError, match="LiRA did not write"):
        export_onnx(st_dir, log=lambda *_: None)
    assert _tree(user) == ["model.onnx"]  # untouched
    shutil.rmtree(user)
    export_onnx(st_dir, int8=False, log=lambda *_: None)
    assert _tree(user) == sorted([MARKER, "model.onnx"])
    export_onnx(st_dir, log=lambda *_: None)  # a LiRA-written onnx/ is replaced, whole
    assert _tree(user) == sorted([MARKER, "model.onnx", "model_qint8_avx512_vnni.onnx"])


@pytest.mark.slow
@pytest.mark.parametrize("pooling, padding_side", [("cls", "right"), ("last_token", "left")])
def test_other_poolings(tmp_path, pooling, padding_side):
    from sentence_transformers import SentenceTransformer

    st_dir = _tiny_st(tmp_path, pooling, padding_side)
    export_onnx(st_dir, int8=False, log=lambda *_: None)
    encoder = OnnxQueryEncoder(st_dir, progress=False)  # one batch: left padding shifts BERT's positions, so
    reference = SentenceTransformer(st_dir, device="cpu").encode_query(QUERIES, batch_size=64)  # same batches
    assert np.abs(encoder.encode_query(QUERIES) - reference).max() < 1e-5


@pytest.mark.slow
def test_push_model_publishes_the_onnx_files_beside_the_weights(exported, tmp_path):
    from push_scripts.push_model import push_model

    model_dir = os.path.join(os.path.dirname(exported[0]), "model")
    staging = tmp_path / "hub"
    push_model(model_dir, "org/lira", dry_run=True, staging_dir=str(staging), verify=False, onnx=True,
               log=lambda *_: None)
    staged = staging / "lira-st"
    assert {FP32_FILE, INT8_FILE} <= set(_tree(staged))
    assert f"onnx/{MARKER}" not in _tree(staged)
    card = (staged / "README.md").read_text(encoding="utf-8")
    assert 'backend="onnx"' in card and '"file_name": "onnx/model_qint8_avx512_vnni.onnx"' in card
    with pytest.raises(ValueError, match="--no-st"):
        push_model(model_dir, "org/lira", dry_run=True, with_st=False, onnx=True, verify=False)


@pytest.mark.parametrize("side", ["right", "left"])
def test_batches_are_padded_as_the_tokenizer_pads_them(side):
    """The encoder tokenizes every text once, unpadded (its token count orders the batches), and pads each batch
    itself: the ids and masks the tokenizer's own padding gives, on either side."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({"[PAD]": 0, "a": 1, "b": 2, "[UNK]": 3}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.enable_padding(direction=side, pad_id=0, pad_type_id=0, pad_token="[PAD]")
    texts = ["a", "a b a x", "b b"]
    reference = tokenizer.encode_batch(texts)
    encoder = object.__new__(OnnxQueryEncoder)
    encoder._padding = tokenizer.padding
    tokenizer.no_padding()
    feed = encoder._padded(tokenizer.encode_batch(texts))
    assert feed["input_ids"].tolist() == [e.ids for e in reference]
    assert feed["attention_mask"].tolist() == [e.attention_mask for e in reference]
    assert feed["token_type_ids"].tolist() == [e.type_ids for e in reference]
    assert {v.dtype for v in feed.values()} == {np.dtype(np.int64)}
