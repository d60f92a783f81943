"""The optional all-mpnet-base-v2 backbone: a clear error without its packages, a real 768-d encoder with them."""

import sys

import pytest

from lira_utils import backbones


def test_mpnet_parts_missing_names_the_extra(monkeypatch, tmp_path):
    import site

    monkeypatch.setattr(site, "getsitepackages", lambda: [str(tmp_path)])
    monkeypatch.setattr(site, "getusersitepackages", lambda: str(tmp_path))
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    with pytest.raises(ValueError, match=r"part 001 is not installed.*\.\[mpnet\]"):
        backbones.mpnet_parts()


@pytest.mark.slow
def test_mpnet_loads_as_a_768_d_mean_pooled_encoder():
    try:
        backbones.mpnet_parts()
    except ValueError:
        pytest.skip("the [mpnet] extra is not installed")
    import torch

    model, tokenizer = backbones.load_mpnet()
    assert model.config.model_type == "mpnet" and model.config.hidden_size == 768
    batch = tokenizer(["red running shoes", "running shoes in red", "a ceramic tea cup"], padding=True,
                      return_tensors="pt")
    with torch.no_grad():
        states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    vectors = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.3  # a real sentence encoder, not random weights
