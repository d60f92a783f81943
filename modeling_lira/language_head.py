"""LaSR: the light language-aware Transformer that fuses the pooled bins of g(x) and of the chosen h(y).

Language awareness without being told: a language-identification head on g(x) gives a distribution over
`config.lang2id`; when no language id is passed, that distribution mixes the language embeddings (a soft
language embedding). With no translation the English slot is masked out of attention, so the head also works for
users without a translator.

LaSR returns a residual for both halves of the concatenated representation z = [g-part; h-part] (the paper's
[g(x); h(y)]): the g half refines the anchored LRL vector, the h half refines the chosen translation's vector (and
is left empty without a translation). The output projection is zero-initialised, so an untrained LaSR returns
exactly Arca's vectors.
"""

import torch
from torch import nn


class LiraLanguageIdentifier(nn.Module):
    """Linear language-identification head on the mean-pooled states of g.

    Args:
        hidden_size (`int`): width of g.
        num_languages (`int`).
    """

    def __init__(self, hidden_size, num_languages):
        super().__init__()
        self.norm = nn.LayerNorm(hidden_size)
        self.classifier = nn.Linear(hidden_size, num_languages)

    def forward(self, pooled):
        """`(B, D_g)` -> language logits `(B, num_languages)`."""
        return self.classifier(self.norm(pooled))


class LiraLaSRHead(nn.Module):
    """Fusion Transformer over [CLS; LRL bins; English bins] with segment, bin-position and language embeddings.

    Args:
        config ([`LiraConfig`]).
    """

    def __init__(self, config):
        super().__init__()
        d = config.adaptor_dim
        self.num_bins = config.num_bins
        self.use_language_embedding = config.use_language_embedding
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.segment = nn.Embedding(3, d)  # 0 = CLS, 1 = LRL bins, 2 = English bins
        self.position = nn.Embedding(config.num_bins, d)
        self.language = nn.Embedding(config.num_languages, d)
        self.input_norm = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(
            d_model=d, nhead=config.lasr_num_heads, dim_feedforward=config.lasr_intermediate_size,
            dropout=config.lasr_dropout, activation="gelu", batch_first=True, norm_first=True,
        )
        self.layers = nn.TransformerEncoder(layer, config.lasr_num_layers, enable_nested_tensor=False)
        self.output_norm = nn.LayerNorm(d)
        self.output = nn.Linear(d, 2 * d)  # [g residual; h residual], zero-initialised in _init_weights
        self.english_scale_init = config.english_scale_init
        self.english_scale = nn.Parameter(torch.ones(()))  # learnable weight s of the h half in z

    def language_vector(self, language_logits, lang_ids):
        """Hard embedding for rows with a known language id, soft (probability-weighted) otherwise.

        Args:
            language_logits (`(B, L)`), lang_ids (`(B,)` long with -1 for unknown, or None).

        Returns:
            `(B, d)`.
        """
        if not self.use_language_embedding:
            return language_logits.new_zeros(language_logits.shape[0], self.language.weight.shape[1])
        soft = torch.softmax(language_logits.float(), -1).to(self.language.weight.dtype) @ self.language.weight
        if lang_ids is None:
            return soft
        known = lang_ids >= 0
        hard = self.language(lang_ids.clamp(min=0))
        return torch.where(known.unsqueeze(-1), hard, soft)

    def forward(self, lrl_bins, lrl_bin_mask, english_bins, english_bin_mask, language_vector):
        """
        Args:
            lrl_bins (`(B, S, d)`): adaptor-space bins of g(x); lrl_bin_mask (`(B, S)` bool, true = non-empty).
            english_bins (`(B, S, d)` or None); english_bin_mask (`(B, S)` bool or None; all false = no translation).
            language_vector (`(B, d)`).

        Returns:
            residual `(B, 2d)`: the first d values refine the anchored LRL vector, the last d the English one.
        """
        batch, num_bins, _ = lrl_bins.shape
        positions = self.position.weight[:num_bins].unsqueeze(0)  # (1, S, d)
        lrl = lrl_bins + positions + self.segment.weight[1]
        if english_bins is None:
            english_bins = torch.zeros_like(lrl_bins)
            english_bin_mask = torch.zeros_like(lrl_bin_mask)
        english = english_bins + positions + self.segment.weight[2]
        cls = self.cls.expand(batch, -1, -1) + self.segment.weight[0]
        tokens = torch.cat([cls, lrl, english], dim=1) + language_vector.unsqueeze(1)  # (B, 1 + 2S, d)
        keep = torch.cat([torch.ones_like(lrl_bin_mask[:, :1]), lrl_bin_mask, english_bin_mask], dim=1)
        hidden = self.layers(self.input_norm(tokens), src_key_padding_mask=~keep)  # (B, 1 + 2S, d)
        return self.output(self.output_norm(hidden[:, 0]))  # (B, 2d)
