"""`LiraConfig.lrl_only`: a LiRA model loaded for LRL-only encoding, without h and the candidate-mode modules, gives
the full model's LRL-only outputs, skips the checkpoint's h weights without an "unexpected keys" report, and refuses
candidates with a message naming the option."""

import json
import logging

import pytest
import torch

from modeling_lira import LiraConfig, LiraModel
from tests.fixtures_model import tiny_config_kwargs

OUTPUTS = ("embeddings", "anchored_embeddings", "lrl_embeddings", "language_logits")


def _saved_full_model(folder, **overrides):
    """A tiny full model with every weight moved off its init (a zero-initialised LaSR output or an identity adaptor
    would hide a module that the LRL-only path reads), saved to `folder`."""
    torch.manual_seed(0)
    model = LiraModel(LiraConfig(**tiny_config_kwargs(**overrides))).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    model.save_pretrained(folder)
    return model


def _lrl_batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 64, (4, 9), generator=g)
    mask = torch.ones_like(ids)
    mask[0, 6:] = 0
    mask[2, 3:] = 0
    return {"input_ids": ids, "attention_mask": mask, "lang_ids": torch.tensor([0, -1, 6, 7])}


def _outputs(model, batch):
    with torch.inference_mode():
        out = model(**batch)
    return {name: getattr(out, name) for name in OUTPUTS}


def _transformers_records(caplog):
    return [r for r in caplog.records if r.name.startswith("transformers") and r.levelno >= logging.WARNING]


@pytest.mark.parametrize("lrl_residual", [False, True])
def test_lrl_only_outputs_equal_the_full_models_lrl_only_outputs(tmp_path, lrl_residual):
    full = _saved_full_model(tmp_path, lrl_residual=lrl_residual)
    lrl = LiraModel.from_pretrained(tmp_path, lrl_only=True).eval()
    for seed in range(3):
        batch = _lrl_batch(seed)
        for lang_ids in (batch["lang_ids"], None):  # known languages and the soft (language-id) embedding
            inputs = {**batch, "lang_ids": lang_ids}
            expected, got = _outputs(full, inputs), _outputs(lrl, inputs)
            for name in OUTPUTS:
                assert torch.equal(got[name], expected[name]), name
    # LaSR's residual moves the LRL-only vector only with lrl_residual (so the comparison above reads LaSR there)
    d = full.config.adaptor_dim
    anchored_half = torch.equal(expected["embeddings"][:, :d], expected["anchored_embeddings"])
    assert anchored_half != lrl_residual


@pytest.mark.parametrize("lrl_residual", [False, True])
def test_lrl_only_builds_and_loads_only_what_lrl_only_encoding_reads(tmp_path, caplog, lrl_residual):
    full = _saved_full_model(tmp_path, lrl_residual=lrl_residual)
    with caplog.at_level(logging.WARNING):
        lrl, info = LiraModel.from_pretrained(tmp_path, lrl_only=True, output_loading_info=True)
    assert lrl.config.lrl_only is True
    assert lrl.english_encoder is None and lrl.arca is None and lrl.adaptor.english_in is None
    assert (lrl.lasr is not None) == lrl_residual  # LaSR stays where the LRL-only vector reads it
    # the skipped weights are neither missing nor reported as unexpected, and nothing is logged as a problem
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert not _transformers_records(caplog), [r.getMessage() for r in _transformers_records(caplog)]
    kept = dict(lrl.named_parameters())
    skipped = {n for n in dict(full.named_parameters()) if n not in kept}
    assert skipped and all(n.startswith(("english_encoder.", "arca.", "adaptor.english_in", "lasr.")) for n in skipped)
    assert any(n.startswith("english_encoder.") for n in skipped)
    full_params = dict(full.named_parameters())
    assert all(torch.equal(p, full_params[n]) for n, p in kept.items())  # every kept weight came from the file


def test_lrl_only_saves_and_reloads_as_lrl_only(tmp_path):
    full = _saved_full_model(tmp_path / "full")
    LiraModel.from_pretrained(tmp_path / "full", lrl_only=True).save_pretrained(tmp_path / "lrl")
    assert json.load(open(tmp_path / "lrl" / "config.json"))["lrl_only"] is True
    again, info = LiraModel.from_pretrained(tmp_path / "lrl", output_loading_info=True)
    assert again.config.lrl_only and again.english_encoder is None and not info["missing_keys"]
    batch = _lrl_batch()
    assert all(torch.equal(a, b) for a, b in zip(_outputs(again.eval(), batch).values(),
                                                 _outputs(full, batch).values()))


def test_lrl_only_refuses_candidates_with_the_option_and_the_fix(tmp_path, tiny_processor):
    _saved_full_model(tmp_path)
    lrl = LiraModel.from_pretrained(tmp_path, lrl_only=True).eval()
    inputs = tiny_processor(["wireless headphones", "sepatu lari"], candidates=[["red apple"], ["running shoes"]])
    with pytest.raises(ValueError, match=r"lrl_only=True.*candidate_input_ids.*from_pretrained\(path\)"):
        lrl(**inputs)
    plain = tiny_processor(["wireless headphones", "sepatu lari"])  # the same texts without candidates work
    assert lrl(**plain).embeddings.shape == (2, 2 * lrl.config.adaptor_dim)
    with pytest.raises(ValueError, match="lrl_only"):
        lrl.adaptor(torch.zeros(1, 24), "english")


@pytest.mark.parametrize("bad", ["yes", 2, None])
def test_lrl_only_must_be_a_bool(tmp_path, bad):
    with pytest.raises(ValueError, match="LiraConfig.lrl_only"):
        LiraConfig(**tiny_config_kwargs(lrl_only=bad))
    _saved_full_model(tmp_path)
    with pytest.raises(ValueError, match="LiraConfig.lrl_only"):  # from_pretrained sets it after the config's checks
        LiraModel.from_pretrained(tmp_path, lrl_only=bad)


def test_default_config_builds_the_full_model(tiny_model):
    assert tiny_model.config.lrl_only is False
    assert tiny_model.english_encoder is not None and tiny_model.arca is not None and tiny_model.lasr is not None
    assert tiny_model.adaptor.english_in is not None


REMOTE_LRL_ONLY = r"""
import json, sys, torch
from transformers import AutoModel, AutoProcessor
assert not any(name.startswith("modeling_lira") for name in sys.modules)
folder, texts = sys.argv[1], json.loads(sys.argv[2])
model = AutoModel.from_pretrained(folder, trust_remote_code=True, lrl_only=True).eval()
proc = AutoProcessor.from_pretrained(folder, trust_remote_code=True)
assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
assert model.config.lrl_only and model.english_encoder is None
with torch.no_grad():
    out = model(**proc(texts))
print(json.dumps({"embeddings": out.embeddings.tolist()}))
"""


@pytest.mark.slow
def test_remote_code_loads_lrl_only_through_automodel(tmp_path, tiny_processor):
    """`AutoModel.from_pretrained(folder, trust_remote_code=True, lrl_only=True)` in a fresh process without this
    repo: the saved code builds the LRL-only model and gives the local whole model's vectors."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "tiny-lira"
    full = _saved_full_model(folder)
    tiny_processor.save_pretrained(folder)
    texts = ["wireless headphones", "sepatu lari"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf_home"))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "probe.py").write_text(REMOTE_LRL_ONLY)
    res = subprocess.run([sys.executable, "-I", str(empty / "probe.py"), str(folder), json.dumps(texts)], cwd=empty,
                         env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    remote = torch.tensor(json.loads(res.stdout.strip().splitlines()[-1])["embeddings"])
    with torch.no_grad():
        local = full(**tiny_processor(texts)).embeddings
    assert torch.equal(remote, local)


def test_lrl_residual_switched_on_after_building_without_lasr_is_a_clear_error(tmp_path):
    _saved_full_model(tmp_path)
    lrl = LiraModel.from_pretrained(tmp_path, lrl_only=True).eval()
    lrl.config.lrl_residual = True
    with pytest.raises(ValueError, match=r"without its LaSR head.*lrl_residual=True"):
        lrl(**_lrl_batch())
