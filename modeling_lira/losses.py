"""LiRA objectives as pure functions of tensors (no module state), each with a known-answer test.

Shapes use B = batch, K = candidates, N = scored documents per query.
"""


import torch
import torch.nn.functional as F


def _masked_mean(values, mask):
    """Mean of `values` over positions where `mask` is true; 0 (with grad) when nothing is selected."""
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def anchor_loss(lrl_embeddings, english_embeddings, mask=None):
    """Arca's anchor loss 1 - cos(E_lr, E_en), averaged over rows.

    Args:
        lrl_embeddings (`torch.Tensor` of shape `(B, d)`): adaptor-space vectors of the LRL text.
        english_embeddings (`torch.Tensor` of shape `(B, d)`): adaptor-space vectors of the chosen translation.
        mask (`torch.BoolTensor` of shape `(B,)`, *optional*): rows that have a translation.
    """
    cos = F.cosine_similarity(lrl_embeddings, english_embeddings, dim=-1)  # (B,)
    if mask is None:
        mask = torch.ones_like(cos, dtype=torch.bool)
    return _masked_mean(1.0 - cos, mask)


def candidate_rewards(critic_scores, similarities, alpha, beta, gamma, delta):
    """The paper's reward R_k = 0.1 (alpha s_k + beta e_k + gamma p_k) + delta sim_k.

    Args:
        critic_scores (`torch.Tensor` of shape `(B, K, 3)`): semantic, emotional, pragmatic scores in [1, 10].
        similarities (`torch.Tensor` of shape `(B, K)`): adaptor-space cosine between the LRL text and candidate k.

    Returns:
        `torch.Tensor` of shape `(B, K)`.
    """
    weights = critic_scores.new_tensor([alpha, beta, gamma])
    return 0.1 * (critic_scores * weights).sum(-1) + delta * similarities


def reinforce_loss(policy_logits, actions, rewards, candidate_mask):
    """REINFORCE with a mean baseline: -log pi(a) * (R_a - mean_k R_k), averaged over rows with candidates.

    The baseline (mean reward over the row's valid candidates) is our addition for variance reduction; it leaves
    the gradient unbiased because it does not depend on the sampled action. Rewards are treated as constants.

    Args:
        policy_logits (`torch.Tensor` of shape `(B, K)`): actor scores (invalid candidates may hold any value).
        actions (`torch.LongTensor` of shape `(B,)`): chosen candidate per row (ignored where the row has none).
        rewards (`torch.Tensor` of shape `(B, K)`).
        candidate_mask (`torch.BoolTensor` of shape `(B, K)`).
    """
    has_any = candidate_mask.any(-1)  # (B,)
    logits = policy_logits.masked_fill(~candidate_mask, -1e4)
    log_probs = torch.log_softmax(logits, dim=-1)  # (B, K)
    safe_actions = actions.clamp(min=0).unsqueeze(-1)
    chosen_log_prob = log_probs.gather(-1, safe_actions).squeeze(-1)  # (B,)
    rewards = rewards.detach()
    valid = candidate_mask.to(rewards.dtype)
    baseline = (rewards * valid).sum(-1) / valid.sum(-1).clamp(min=1.0)  # (B,)
    advantage = rewards.gather(-1, safe_actions).squeeze(-1) - baseline
    return _masked_mean(-chosen_log_prob * advantage, has_any)


def soft_rank(scores, temperature, mask=None):
    """Differentiable ranks: rank_i = 1 + sum_{j != i} sigmoid((s_j - s_i) / T); exact ranks as T -> 0.

    Args:
        scores (`torch.Tensor` of shape `(B, N)`): higher is better.
        mask (`torch.BoolTensor` of shape `(B, N)`, *optional*): entries that take part in the ranking.
    """
    scaled = scores / temperature  # (B, N): one division per score, not per pair
    pairwise = torch.sigmoid(scaled.unsqueeze(-2) - scaled.unsqueeze(-1))  # (B, N, N): [i, j] = (s_j - s_i) / T
    if mask is None:
        return 0.5 + pairwise.sum(-1)  # (B, N): the diagonal term sigmoid(0) = 0.5 is taken back out of the 1
    valid = mask.to(pairwise.dtype)  # (B, N)
    return 1.0 + (pairwise * valid.unsqueeze(-2)).sum(-1) - 0.5 * valid  # (B, N)


def ideal_dcg(gains, k):
    """Ideal DCG@k (linear gain, log2 discount) per row. gains: `(B, N)` -> `(B,)`."""
    top = torch.sort(gains, dim=-1, descending=True).values[..., :k]
    discounts = 1.0 / torch.log2(torch.arange(top.shape[-1], device=gains.device, dtype=gains.dtype) + 2.0)
    return (top * discounts).sum(-1)


def soft_ndcg_loss(scores, gains, k=10, temperature=0.05, mask=None):
    """1 - soft nDCG@k: soft ranks replace sorted positions and a sigmoid replaces the top-k cut.

    As `temperature` -> 0 the soft nDCG equals the true nDCG@k (no ties). Rows without any positive gain are
    skipped.

    Args:
        scores (`torch.Tensor` of shape `(B, N)`): query-document scores.
        gains (`torch.Tensor` of shape `(B, N)`): graded relevance (0 for negatives).
        k (`int`): cut-off.
        temperature (`float`): softness of ranks and of the cut.
        mask (`torch.BoolTensor` of shape `(B, N)`, *optional*): valid documents.
    """
    ranks = soft_rank(scores, temperature, mask)  # (B, N)
    in_top_k = torch.sigmoid((k + 0.5 - ranks) / temperature)
    dcg_terms = gains * in_top_k / torch.log2(1.0 + ranks)
    if mask is not None:
        dcg_terms = dcg_terms * mask.to(dcg_terms.dtype)
        gains = gains * mask.to(gains.dtype)
    idcg = ideal_dcg(gains, k)  # (B,)
    has_pos = idcg > 0
    ndcg = dcg_terms.sum(-1) / idcg.clamp(min=1e-9)
    return _masked_mean(1.0 - ndcg, has_pos)


def pairwise_hinge_loss(scores, positive_mask, margin=0.1, mask=None):
    """Mean over (positive, negative) pairs of max(0, margin - (s_pos - s_neg)).

    Args:
        scores (`torch.Tensor` of shape `(B, N)`).
        positive_mask (`torch.BoolTensor` of shape `(B, N)`).
        margin (`float`).
        mask (`torch.BoolTensor` of shape `(B, N)`, *optional*): valid documents.
    """
    valid = torch.ones_like(positive_mask) if mask is None else mask
    pos = positive_mask & valid
    neg = ~positive_mask & valid
    gaps = margin - (scores.unsqueeze(-1) - scores.unsqueeze(-2))  # (B, N_pos, N_neg) over all pairs
    pair_mask = pos.unsqueeze(-1) & neg.unsqueeze(-2)
    return _masked_mean(F.relu(gaps), pair_mask)


def info_nce_loss(scores, positive_mask, temperature=0.05, mask=None):
    """Multi-positive InfoNCE: -log(sum_pos exp(s/T) / sum_all exp(s/T)), rows without positives skipped."""
    logits = scores / temperature
    if mask is not None:
        logits = logits.masked_fill(~mask, -1e4)
    log_all = torch.logsumexp(logits, dim=-1)
    log_pos = torch.logsumexp(logits.masked_fill(~positive_mask, -1e4), dim=-1)
    return _masked_mean(log_all - log_pos, positive_mask.any(-1))


def symmetric_info_nce_loss(scores, positive_mask, temperature=0.05, mask=None):
    """The plain fine-tune recipe's InfoNCE: mean of query -> documents over all N columns and document -> queries
    over the first B columns (the in-batch documents, one per query).

    Args:
        scores (`torch.Tensor` of shape `(B, N)`), N >= B: column i < B is query i's own document.
        positive_mask (`torch.BoolTensor` of shape `(B, N)`).
        temperature (`float`).
        mask (`torch.BoolTensor` of shape `(B, N)`, *optional*): documents that take part (False = a masked false
            negative).
    """
    b = scores.shape[0]
    col_mask = None if mask is None else mask[:, :b].T
    return 0.5 * (info_nce_loss(scores, positive_mask, temperature, mask)
                  + info_nce_loss(scores[:, :b].T, positive_mask[:, :b].T, temperature, col_mask))


def score_distillation_loss(student_scores, teacher_scores, student_temperature, teacher_temperature, mask=None):
    """KL(teacher || student) between per-query softmax distributions over the same documents.

    Args:
        student_scores, teacher_scores (`torch.Tensor` of shape `(B, N)`): cosines; the teacher is detached.
        student_temperature, teacher_temperature (`float`).
        mask (`torch.BoolTensor` of shape `(B,)`, *optional*): rows that have a teacher.
    """
    target = torch.softmax(teacher_scores.detach() / teacher_temperature, dim=-1)  # (B, N)
    log_student = torch.log_softmax(student_scores / student_temperature, dim=-1)  # (B, N)
    kl = (target * (torch.log(target.clamp(min=1e-12)) - log_student)).sum(-1)  # (B,)
    if mask is None:
        mask = torch.ones_like(kl, dtype=torch.bool)
    return _masked_mean(kl, mask)


def pearson_correlation(x, y):
    """Pearson correlation of two 1-D tensors."""
    x = x - x.mean()
    y = y - y.mean()
    return (x * y).sum() / (x.norm() * y.norm()).clamp(min=1e-9)


def soft_spearman(x, y, temperature=0.1):
    """Spearman correlation with soft ranks for `x` (predictions) and exact ranks for `y` (targets)."""
    rx = soft_rank(x.unsqueeze(0), temperature).squeeze(0)
    ry = soft_rank(y.unsqueeze(0), 1e-6).squeeze(0).detach()
    return pearson_correlation(rx, ry)


def correlation_loss(predictions, targets, alpha=0.5, temperature=0.1):
    """CorrQueue objective alpha (1 - Pearson) + (1 - alpha) (1 - SoftSpearman) over 1-D score vectors."""
    if predictions.numel() < 2:
        return predictions.sum() * 0.0
    pearson = pearson_correlation(predictions, targets)
    spearman = soft_spearman(predictions, targets, temperature)
    return alpha * (1.0 - pearson) + (1.0 - alpha) * (1.0 - spearman)


def consistency_loss(lrl_view, full_view, temperature=0.05, row_mask=None):
    """Symmetric InfoNCE between the LRL-only view and the LRL+English view of the same texts.

    Row i of one view is the positive of row i of the other; the other rows are negatives.

    Args:
        lrl_view (`torch.Tensor` of shape `(B, d)`), full_view (`torch.Tensor` of shape `(B, d)`): L2-normalised.
        row_mask (`torch.BoolTensor` of shape `(B,)`, *optional*): rows that have an English view.
    """
    if row_mask is not None:
        lrl_view, full_view = lrl_view[row_mask], full_view[row_mask]
    if lrl_view.shape[0] < 2:
        return lrl_view.sum() * 0.0
    logits = lrl_view @ full_view.T / temperature  # (B, B)
    labels = torch.arange(logits.shape[0], device=logits.device)
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))

