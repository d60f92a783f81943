"""LiraModel: multilingual encoder g + English encoder h + Arca anchoring + LaSR head, as one PreTrainedModel."""

import inspect
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from transformers import AutoModel, PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput

from .anchoring import (LiraArcaActor, LiraArcaAdaptor, LiraArcaAnchor, LiraBinPooling, bins_to_means,
                        sentence_vector)
from .configuration_lira import LiraConfig
from .language_head import LiraLanguageIdentifier, LiraLaSRHead
from .losses import anchor_loss, reinforce_loss


@dataclass
class LiraModelOutput(ModelOutput):
    """
    Output of [`LiraModel`].

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*):
            Returned when `language_labels` are given or `return_loss=True`: L_RL + eta L_anchor (rows with
            candidates) + language_id_weight * language-id cross-entropy (when labels are given).
        embeddings (`torch.FloatTensor` of shape `(B, 2d)`):
            Final LiRA vector z = [g-part; h-part], L2-normalised. Where a row has a chosen English translation, the
            g half is the anchored LRL vector plus LaSR's residual and the h half the translation's adaptor vector
            plus LaSR's residual, weighted by a learned scale. Without a translation it is `lrl_embeddings`. Use it
            for retrieval.
        anchored_embeddings (`torch.FloatTensor` of shape `(B, d)`):
            Arca's LRL-only sentence vector A(pool g(x)) (pool = `config.encoder_pooling`, the masked mean by
            default), L2-normalised; equals the sentence-transformers export.
        lrl_embeddings (`torch.FloatTensor` of shape `(B, 2d)`):
            The LRL-only view: `[anchored_embeddings; 0]` (so its cosines equal the widget export's), or LaSR's
            vector with the English slot masked when `config.lrl_residual` is set; equals `embeddings` without
            candidates.
        english_embeddings (`torch.FloatTensor` of shape `(B, d)`, *optional*):
            Adaptor-space vector of the chosen candidate, L2-normalised (zeros where a row has none).
        language_logits (`torch.FloatTensor` of shape `(B, num_languages)`):
            Language-identification logits over `config.lang2id`.
        policy_logits (`torch.FloatTensor` of shape `(B, K)`, *optional*):
            Actor scores over candidates.
        selected_candidate (`torch.LongTensor` of shape `(B,)`):
            Index of the chosen candidate, -1 where there is none.
        rl_loss, anchor_loss, language_id_loss (`torch.FloatTensor` of shape `()`, *optional*):
            The loss terms, for logging.
    """

    loss: Optional[torch.FloatTensor] = None
    embeddings: Optional[torch.FloatTensor] = None
    anchored_embeddings: Optional[torch.FloatTensor] = None
    lrl_embeddings: Optional[torch.FloatTensor] = None
    english_embeddings: Optional[torch.FloatTensor] = None
    language_logits: Optional[torch.FloatTensor] = None
    policy_logits: Optional[torch.FloatTensor] = None
    selected_candidate: Optional[torch.LongTensor] = None
    rl_loss: Optional[torch.FloatTensor] = None
    anchor_loss: Optional[torch.FloatTensor] = None
    language_id_loss: Optional[torch.FloatTensor] = None


def _build_encoder(config):
    """Builds a sub-encoder from its config (never downloads): any `AutoModel` text model (BertModel, XLMRobertaModel,
    MPNetModel, Qwen3Model, ...); drops the unused pooler where the class has one (decoders such as Qwen3Model take
    no `add_pooling_layer`)."""
    try:
        return AutoModel.from_config(config, add_pooling_layer=False)
    except TypeError:
        return AutoModel.from_config(config)


# What `LiraConfig.lrl_only` leaves out: modules (and the one adaptor parameter) that only candidate mode reads. Their
# checkpoint keys match these patterns (regexes, `PreTrainedModel._keys_to_ignore_on_load_unexpected`), so loading a
# full checkpoint skips them without an "unexpected keys" report. LaSR is left out only without `lrl_residual` (with it
# the LRL-only vector reads LaSR too).
LRL_ONLY_SKIPPED = ("english_encoder", "arca", "adaptor.english_in")
LRL_ONLY_SKIPPED_LASR = "lasr"


def _skipped_key_pattern(name):
    """Regex of the checkpoint keys of module / parameter `name` (at the top or under a wrapper's prefix)."""
    escaped = name.replace(".", r"\.")
    return rf"(^|\.){escaped}($|\.)"


def lrl_only_skipped(config):
    """Names of the modules (and the adaptor parameter) a `config.lrl_only` model does not build."""
    if not getattr(config, "lrl_only", False):
        return ()
    return LRL_ONLY_SKIPPED + (() if config.lrl_residual else (LRL_ONLY_SKIPPED_LASR,))


# Candidate rows per h forward on CPU (`LiraModel._encode_candidates`): length-sorted chunks of this many rows
# carry little padding; an execution detail, not a hyperparameter (the vectors do not depend on it).
CANDIDATE_CHUNK_ROWS = 64

_FORWARD_PARAMETERS = {}  # encoder class -> the argument names of its forward


def _forward_parameters(encoder):
    """Names of the arguments `encoder.forward` takes (LoRA changes layers inside, not the class's forward)."""
    key = type(encoder)
    if key not in _FORWARD_PARAMETERS:
        _FORWARD_PARAMETERS[key] = frozenset(inspect.signature(encoder.forward).parameters)
    return _FORWARD_PARAMETERS[key]


def encoder_kwargs(encoder, token_type_ids):
    """The extra keyword arguments one sub-encoder gets besides `input_ids` and `attention_mask`.

    `token_type_ids` only where the model takes them (BERT-style; decoders and MPNet do not). `use_cache=False` where
    the model has a key/value cache (decoders): an embedding forward never reuses it, and building it costs memory.
    Position ids are left to the model's own convention (XLM-R and MPNet count from the padding id, rotary decoders
    from 0, which is relative and so the same for left and right padding), as sentence-transformers runs them.
    """
    accepted = _forward_parameters(encoder)
    kwargs = {}
    if token_type_ids is not None and "token_type_ids" in accepted:
        kwargs["token_type_ids"] = token_type_ids
    if "use_cache" in accepted:
        kwargs["use_cache"] = False
    return kwargs


class LiraPreTrainedModel(PreTrainedModel):
    config_class = LiraConfig
    base_model_prefix = "lira"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _no_split_modules = ["LiraLaSRHead"]

    def _init_weights(self, module):
        """Identity adaptor (untrained model = backbone geometry), zero LaSR output, default init elsewhere."""
        super()._init_weights(module)
        if isinstance(module, LiraArcaAdaptor):
            init.eye_(module.lrl_in)
            if module.english_in is not None:  # absent in an `lrl_only` model
                init.eye_(module.english_in)
            init.eye_(module.shared_weight)
            init.zeros_(module.shared_bias)
        elif isinstance(module, LiraArcaActor):
            cfg = self.config
            weights = torch.tensor([cfg.reward_alpha, cfg.reward_beta, cfg.reward_gamma, cfg.reward_delta])
            init.copy_(module.reward_prior, weights * cfg.actor_prior_scale)  # skips weights loaded from disk
        elif isinstance(module, LiraLaSRHead):
            init.zeros_(module.output.weight)
            init.zeros_(module.output.bias)
            init.zeros_(module.cls)
            init.constant_(module.english_scale, module.english_scale_init)


class LiraModel(LiraPreTrainedModel):
    r"""
    LiRA (Linguistic Robust Anchoring, arXiv 2510.14466) for retrieval in low-resource languages.

    Modes: *LRL-only* (no candidates: `anchored_embeddings` / `embeddings` from g alone) and *full* (K English
    candidate translations with critic scores: the actor picks one, LaSR fuses it with the LRL bins).

    For LRL-only encoding alone, load it with `LiraModel.from_pretrained(path, lrl_only=True)` (`config.lrl_only`):
    h, the adaptor's English projection, the actor and (without `lrl_residual`) LaSR are then not built, and their
    weights in the checkpoint are not loaded; the LRL-only outputs are those of the full model.

    Args:
        config ([`LiraConfig`]): model configuration; sub-encoders are built from `config.encoder_config` and
            `config.english_encoder_config` (the latter only without `config.lrl_only`).
    """

    def __init__(self, config):
        super().__init__(config)
        lrl_only = getattr(config, "lrl_only", False)
        if isinstance(lrl_only, str) or lrl_only not in (True, False):  # `from_pretrained(..., lrl_only=x)` sets it
            raise ValueError(f"LiraConfig.lrl_only={lrl_only!r} must be True or False.")  # after LiraConfig's checks
        config.lrl_only = lrl_only = bool(lrl_only)
        skipped = lrl_only_skipped(config)
        self.encoder = _build_encoder(config.encoder_config)
        self.english_encoder = None if lrl_only else _build_encoder(config.english_encoder_config)
        self.pooling = LiraBinPooling(config.num_bins)
        self.adaptor = LiraArcaAdaptor(config.encoder_config.hidden_size,
                                       None if lrl_only else config.english_encoder_config.hidden_size,
                                       config.adaptor_dim)
        self.arca = None if lrl_only else LiraArcaAnchor(config)
        self.language_identifier = LiraLanguageIdentifier(config.encoder_config.hidden_size, config.num_languages)
        self.lasr = None if LRL_ONLY_SKIPPED_LASR in skipped else LiraLaSRHead(config)
        if skipped:  # the checkpoint's weights of what is not built are skipped on load, without a warning
            self._keys_to_ignore_on_load_unexpected = [
                *(type(self)._keys_to_ignore_on_load_unexpected or ()), *map(_skipped_key_pattern, skipped)]
        self.post_init()

    def freeze_backbones(self, multilingual=True, english=True):
        """Sets `requires_grad=False` on the multilingual (g) and/or English (h) encoder (h is absent in an
        `lrl_only` model)."""
        for flag, module in [(multilingual, self.encoder), (english, self.english_encoder)]:
            if flag and module is not None:
                module.requires_grad_(False)

    def train(self, mode=True):
        """Sets train / eval mode like `nn.Module.train`; in train mode a sub-encoder whose weights are all frozen
        stays in eval mode (no dropout) unless `config.frozen_encoder_dropout` is set. PEFT and DDP wrappers reach
        this method through `nn.Module.train`'s recursion, and the Trainer calls it before every step."""
        super().train(mode)
        if mode and not getattr(self.config, "frozen_encoder_dropout", False):
            for encoder in (self.encoder, self.english_encoder):
                if encoder is not None and not any(p.requires_grad for p in encoder.parameters()):
                    encoder.eval()
        return self

    def _encode_stream(self, encoder, stream, input_ids, attention_mask, token_type_ids):
        """Runs one encoder and pools it. Returns adaptor-space bins `(B, S, d)`, bin mask `(B, S)`, sentence
        vector `(B, d)` and the raw sentence vector `(B, D)`: the masked mean, or the first / last real token's state
        as `config.encoder_pooling` (stream `"lrl"`) / `config.english_pooling` (stream `"english"`) says."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        kwargs = encoder_kwargs(encoder, token_type_ids)
        states = encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state  # (B,T,D)
        # padded positions are never read; zeroing them keeps a model whose padded rows are not finite from leaking
        # NaN into the sums (0 * NaN), and changes nothing where they are finite
        states = states.masked_fill(~attention_mask.bool().unsqueeze(-1), 0.0)  # (B, T, D)
        bin_sums, bin_counts = self.pooling(states, attention_mask)
        bin_means, mean = bins_to_means(bin_sums, bin_counts)  # (B, S, D), (B, D)
        pooling = self.config.encoder_pooling if stream == "lrl" else self.config.english_pooling
        sentence = sentence_vector(states, attention_mask, pooling, mean)  # (B, D)
        return self.adaptor(bin_means, stream), bin_counts > 0, self.adaptor(sentence, stream), sentence

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: Optional[torch.Tensor] = None,
        token_type_ids: Optional[torch.LongTensor] = None,
        lang_ids: Optional[torch.LongTensor] = None,
        candidate_input_ids: Optional[torch.LongTensor] = None,
        candidate_attention_mask: Optional[torch.Tensor] = None,
        candidate_mask: Optional[torch.BoolTensor] = None,
        critic_scores: Optional[torch.FloatTensor] = None,
        language_labels: Optional[torch.LongTensor] = None,
        return_loss: Optional[bool] = None,
        sample_candidates: Optional[bool] = None,
        inputs_embeds: Optional[torch.Tensor] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
    ) -> LiraModelOutput:
        r"""
        Args:
            input_ids (`torch.LongTensor` of shape `(B, T)`): LRL text tokenised for g (query / document prefix
                included), padded on either side.
            attention_mask (`torch.Tensor` of shape `(B, T)`, *optional*).
            token_type_ids (`torch.LongTensor` of shape `(B, T)`, *optional*): passed on only to a g that takes
                them (not to decoders or MPNet).
            lang_ids (`torch.LongTensor` of shape `(B,)`, *optional*): ids from `config.lang2id`, -1 = unknown
                (the language-id head then supplies a soft language embedding).
            candidate_input_ids (`torch.LongTensor` of shape `(B, K, L)`, *optional*): candidate translations
                tokenised for h. A `config.lrl_only` model has no h and raises a `ValueError` when given them.
            candidate_attention_mask (`torch.Tensor` of shape `(B, K, L)`, *optional*).
            candidate_mask (`torch.BoolTensor` of shape `(B, K)`, *optional*): which candidate slots are real.
            critic_scores (`torch.FloatTensor` of shape `(B, K, 3)`, *optional*): semantic, emotional, pragmatic
                in [1, 10]; neutral 5.5 when missing.
            language_labels (`torch.LongTensor` of shape `(B,)`, *optional*): gold language ids for the language-id
                loss (-100 = ignore).
            return_loss (`bool`, *optional*): compute `loss` even without `language_labels`.
            sample_candidates (`bool`, *optional*): sample the actor (defaults to `self.training`).
            inputs_embeds, output_attentions, output_hidden_states, return_dict: accepted so that PEFT's
                feature-extraction wrapper can call the model; `inputs_embeds` is not supported, the others are
                ignored (the output is always a [`LiraModelOutput`]).
        """
        if inputs_embeds is not None:
            raise ValueError("LiraModel needs input_ids (both encoders are tokenised separately); inputs_embeds "
                             "is not supported.")
        if input_ids is None or input_ids.ndim != 2:
            raise ValueError(f"input_ids must be a (batch, seq_len) tensor, got "
                             f"{None if input_ids is None else tuple(input_ids.shape)}; use LiraProcessor.")
        if lang_ids is not None and int(lang_ids.max()) >= self.config.num_languages:
            raise ValueError(f"lang_ids contains {int(lang_ids.max())}, but the model knows "
                             f"{self.config.num_languages} languages {sorted(self.config.lang2id)}.")
        if candidate_input_ids is not None and self.config.lrl_only:
            raise ValueError("This LiraModel was loaded with lrl_only=True (LiraConfig.lrl_only): it has no English "
                             "encoder h, so it cannot encode candidate_input_ids. Drop the candidates for LRL-only "
                             "vectors, or load the full checkpoint without lrl_only (LiraModel.from_pretrained(path)) "
                             "to use them.")
        lrl_bins, lrl_mask, lrl_vector, lrl_mean = self._encode_stream(
            self.encoder, "lrl", input_ids, attention_mask, token_type_ids)
        language_logits = self.language_identifier(lrl_mean)  # (B, L)
        language_vector = None  # LaSR's input: read only with candidates or `lrl_residual`
        if candidate_input_ids is not None or self.config.lrl_residual:
            if self.lasr is None:  # `lrl_residual` switched on after an `lrl_only` model was built without LaSR
                raise ValueError("This lrl_only LiraModel was built without its LaSR head (lrl_residual was off); "
                                 "load it with from_pretrained(path, lrl_only=True, lrl_residual=True) instead.")
            language_vector = self.lasr.language_vector(language_logits, lang_ids)  # (B, d)

        batch = input_ids.shape[0]
        english_bins = english_mask = english_vector = policy_logits = None
        selected = torch.full((batch,), -1, dtype=torch.long, device=input_ids.device)
        rl = anchor = None
        if candidate_input_ids is not None:
            english_bins, english_mask, english_vector, policy_logits, selected, rl, anchor = self._arca(
                lrl_vector, candidate_input_ids, candidate_attention_mask, candidate_mask, critic_scores,
                self.training if sample_candidates is None else sample_candidates)

        anchored = F.normalize(lrl_vector, dim=-1)
        if self.config.lrl_residual:
            lrl_view = self._compose(lrl_vector, self.lasr(lrl_bins, lrl_mask, None, None, language_vector))
        else:  # LRL-only mode is Arca's anchored vector, zero-padded: the widget export retrieves the same way
            lrl_view = torch.cat([anchored, torch.zeros_like(anchored)], dim=-1)  # (B, 2d)
        full_view = lrl_view
        if english_bins is not None:
            residual = self.lasr(lrl_bins, lrl_mask, english_bins, english_mask, language_vector)
            has_english = selected >= 0
            full_view = torch.where(has_english.unsqueeze(-1),
                                    self._compose(lrl_vector, residual, english_vector, has_english), lrl_view)

        language_id_loss = None
        if language_labels is not None:
            language_id_loss = F.cross_entropy(language_logits.float(), language_labels, ignore_index=-100)
        loss = None
        if return_loss or language_labels is not None:
            loss = lrl_vector.new_zeros((), dtype=torch.float32)
            if rl is not None:
                loss = loss + rl + self.config.anchor_weight * anchor
            if language_id_loss is not None:
                loss = loss + self.config.language_id_weight * language_id_loss
        return LiraModelOutput(
            loss=loss, embeddings=full_view, anchored_embeddings=anchored, lrl_embeddings=lrl_view,
            english_embeddings=None if english_vector is None else F.normalize(english_vector, dim=-1),
            language_logits=language_logits, policy_logits=policy_logits, selected_candidate=selected,
            rl_loss=rl, anchor_loss=anchor, language_id_loss=language_id_loss,
        )

    def _compose(self, lrl_vector, residual, english_vector=None, has_english=None):
        """z = normalize([norm(E_lr + r_g); s * norm(E_en + r_h)]); without English the h half is zero.

        The LRL-only view never guesses the English half: a head trained on a few hundred products memorises them
        (a 400-step run at lr 5e-4 whose LRL view carried LaSR's own h estimate fell from 0.39 to 0.09 validation
        nDCG@10 by step 100, while the consistency loss kept pulling that estimate towards the s-weighted h half).

        Shapes: lrl_vector `(B, d)`, residual `(B, 2d)`, english_vector `(B, d)`, has_english `(B,)` -> `(B, 2d)`.
        """
        d = lrl_vector.shape[-1]
        g_part = F.normalize(lrl_vector + residual[:, :d], dim=-1)
        h_part = torch.zeros_like(g_part)
        if english_vector is not None:
            h_full = self.lasr.english_scale * F.normalize(english_vector + residual[:, d:], dim=-1)
            h_part = torch.where(has_english.unsqueeze(-1), h_full, h_part)
        return F.normalize(torch.cat([g_part, h_part], dim=-1), dim=-1)

    def _encode_candidates(self, input_ids, attention_mask):
        """h over N real candidate rows `(N, L)`, each distinct row once, in length-sorted chunks cut to their longest
        row: the same bins `(N, S, d)`, bin mask `(N, S)` and sentence vectors `(N, d)` as one padded batch (rows are
        independent and trailing padding is masked), for fewer token positions. A batch's K candidates and its
        products' titles repeat each other (about a fifth of the rows of a training batch) and half of its candidate
        tokens are padding; on CUDA one chunk keeps the kernel count of one batch."""
        key = torch.cat([input_ids, attention_mask.to(input_ids.dtype)], dim=-1)  # (N, 2L): a row and its mask
        unique, inverse = torch.unique(key, dim=0, return_inverse=True)  # (U, 2L), (N,)
        ids, mask = unique.split(input_ids.shape[-1], dim=-1)  # (U, L) each
        order = mask.sum(-1).argsort(stable=True)  # (U,): shortest first
        chunk = ids.shape[0] if ids.is_cuda else CANDIDATE_CHUNK_ROWS
        parts = []
        for rows in order.split(chunk):
            width = int(mask[rows].any(0).nonzero().max()) + 1 if bool(mask[rows].any()) else 1
            b, m, v, _ = self._encode_stream(self.english_encoder, "english", ids[rows, :width], mask[rows, :width],
                                             None)
            parts.append((b, m, v))
        back = order.argsort()[inverse]  # (N,): position of each input row in the sorted, unique order
        return tuple(torch.cat(t)[back] for t in zip(*parts))

    def _arca(self, lrl_vector, cand_ids, cand_attention, cand_mask, critic_scores, sample):
        """Encodes the real candidates with h, lets the actor choose, returns the chosen stream and Arca losses."""
        batch, num_cand, length = cand_ids.shape
        if num_cand > self.config.num_candidates:
            raise ValueError(f"got {num_cand} candidates per row, config.num_candidates={self.config.num_candidates}; "
                             f"pass at most that many or raise num_candidates.")
        if cand_attention is None:
            cand_attention = torch.ones_like(cand_ids)
        if cand_mask is None:
            cand_mask = cand_attention.sum(-1) > 0
        cand_mask = cand_mask.bool()
        if critic_scores is None:
            critic_scores = torch.full((batch, num_cand, 3), 5.5, device=cand_ids.device)
        d = self.config.adaptor_dim
        flat = cand_mask.reshape(-1).nonzero().squeeze(-1)  # indices of real candidates
        dtype = lrl_vector.dtype
        bins = lrl_vector.new_zeros(batch * num_cand, self.config.num_bins, d)
        bin_mask = torch.zeros(batch * num_cand, self.config.num_bins, dtype=torch.bool, device=cand_ids.device)
        vectors = lrl_vector.new_zeros(batch * num_cand, d)
        if flat.numel():
            b, m, v = self._encode_candidates(cand_ids.reshape(-1, length)[flat],
                                              cand_attention.reshape(-1, length)[flat])
            bins = bins.index_put((flat,), b.to(dtype))
            bin_mask = bin_mask.index_put((flat,), m)
            vectors = vectors.index_put((flat,), v.to(dtype))
        bins = bins.view(batch, num_cand, -1, d)  # (B, K, S, d)
        bin_mask = bin_mask.view(batch, num_cand, -1)  # (B, K, S)
        vectors = vectors.view(batch, num_cand, d)  # (B, K, d)

        choice = self.arca.select(lrl_vector, vectors, critic_scores.to(dtype), cand_mask, sample)
        actions = choice["actions"]  # (B,)
        has = actions >= 0
        idx = actions.clamp(min=0)
        rows = torch.arange(batch, device=cand_ids.device)
        chosen_bins = bins[rows, idx]  # (B, S, d)
        chosen_mask = bin_mask[rows, idx] & has.unsqueeze(-1)  # (B, S)
        chosen_vector = vectors[rows, idx]  # (B, d)
        rl = reinforce_loss(choice["policy_logits"].float(), actions, choice["rewards"], cand_mask)
        anchor = anchor_loss(lrl_vector.float(), chosen_vector.float(), has)
        return chosen_bins, chosen_mask, chosen_vector, choice["policy_logits"], actions, rl, anchor


__all__ = ["LiraModel", "LiraPreTrainedModel", "LiraModelOutput"]
