"""Length-sorted batching of the plain encoders: equal-token batches, and vectors that do not depend on the batch."""

import numpy as np
import torch

from evaluation.encoders import MeanPoolEncoder, batched_by_length
from tests.fixtures_model import WORDS, make_word_tokenizer


def test_batches_follow_the_given_lengths_and_cover_every_text_once():
    texts = ["aaaaaaaaaa", "b", "cc", "ddd", "e"]
    tokens = [1, 5, 2, 5, 3]  # e.g. token counts, unlike the characters
    batches = list(batched_by_length(texts, 2, tokens))
    assert [idx for idx, _ in batches] == [[0, 2], [4, 1], [3]]  # ties keep the input order
    assert [t for _, batch in batches for t in batch] == [texts[i] for i in [0, 2, 4, 1, 3]]
    assert [idx for idx, _ in batched_by_length(texts, 2)] == [[1, 4], [2, 3], [0]]  # default: characters


def test_mean_pool_encoder_vectors_do_not_depend_on_the_batching():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                 intermediate_size=24, pad_token_id=0), add_pooling_layer=False)
    tok = make_word_tokenizer(WORDS)
    texts = ["red apple tea kettle bicycle", "book", "running shoes", "phone camera umbrella", "tea"]
    batched = MeanPoolEncoder.from_model(model, tok, batch_size=3, progress=False).encode(texts)
    alone = np.concatenate([MeanPoolEncoder.from_model(model, tok, batch_size=1, progress=False).encode([t])
                            for t in texts])
    assert batched.shape == (5, 16)
    np.testing.assert_allclose(batched, alone, atol=1e-6)
