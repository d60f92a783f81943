"""Known-answer tests of the pure loss functions and of the FIFO queues."""

import math

import pytest
import torch

from modeling_lira import losses
from modeling_lira.queues import LiraCorrQueue, LiraDocQueue


def test_anchor_loss_known_values():
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert losses.anchor_loss(a, b).item() == pytest.approx(0.5)  # (0 + 1) / 2
    assert losses.anchor_loss(a, b, mask=torch.tensor([True, False])).item() == pytest.approx(0.0)


def test_reward_matches_paper_formula():
    scores = torch.tensor([[[8.0, 6.0, 4.0]]])
    sims = torch.tensor([[0.5]])
    r = losses.candidate_rewards(scores, sims, alpha=1.0, beta=0.5, gamma=0.25, delta=2.0)
    assert r.item() == pytest.approx(0.1 * (8 + 3 + 1) + 2.0 * 0.5)


def test_reinforce_loss_known_value_and_mask():
    logits = torch.tensor([[0.0, 0.0, 5.0]])
    mask = torch.tensor([[True, True, False]])  # third slot invalid: pi = (0.5, 0.5)
    rewards = torch.tensor([[2.0, 0.0, 100.0]])
    loss = losses.reinforce_loss(logits, torch.tensor([0]), rewards, mask)
    # baseline = mean(2, 0) = 1, advantage = 1, -log(0.5) * 1
    assert loss.item() == pytest.approx(math.log(2.0), rel=1e-5)
    empty = losses.reinforce_loss(logits, torch.tensor([-1]), rewards, torch.zeros_like(mask))
    assert empty.item() == 0.0


def test_soft_rank_approaches_true_rank():
    s = torch.tensor([[0.3, 0.9, 0.1]])
    assert torch.allclose(losses.soft_rank(s, 1e-4), torch.tensor([[2.0, 1.0, 3.0]]), atol=1e-3)


def _dcg_at_k(ranked_gains, k):
    return sum(g / math.log2(i + 2) for i, g in enumerate(ranked_gains[:k]))


def test_soft_ndcg_approaches_true_ndcg():
    scores = torch.tensor([[0.9, 0.8, 0.7, 0.1]])
    gains = torch.tensor([[0.0, 2.0, 0.0, 1.0]])
    ranked = [0.0, 2.0, 0.0, 1.0]
    true_ndcg = _dcg_at_k(ranked, 3) / _dcg_at_k([2.0, 1.0, 0.0, 0.0], 3)
    loss = losses.soft_ndcg_loss(scores, gains, k=3, temperature=1e-4)
    assert 1 - loss.item() == pytest.approx(true_ndcg, abs=1e-3)
    warm = losses.soft_ndcg_loss(scores, gains, k=3, temperature=0.5)
    assert abs((1 - warm.item()) - true_ndcg) > 1e-3  # a real temperature is softer
    perfect = losses.soft_ndcg_loss(torch.tensor([[0.1, 0.9, 0.0, 0.5]]), gains, k=3, temperature=1e-4)
    assert perfect.item() == pytest.approx(0.0, abs=1e-3)


def test_hinge_and_info_nce_known_values():
    scores = torch.tensor([[0.5, 0.45, 0.0]])
    pos = torch.tensor([[True, False, False]])
    # pairs: (0.5 vs 0.45) -> 0.1 - 0.05 = 0.05 ; (0.5 vs 0) -> 0
    assert losses.pairwise_hinge_loss(scores, pos, margin=0.1).item() == pytest.approx(0.025)
    nce = losses.info_nce_loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[True, False]]), temperature=1.0)
    assert nce.item() == pytest.approx(-math.log(math.e / (math.e + 1)))


def test_correlation_loss_perfect_and_inverse():
    x = torch.tensor([0.1, 0.4, 0.2, 0.9])
    assert losses.correlation_loss(x, x * 3 + 1, alpha=0.5, temperature=1e-3).item() == pytest.approx(0.0, abs=1e-3)
    assert losses.correlation_loss(x, -x, alpha=1.0).item() == pytest.approx(2.0, abs=1e-5)


def test_consistency_loss_prefers_aligned_views():
    a = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    aligned = losses.consistency_loss(a, a, temperature=0.05)
    shuffled = losses.consistency_loss(a, a.roll(1, 0), temperature=0.05)
    assert aligned < shuffled


def test_doc_queue_fifo_and_detached():
    q = LiraDocQueue(capacity=3, dim=2)
    emb = torch.arange(8.0, requires_grad=True).view(4, 2)
    q.push(emb[:2], torch.tensor([10, 11]))
    q.push(emb[2:], torch.tensor([12, 13]))
    vectors, keys = q.get()
    assert keys.tolist() == [11, 12, 13]  # oldest (10) evicted
    assert not vectors.requires_grad and vectors[0].tolist() == [2.0, 3.0]
    with pytest.raises(ValueError):
        LiraDocQueue(capacity=0, dim=2)


def test_corr_queue_state_roundtrip():
    q = LiraCorrQueue(capacity=4)
    q.push(torch.tensor([0.1, 0.2]), torch.tensor([1.0, 2.0]))
    q2 = LiraCorrQueue(capacity=4)
    q2.load_state_dict(q.state_dict())
    assert q2.get()[1].tolist() == [1.0, 2.0] and len(q2) == 2


def test_symmetric_info_nce_known_value_and_masked_false_negative():
    # 2 queries x (2 in-batch + 1 queued) documents, T = 1
    scores = torch.tensor([[1.0, 0.0, 0.5], [0.2, 1.0, 0.0]])
    pos = torch.tensor([[True, False, False], [False, True, False]])
    q2d = (-math.log(math.e / (math.e + 1 + math.exp(0.5))) - math.log(math.e / (math.exp(0.2) + math.e + 1))) / 2
    d2q = (-math.log(math.e / (math.e + math.exp(0.2))) - math.log(math.e / (math.e + 1))) / 2
    got = losses.symmetric_info_nce_loss(scores, pos, temperature=1.0)
    assert got.item() == pytest.approx((q2d + d2q) / 2, rel=1e-5)
    # masking document 1 for query 0 (a false negative) removes exactly that term from both directions
    keep = torch.tensor([[True, False, True], [True, True, True]])
    q2d_m = (-math.log(math.e / (math.e + math.exp(0.5))) - math.log(math.e / (math.exp(0.2) + math.e + 1))) / 2
    d2q_m = (-math.log(math.e / (math.e + math.exp(0.2))) - 0.0) / 2
    got = losses.symmetric_info_nce_loss(scores, pos, temperature=1.0, mask=keep)
    assert got.item() == pytest.approx((q2d_m + d2q_m) / 2, rel=1e-5)


def test_score_distillation_is_zero_at_the_teacher_and_skips_rows_without_one():
    teacher = torch.tensor([[0.9, 0.1, 0.3], [0.2, 0.8, 0.1]])
    assert losses.score_distillation_loss(teacher, teacher, 0.1, 0.1).item() == pytest.approx(0.0, abs=1e-6)
    student = torch.tensor([[0.1, 0.9, 0.3], [0.2, 0.8, 0.1]])
    p = torch.softmax(teacher[0] / 0.1, -1)
    kl = (p * (p.log() - torch.log_softmax(student[0] / 0.1, -1))).sum()
    got = losses.score_distillation_loss(student, teacher, 0.1, 0.1, mask=torch.tensor([True, False]))
    assert got.item() == pytest.approx(kl.item(), rel=1e-5)
    assert losses.score_distillation_loss(student, teacher, 0.1, 0.1, mask=torch.tensor([False, False])).item() == 0
