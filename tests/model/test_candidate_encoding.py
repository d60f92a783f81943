"""h over the candidates (`LiraModel._encode_candidates`): each distinct row once, length-sorted chunks, and the same
vectors, losses and gradients as one padded batch (the encoding before issue 31, kept here as the reference)."""

import pytest
import torch

import modeling_lira.modeling_lira as modeling
from modeling_lira import LiraConfig, LiraModel
from tests.fixtures_model import tiny_config_kwargs

NO_DROPOUT = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def _one_batch(model, input_ids, attention_mask):
    """The reference: every row through h in one padded batch (what `_arca` ran before)."""
    bins, mask, vector, _ = model._encode_stream(model.english_encoder, "english", input_ids, attention_mask, None)
    return bins, mask, vector


def _rows(seed=0, rows=40, length=9, duplicates=12, padding_side="right"):
    """`rows` candidate rows of lengths 1..length, `duplicates` of them copies of earlier rows."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 64, (rows, length), generator=g)
    lengths = torch.randint(1, length + 1, (rows,), generator=g)
    positions = torch.arange(length).expand(rows, length)
    if padding_side == "right":
        mask = (positions < lengths.unsqueeze(-1)).long()
    else:
        mask = (positions >= length - lengths.unsqueeze(-1)).long()
    ids = ids * mask  # padding id 0
    copies = torch.randint(0, rows - duplicates, (duplicates,), generator=g)
    ids[rows - duplicates:], mask[rows - duplicates:] = ids[copies], mask[copies]
    return ids, mask


def _model(**overrides):
    kwargs = tiny_config_kwargs(**overrides)
    kwargs["english_encoder_config"] = dict(kwargs["english_encoder_config"], **NO_DROPOUT)
    torch.manual_seed(0)
    return LiraModel(LiraConfig(**kwargs))


@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_candidate_encoding_equals_one_padded_batch(monkeypatch, chunk_rows, padding_side):
    monkeypatch.setattr(modeling, "CANDIDATE_CHUNK_ROWS", chunk_rows)
    model = _model(english_padding_side=padding_side, english_pooling="last_token" if padding_side == "left"
                   else "mean").eval()
    ids, mask = _rows(padding_side=padding_side)
    with torch.no_grad():
        got = model._encode_candidates(ids, mask)
        want = _one_batch(model, ids, mask)
    assert got[0].shape == want[0].shape and got[2].shape == want[2].shape
    torch.testing.assert_close(got[0], want[0], rtol=1e-5, atol=1e-6)
    assert torch.equal(got[1], want[1])
    torch.testing.assert_close(got[2], want[2], rtol=1e-5, atol=1e-6)


def test_identical_rows_get_identical_vectors_and_one_encoding(monkeypatch):
    model = _model().eval()
    ids, mask = _rows(rows=10, duplicates=4)
    seen = []
    model.english_encoder.register_forward_pre_hook(lambda m, args, kwargs: seen.append(kwargs["input_ids"].shape[0]),
                                                    with_kwargs=True)
    with torch.no_grad():
        _, _, vector = model._encode_candidates(ids, mask)
    distinct = torch.unique(torch.cat([ids, mask], -1), dim=0).shape[0]
    assert sum(seen) == distinct < ids.shape[0]
    for i in range(6, 10):  # rows 6..9 copy earlier rows
        j = next(k for k in range(6) if torch.equal(ids[k], ids[i]) and torch.equal(mask[k], mask[i]))
        assert torch.equal(vector[i], vector[j])


def test_stage2_loss_and_gradients_equal_the_one_batch_encoding(tmp_path, monkeypatch, tiny_processor,
                                                                 tiny_training_rows):
    """One stage-2 step (every loss term) through the new encoding and through the reference give the same loss and
    the same gradient on every trainable weight."""
    from transformers import TrainingArguments

    from training.collator import LiraRetrievalCollator
    from training.train import LiraRunArguments, build_peft_model, set_stage_trainable
    from training.trainer import LiraTrainer

    rows, corpus = tiny_training_rows
    batch = LiraRetrievalCollator(tiny_processor, corpus, seed=0)(rows)
    results = []
    for reference in (False, True):
        model = _model(distillation_weight=1.0)
        if reference:
            monkeypatch.setattr(model, "_encode_candidates", lambda i, m, model=model: _one_batch(model, i, m))
        peft_model = build_peft_model(model, LiraRunArguments(lora_r=4, lora_alpha=8))
        set_stage_trainable(peft_model, "lasr", use_lora=True)
        peft_model.eval()  # g's dropout off too: the two runs differ only in how h is batched
        trainer = LiraTrainer(model=peft_model, args=TrainingArguments(output_dir=str(tmp_path), report_to=[], use_cpu=True),
                              stage="lasr", sample_candidates=False)
        loss = trainer.compute_loss(peft_model, dict(batch))
        loss.backward()
        results.append((loss.detach(), [p.grad for p in peft_model.parameters() if p.requires_grad]))
    (loss_new, grads_new), (loss_ref, grads_ref) = results
    torch.testing.assert_close(loss_new, loss_ref, rtol=1e-5, atol=1e-6)
    assert len(grads_new) == len(grads_ref) > 0 and any(g is not None for g in grads_new)
    for a, b in zip(grads_new, grads_ref):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
