"""The tiny-backbone matrix: LiRA over a Qwen3 decoder as g (last-token pooling, left padding, an instruction prefix),
an XLM-R g (CLS pooling) and an MPNet English encoder h (mean pooling), each with a tokenizer trained in code
(byte-level BPE, Unigram, WordPiece). For each: forward in both modes, two training steps of each stage through
`LiraTrainer`, save -> remote-code reload with identical outputs, and the GPU path's vocabulary trim with identical
outputs on the dataset's texts."""

import json

import pytest
import torch
from tests.fixtures_training import tiny_rows
from tests.model.backbones import MATRIX, QWEN_QUERY_PREFIX, TEXTS, build_case
from tests.training.test_training import _trainer
from training.gpu.vocab_trim import trim_lira, verify_trim

CASES = sorted(MATRIX)
QUERIES = ["tai nghe không dây", "หูฟัง", "বই পড়া", "sepatu lari", "red apple"]
CANDIDATES = [["wireless headphones", "red apple"], ["headphones"], [], ["running shoes"], None]


def _inputs(processor, **kwargs):
    return processor(QUERIES, languages=["vi", "th", None, "id", "en"], **kwargs)


def _both_modes(model, processor):
    """`(LRL-only output, output with candidates)` of the eval-mode model on the same queries."""
    model.eval()
    with torch.no_grad():
        return model(**_inputs(processor)), model(**_inputs(processor, candidates=CANDIDATES))


@pytest.mark.parametrize("name", CASES)
def test_forward_in_both_modes_pools_as_configured(name):
    model, processor = build_case(name)
    lrl, full = _both_modes(model, processor)
    d = model.config.adaptor_dim
    for out in (lrl, full):
        assert out.embeddings.shape == (len(QUERIES), 2 * d) and torch.isfinite(out.embeddings).all()
        assert torch.allclose(out.embeddings.norm(dim=-1), torch.ones(len(QUERIES)), atol=1e-5)
    assert torch.equal(lrl.embeddings[:, d:], torch.zeros(len(QUERIES), d))  # no English half without candidates
    assert full.selected_candidate.tolist() == [0, 0, -1, 0, -1]
    has = full.selected_candidate >= 0
    assert (full.embeddings[has, d:].norm(dim=-1) > 0).all()
    assert torch.equal(full.embeddings[~has], lrl.embeddings[~has])  # rows without candidates: the LRL-only view
    # the untrained g side is the identity: the anchored vector is g's pooled state, pooled as the config says
    batch = _inputs(processor)
    with torch.no_grad():
        states = model.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    mask = batch["attention_mask"]
    pooling = model.config.encoder_pooling
    if pooling == "last_token":
        assert processor.tokenizer.padding_side == "left" and bool(mask[:, -1].all())
        pooled = states[:, -1]  # left padding: every row's last real token is the last position
    elif pooling == "cls":
        assert processor.tokenizer.padding_side == "right"
        pooled = states[:, 0]
    else:
        pooled = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    assert torch.allclose(lrl.anchored_embeddings, torch.nn.functional.normalize(pooled, dim=-1), atol=1e-5)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("stage", ["arca", "lasr"])
def test_two_training_steps_of_each_stage(tmp_path, name, stage):
    import math

    model, processor = build_case(name)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rows, corpus = tiny_rows()
    trainer = _trainer(tmp_path, model, processor, rows, corpus, stage)
    trainer.train()
    logs = [h for h in trainer.state.log_history if "loss" in h]
    assert len(logs) == 2 and all(math.isfinite(h["loss"]) for h in logs)
    changed = {k.split(".")[0] for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert "encoder" in changed and ("arca" in changed if stage == "arca" else "lasr" in changed), changed


def _remote_classes(folder):
    """LiraModel and LiraProcessor from the folder's own remote code (the classes `trust_remote_code=True` loads;
    in this process the installed package is registered with the Auto classes, so they would pick it instead)."""
    from transformers.dynamic_module_utils import get_class_from_dynamic_module

    return (get_class_from_dynamic_module("modeling_lira.LiraModel", str(folder)),
            get_class_from_dynamic_module("processing_lira.LiraProcessor", str(folder)))


@pytest.mark.parametrize("name", CASES)
def test_save_and_remote_code_reload_give_identical_outputs(tmp_path, name):
    model, processor = build_case(name)
    folder = tmp_path / name
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    saved = json.load(open(folder / "config.json"))
    assert saved["encoder_pooling"] == model.config.encoder_pooling
    assert saved["encoder_config"]["model_type"] == MATRIX[name][0]
    model_class, processor_class = _remote_classes(folder)
    remote = model_class.from_pretrained(folder).eval()
    remote_proc = processor_class.from_pretrained(folder)
    assert type(remote).__module__.startswith("transformers_modules"), type(remote).__module__
    assert type(remote_proc).__module__.startswith("transformers_modules")
    for attr in ("query_prefix", "document_prefix", "english_prefix", "encoder_padding_side", "english_padding_side"):
        assert getattr(remote_proc, attr) == getattr(processor, attr) == getattr(model.config, attr), attr
    assert remote_proc.tokenizer.padding_side == model.config.encoder_padding_side
    for kwargs in ({}, {"candidates": CANDIDATES}, {"text_type": "document"}):
        a, b = _inputs(processor, **kwargs), _inputs(remote_proc, **kwargs)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    local_out = _both_modes(model, processor)
    remote_out = _both_modes(remote, remote_proc)
    for x, y in zip(local_out, remote_out):
        assert torch.equal(x.embeddings, y.embeddings) and torch.equal(x.anchored_embeddings, y.anchored_embeddings)


def test_auto_classes_load_the_decoder_case_as_remote_code_in_a_fresh_process(tmp_path):
    """`AutoModel` / `AutoProcessor.from_pretrained(folder, trust_remote_code=True)` where LiRA is not installed:
    the Qwen3 case (left padding, last-token pooling, instruction prefix) gives the local outputs exactly."""
    from tests.model.test_model_processor_remote import run_remote_roundtrip

    model, processor = build_case("qwen3-last-token-left")
    folder = tmp_path / "qwen3-lira"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    remote = run_remote_roundtrip(folder, QUERIES, tmp_path)
    model.eval()
    with torch.no_grad():
        local = model(**processor(QUERIES, candidates=[["red apple"]] * len(QUERIES)))
    assert remote["processor"] == "LiraProcessor"
    assert torch.equal(torch.tensor(remote["embeddings"]), local.embeddings)
    assert torch.equal(torch.tensor(remote["anchored"]), local.anchored_embeddings)


def _tiny_dataset(folder):
    """A `lira-products`-like folder: the tiny training rows as Parquet (a subset of the tokenizers' texts)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, corpus = tiny_rows()
    (folder / "vi").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "vi" / "train.parquet")
    pq.write_table(pa.Table.from_pylist(corpus), folder / "corpus.parquet")
    return str(folder)


@pytest.mark.parametrize("name", CASES)
def test_vocabulary_trim_keeps_outputs_on_the_dataset(tmp_path, name):
    from safetensors.torch import load_file

    model, processor = build_case(name)
    full = tmp_path / "full"
    model.save_pretrained(full)
    processor.save_pretrained(full)
    dataset = _tiny_dataset(tmp_path / "data")
    report = trim_lira(str(full), dataset, str(tmp_path / "trim"), reserve=5)
    for stream in ("encoder", "english_encoder"):
        assert report[stream]["kept"] < report[stream]["vocab_size"], stream
    check = verify_trim(str(full), str(tmp_path / "trim"), dataset, report)
    assert check["encoder"]["mismatched_texts"] == check["english_encoder"]["mismatched_texts"] == 0
    assert check["max_abs_diff"] == 0.0
    # the rows kept are the old rows, in their old order, whatever the architecture calls its embedding table
    trimmed = load_file(tmp_path / "trim" / "model.safetensors")
    old2new = report["encoder"]["old2new"]
    rows = torch.tensor(sorted(old2new, key=old2new.get))
    key = "encoder.embed_tokens.weight" if MATRIX[name][0] == "qwen3" else "encoder.embeddings.word_embeddings.weight"
    assert torch.equal(trimmed[key], model.state_dict()[key][rows])
    if MATRIX[name][0] == "qwen3":  # byte-level BPE: every byte symbol stays, the merges are cut
        tok = json.load(open(tmp_path / "trim" / "tokenizer.json"))
        full_tok = json.load(open(full / "tokenizer.json"))
        assert 0 < len(tok["model"]["merges"]) < len(full_tok["model"]["merges"])
        from tokenizers import pre_tokenizers

        assert set(pre_tokenizers.ByteLevel.alphabet()) <= set(tok["model"]["vocab"])
        from modeling_lira import LiraProcessor

        unseen = "ফোন ক্যামেরা kettle"  # not in the dataset: still tokenizes (into smaller pieces), never fails
        ids = LiraProcessor.from_pretrained(tmp_path / "trim")([unseen])["input_ids"]
        assert ids.shape[1] >= processor([unseen])["input_ids"].shape[1]


def test_matrix_covers_the_three_families():
    kinds = {(g, h) for g, _, h, _, _ in MATRIX.values()}
    assert {g for g, _ in kinds} >= {"qwen3", "xlm-roberta"} and "mpnet" in {h for _, h in kinds}
    assert MATRIX["qwen3-last-token-left"][4]["query_prefix"] == QWEN_QUERY_PREFIX and len(TEXTS) > 40
