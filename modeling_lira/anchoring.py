"""Arca: S-bin temporal pooling, the shared adaptor, and the actor that picks an English candidate.

Design choice that makes the Hub widget exact: the sentence vector of a stream is the adaptor applied to the
token-count-weighted mean of its bins, which is exactly the masked mean of all token states. The adaptor is affine,
so E = A(mean_t x_t) = sum_b (n_b / n) A(bin_b). The LRL-only anchored vector is therefore
`Normalize(Dense(MeanPooling(g(x))))`, a stock sentence-transformers pipeline. With `encoder_pooling="cls"` or
`"last_token"` (`sentence_vector`) the sentence vector is that token's state instead, again one stock pooling mode;
the bins stay mean-pooled.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .losses import candidate_rewards


class LiraBinPooling(nn.Module):
    """Masked S-bin temporal pooling: token i of a length-L sequence goes to bin floor(i * S / L).

    Positions count only unmasked tokens, so left or right padding gives the same bins. Sequences shorter than S
    leave some bins empty (count 0).

    Args:
        num_bins (`int`): S.
    """

    def __init__(self, num_bins):
        super().__init__()
        self.num_bins = num_bins

    def forward(self, hidden_states, attention_mask):
        """
        Args:
            hidden_states (`torch.Tensor` of shape `(B, T, D)`).
            attention_mask (`torch.Tensor` of shape `(B, T)`): 1 for tokens, 0 for padding.

        Returns:
            bin_sums (`(B, S, D)`), bin_counts (`(B, S)`) in the dtype of `hidden_states`.
        """
        mask = attention_mask.to(torch.long)  # (B, T)
        positions = mask.cumsum(-1) - 1  # (B, T): index among real tokens
        lengths = mask.sum(-1, keepdim=True).clamp(min=1)  # (B, 1)
        bins = torch.div(positions.clamp(min=0) * self.num_bins, lengths, rounding_mode="floor")
        one_hot = torch.nn.functional.one_hot(bins.clamp(max=self.num_bins - 1), self.num_bins)  # (B, T, S)
        one_hot = one_hot.to(hidden_states.dtype) * mask.unsqueeze(-1).to(hidden_states.dtype)
        bin_sums = torch.einsum("bts,btd->bsd", one_hot, hidden_states)  # (B, S, D)
        bin_counts = one_hot.sum(1)  # (B, S)
        return bin_sums, bin_counts


def bins_to_means(bin_sums, bin_counts):
    """Per-bin means `(B, S, D)` and the sequence mean `(B, D)` (= masked mean over tokens)."""
    bin_means = bin_sums / bin_counts.clamp(min=1).unsqueeze(-1)
    sequence_mean = bin_sums.sum(1) / bin_counts.sum(1).clamp(min=1).unsqueeze(-1)
    return bin_means, sequence_mean


def real_token_bounds(attention_mask):
    """Indices `(B,)` of the first and the last real token of each row, read from the mask, so they are right for
    left, right and mixed padding (a row without real tokens gets 0 for both)."""
    mask = attention_mask.bool()  # (B, T)
    length = mask.shape[-1]
    positions = torch.arange(length, device=mask.device).expand_as(mask)  # (B, T)
    first = torch.where(mask, positions, length).amin(-1).clamp(max=length - 1)  # (B,)
    last = torch.where(mask, positions, -1).amax(-1).clamp(min=0)  # (B,)
    return first, last


def sentence_vector(hidden_states, attention_mask, pooling, masked_mean):
    """One stream's sentence vector `(B, D)`.

    Args:
        hidden_states (`torch.Tensor` of shape `(B, T, D)`).
        attention_mask (`torch.Tensor` of shape `(B, T)`): 1 for tokens, 0 for padding.
        pooling (`str`): `"mean"` (returns `masked_mean`), `"cls"` (the first real token) or `"last_token"` (the last
            real token).
        masked_mean (`torch.Tensor` of shape `(B, D)`): the attention-masked mean (from `bins_to_means`).

    Raises:
        `ValueError`: an unknown `pooling`.
    """
    if pooling == "mean":
        return masked_mean
    if pooling not in ("cls", "last_token"):
        raise ValueError(f"pooling={pooling!r} is not one of 'mean', 'cls', 'last_token'; fix "
                         f"LiraConfig.encoder_pooling / english_pooling.")
    first, last = real_token_bounds(attention_mask)  # (B,), (B,)
    index = first if pooling == "cls" else last
    rows = torch.arange(hidden_states.shape[0], device=hidden_states.device)
    has_tokens = attention_mask.bool().any(-1, keepdim=True)  # (B, 1): empty rows give zeros, as the mean does
    return hidden_states[rows, index] * has_tokens.to(hidden_states.dtype)  # (B, D)


class LiraArcaAdaptor(nn.Module):
    """Shared adaptor A(.) into the anchor space, for two streams of possibly different widths.

    Each stream has an input projection to `adaptor_dim` (identity-initialised when the widths match, so an
    untrained model keeps the backbone's geometry); a shared affine map (identity-initialised) follows. The whole
    adaptor is affine per stream, which keeps the LRL-only sentence vector exportable as one `Dense` layer.

    Args:
        lrl_dim (`int`): width of g's token states.
        english_dim (`int` or `None`): width of h's token states; `None` builds the LRL stream only (no
            `english_in`, for `LiraConfig.lrl_only`).
        adaptor_dim (`int`): width d of the shared space.
    """

    def __init__(self, lrl_dim, english_dim, adaptor_dim):
        super().__init__()
        # Parameters live directly on this module (not in nn.Linear children) so that transformers' weight
        # initialisation dispatches `_init_weights` to it and the identity init applies.
        self.lrl_in = nn.Parameter(torch.empty(adaptor_dim, lrl_dim))  # (d, D_g)
        if english_dim is None:
            self.register_parameter("english_in", None)
        else:
            self.english_in = nn.Parameter(torch.empty(adaptor_dim, english_dim))  # (d, D_h)
        self.shared_weight = nn.Parameter(torch.empty(adaptor_dim, adaptor_dim))  # (d, d)
        self.shared_bias = nn.Parameter(torch.zeros(adaptor_dim))  # (d,)

    def forward(self, states, stream):
        """Maps `(..., D_stream)` to `(..., adaptor_dim)`; `stream` is `"lrl"` or `"english"`."""
        if stream not in ("lrl", "english"):
            raise ValueError(f"stream must be 'lrl' or 'english', got {stream!r}.")
        projection = self.lrl_in if stream == "lrl" else self.english_in
        if projection is None:
            raise ValueError("this adaptor was built without its English stream (LiraConfig.lrl_only=True); load the "
                             "model without lrl_only to encode English candidates.")
        return F.linear(F.linear(states, projection), self.shared_weight, self.shared_bias)

    def fused_lrl_dense(self):
        """The LRL path as one affine map: returns `(weight (d, D_g), bias (d,))` = shared o lrl_in."""
        return self.shared_weight @ self.lrl_in, self.shared_bias


class LiraArcaActor(nn.Module):
    """Actor policy over K candidates: logits = MLP(c_k) + w . c_k over c_k = [s_k/10, e_k/10, p_k/10, sim_k].

    The reward R_k = 0.1(alpha s + beta e + gamma p) + delta sim_k is linear in c_k, so the linear path `reward_prior`
    (w) starts at `prior_scale * (alpha, beta, gamma, delta)` (set by `LiraModel._init_weights`): the untrained
    policy already prefers the candidates with the highest expected reward, and REINFORCE refines MLP and w.

    Args:
        hidden_size (`int`): MLP width.
    """

    def __init__(self, hidden_size):
        super().__init__()
        # no bias on the last layer: softmax over candidates ignores a shared shift, so it would never train
        self.mlp = nn.Sequential(nn.Linear(4, hidden_size), nn.Tanh(), nn.Linear(hidden_size, 1, bias=False))
        self.reward_prior = nn.Parameter(torch.zeros(4))

    def forward(self, critic_scores, similarities, candidate_mask):
        """
        Args:
            critic_scores (`torch.Tensor` of shape `(B, K, 3)`): in [1, 10].
            similarities (`torch.Tensor` of shape `(B, K)`).
            candidate_mask (`torch.BoolTensor` of shape `(B, K)`).

        Returns:
            policy logits `(B, K)`, with -inf-like values at invalid candidates.
        """
        features = torch.cat([critic_scores / 10.0, similarities.unsqueeze(-1)], dim=-1)  # (B, K, 4)
        features = features.to(self.mlp[0].weight.dtype)
        logits = self.mlp(features).squeeze(-1) + features @ self.reward_prior.to(features.dtype)  # (B, K)
        return logits.masked_fill(~candidate_mask, torch.finfo(logits.dtype).min)


class LiraArcaAnchor(nn.Module):
    """Arca's candidate selection and its losses around the actor.

    Args:
        config ([`LiraConfig`]).
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.actor = LiraArcaActor(config.actor_hidden_size)

    def select(self, lrl_vector, english_vectors, critic_scores, candidate_mask, sample):
        """Scores candidates and picks one per row.

        Args:
            lrl_vector (`(B, d)`): adaptor-space LRL sentence vector E_lr.
            english_vectors (`(B, K, d)`): adaptor-space candidate vectors E_en^(k).
            critic_scores (`(B, K, 3)`), candidate_mask (`(B, K)` bool).
            sample (`bool`): sample from the policy (training); otherwise (inference) the actor's argmax, or with
                `config.candidate_selection == "critic"` the highest semantic critic score (earliest on ties).

        Returns:
            dict with `policy_logits (B, K)`, `similarities (B, K)`, `rewards (B, K)`, `actions (B,)` (-1 where a
            row has no candidate).
        """
        sims = torch.nn.functional.cosine_similarity(lrl_vector.unsqueeze(1), english_vectors, dim=-1)  # (B, K)
        sims = sims.masked_fill(~candidate_mask, 0.0)
        logits = self.actor(critic_scores, sims.detach(), candidate_mask)  # (B, K)
        has_any = candidate_mask.any(-1)
        if sample:
            probs = torch.softmax(logits.float().masked_fill(~candidate_mask, -1e4), dim=-1)
            probs = torch.where(has_any.unsqueeze(-1), probs, torch.full_like(probs, 1.0 / probs.shape[-1]))
            actions = torch.multinomial(probs, 1).squeeze(-1)
        elif self.config.candidate_selection == "critic":
            semantic = critic_scores[..., 0].float().masked_fill(~candidate_mask, float("-inf"))  # (B, K)
            actions = semantic.argmax(-1)  # first maximum on ties
        else:
            actions = logits.argmax(-1)
        actions = torch.where(has_any, actions, torch.full_like(actions, -1))
        c = self.config
        rewards = candidate_rewards(critic_scores.float(), sims.detach().float(), c.reward_alpha, c.reward_beta,
                                    c.reward_gamma, c.reward_delta)
        return {"policy_logits": logits, "similarities": sims, "rewards": rewards, "actions": actions}
