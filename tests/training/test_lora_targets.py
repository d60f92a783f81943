"""LoRA reaches g's linear layers in every backbone family of the matrix (BERT, XLM-R, MPNet, Qwen3) and never h."""

import re

import pytest
import torch

from tests.model.backbones import MATRIX, build_case
from training.train import BACKBONE_LORA_TARGETS, LORA_TARGETS, LiraRunArguments, build_peft_model

OLD_BERT_TARGETS = (r"encoder\.encoder\.layer\.\d+\.(attention\.self\.(query|key|value)|attention\.output\.dense|"
                    r"intermediate\.dense|output\.dense)")  # the pattern before other families were added


def _linear_names(model):
    return {n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_lora_targets_every_linear_of_g_blocks_and_nothing_of_h(name):
    model, _ = build_case(name)
    matched = {n for n in _linear_names(model) if re.fullmatch(LORA_TARGETS, n)}
    g_linears = {n for n in _linear_names(model.encoder) if re.search(r"\d+\.", n)}  # inside the blocks
    assert matched == {f"encoder.{n}" for n in g_linears} and matched  # every block linear of g, nothing else
    assert not any(n.startswith("english_encoder.") for n in matched)
    if model.config.encoder_config.model_type == "bert":  # BERT / e5: exactly what the old pattern matched
        assert matched == {n for n in _linear_names(model) if re.fullmatch(OLD_BERT_TARGETS, n)}
    peft_model = build_peft_model(model, LiraRunArguments(lora_r=2, lora_alpha=4))
    lora = [n for n, _ in peft_model.named_parameters() if "lora_A" in n]
    assert len(lora) == len(matched)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_finetune_lora_targets_the_backbone_at_its_root(name):
    model, _ = build_case(name)
    backbone = model.encoder
    matched = {n for n in _linear_names(backbone) if re.fullmatch(BACKBONE_LORA_TARGETS, n)}
    assert matched == {n for n in _linear_names(backbone) if re.search(r"\d+\.", n)} and matched
