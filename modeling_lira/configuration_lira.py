"""LiRA configuration: every hyperparameter of Arca (anchoring) and LaSR (language-aware head) in one place."""

import math
import numbers

from transformers import AutoConfig, BertConfig

try:  # transformers >= 5 renamed the base class; the old name stays as an alias
    from transformers import PreTrainedConfig
except ImportError:  # pragma: no cover - transformers 4.x
    from transformers import PretrainedConfig as PreTrainedConfig


DEFAULT_LANG2ID = {"vi": 0, "th": 1, "id": 2, "ms": 3, "fil": 4, "ur": 5, "bn": 6, "en": 7}

# Shapes of the embedded default `lira-small`: g = multilingual-e5-small, h = all-MiniLM-L6-v2.
_ME5_SMALL = dict(
    model_type="bert", vocab_size=250037, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
    intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2, pad_token_id=1, layer_norm_eps=1e-12,
)
_MINILM_L6 = dict(
    model_type="bert", vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
    intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2, pad_token_id=0, layer_norm_eps=1e-12,
)


# Bounds of LiraConfig's numbers (checked in `LiraConfig.__init__`, so a saved config.json is checked on load too).
# The maxima are sanity limits far above any useful value, there to refuse typos and hostile files (num_bins=10^9
# would allocate a 10^9-row embedding) with a message instead of an out-of-memory crash.
MAX_WIDTH = 65_536  # any width: adaptor_dim, actor/LaSR widths, the encoders' hidden / intermediate sizes and heads
MAX_LAYERS = 256  # LaSR layers, the encoders' num_hidden_layers
MAX_BINS = 512  # S: at most one bin per token of a 512-position BERT-style encoder
MAX_CANDIDATES = 64  # K English candidates per text
MAX_QUEUE = 65_536  # DocQueue / CorrQueue capacity and the soft nDCG cut-off (the losses are quadratic in them)
MAX_VOCAB = 4_194_304  # the encoders' vocab_size and type_vocab_size
MAX_POSITIONS = 131_072  # the encoders' max_position_embeddings
MAX_WEIGHT = 1e6  # loss weights, reward weights and scales (larger ones overflow float32 losses)
MIN_TEMPERATURE, MAX_TEMPERATURE = 1e-6, 1e6  # softmax / soft-rank temperatures (logits are divided by them)

_INT_FIELDS = {  # name: (low, high), both included
    "adaptor_dim": (1, MAX_WIDTH), "num_bins": (1, MAX_BINS), "num_candidates": (1, MAX_CANDIDATES),
    "actor_hidden_size": (1, MAX_WIDTH), "lasr_num_layers": (0, MAX_LAYERS), "lasr_num_heads": (1, MAX_WIDTH),
    "lasr_intermediate_size": (1, MAX_WIDTH), "doc_queue_size": (0, MAX_QUEUE), "corr_queue_size": (1, MAX_QUEUE),
    "correlation_max_pairs": (2, MAX_QUEUE), "ndcg_k": (1, MAX_QUEUE),
}
_WEIGHTS = ("reward_alpha", "reward_beta", "reward_gamma", "reward_delta", "anchor_weight", "actor_prior_scale",
            "english_scale_init", "retrieval_weight", "hinge_weight", "contrastive_weight", "correlation_weight",
            "consistency_weight", "distillation_weight", "language_id_weight", "parallel_anchor_weight")
_TEMPERATURES = ("ndcg_temperature", "spearman_temperature", "retrieval_temperature", "distillation_temperature")
_FLOAT_FIELDS = {  # name: (low, high, high_open)
    **{name: (0.0, MAX_WEIGHT, False) for name in _WEIGHTS},
    **{name: (MIN_TEMPERATURE, MAX_TEMPERATURE, False) for name in _TEMPERATURES},
    "hinge_margin": (0.0, 2.0, False),  # a margin between two cosines
    "lasr_dropout": (0.0, 1.0, True),
    "correlation_alpha": (0.0, 1.0, False),
    "initializer_range": (0.0, 1.0, False),
}
_BOOL_FIELDS = ("lrl_residual", "use_language_embedding", "frozen_encoder_dropout", "lrl_only")
POOLINGS = ("mean", "cls", "last_token")  # the sentence vector of a stream (see `LiraConfig.encoder_pooling`)
PADDING_SIDES = ("right", "left")
MAX_PREFIX_CHARS = 4096  # an instruction prefix longer than this is a mistake (it would crowd out the text)
_CHOICE_FIELDS = {"encoder_pooling": POOLINGS, "english_pooling": POOLINGS, "encoder_padding_side": PADDING_SIDES,
                  "english_padding_side": PADDING_SIDES}
_PREFIX_FIELDS = ("query_prefix", "document_prefix", "english_prefix")
_ENCODER_INTS = {  # checked where the encoder config has the field (hidden_size is required)
    "hidden_size": (1, MAX_WIDTH), "num_hidden_layers": (1, MAX_LAYERS), "num_attention_heads": (1, MAX_WIDTH),
    "intermediate_size": (1, MAX_WIDTH), "vocab_size": (1, MAX_VOCAB), "type_vocab_size": (1, MAX_VOCAB),
    "max_position_embeddings": (1, MAX_POSITIONS), "head_dim": (1, MAX_WIDTH), "num_key_value_heads": (1, MAX_WIDTH),
}
_ENCODER_FLOATS = {  # name: (low, high, low_open, high_open)
    "layer_norm_eps": (0.0, 1.0, True, False), "rms_norm_eps": (0.0, 1.0, True, False),
    "hidden_dropout_prob": (0.0, 1.0, False, True), "attention_probs_dropout_prob": (0.0, 1.0, False, True),
    "attention_dropout": (0.0, 1.0, False, True), "initializer_range": (0.0, 1.0, False, False),
}


def short_repr(value, limit=80):
    """`repr(value)` cut to `limit` characters (an error message quotes a stranger's value, not all of it)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _number_text(x):
    """`x` for a message: integral values as integers (65536, 1000000), others in `%g` form (1e-06)."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


def range_text(low, high, low_open=False, high_open=False):
    """`[low, high]` with `(` / `)` for open ends."""
    return f"{'(' if low_open else '['}{_number_text(low)}, {_number_text(high)}{')' if high_open else ']'}"


def number_problem(value, low, high, integer=False, low_open=False, high_open=False):
    """What keeps `value` from being a number in the range, or `None` when it is one.

    Args:
        value: the value to check (bools and strings are not numbers; ints of any size are compared exactly).
        low, high (`float`): the range.
        integer (`bool`, *optional*, defaults to `False`): ask for an integral number.
        low_open, high_open (`bool`, *optional*): exclude the end.

    Returns:
        `str` or `None`: `"it is None"`, `"it is a bool"`, `"it is a str"`, ..., `"it is not finite"`,
        `"it is not an integer"` or `"it is out of range"`.
    """
    if value is None:
        return "it is None"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"it is a {type(value).__name__}, not a number"
    if integer and not isinstance(value, numbers.Integral):
        return "it is not an integer"
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        return "it is not finite"
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    return None if above and below else "it is out of range"


def check_number(value, where, low, high, integer=False, low_open=False, high_open=False):
    """`value` as an `int` / `float` when it is a finite number in the range, else a `ValueError` naming `where`.

    Raises:
        `ValueError`: e.g. "LiraConfig.num_bins=1000000000 must be an integer in [1, 512]".
    """
    problem = number_problem(value, low, high, integer, low_open, high_open)
    if problem is not None:
        kind = "an integer" if integer else "a finite number"
        why = "" if problem == "it is out of range" else f" ({problem})"
        raise ValueError(f"{where}={short_repr(value)} must be {kind} in "
                         f"{range_text(low, high, low_open, high_open)}{why}; see the LiraConfig docstring.")
    return int(value) if integer else float(value)


def check_prefix(value, where):
    """`value` when it is an instruction prefix (a string of at most `MAX_PREFIX_CHARS` characters), else a
    `ValueError` naming `where` (e.g. "LiraConfig.query_prefix")."""
    if not isinstance(value, str) or len(value) > MAX_PREFIX_CHARS:
        raise ValueError(f"{where}={short_repr(value)} must be a string of at most {MAX_PREFIX_CHARS} characters "
                         "(an instruction prefix; '' for none).")
    return value


def check_choice(value, where, choices, none_means=None):
    """`value` when it is one of `choices` (or None where `none_means` says what None does), else a `ValueError`
    naming `where` and the choices."""
    if value is None and none_means is not None:
        return value
    if not isinstance(value, str) or value not in choices:
        extra = f" or None ({none_means})" if none_means is not None else ""
        raise ValueError(f"{where}={short_repr(value)} must be one of {', '.join(map(repr, choices))}{extra}; see "
                         "the LiraConfig docstring.")
    return value


def _check_encoder_fields(get, where):
    """Checks the numeric fields of an encoder config; `get(name)` returns the field's value or None."""
    for field, (low, high) in _ENCODER_INTS.items():
        if get(field) is not None:
            check_number(get(field), f"{where}.{field}", low, high, integer=True)
    for field, (low, high, low_open, high_open) in _ENCODER_FLOATS.items():
        if get(field) is not None:
            check_number(get(field), f"{where}.{field}", low, high, low_open=low_open, high_open=high_open)


def _declares(config, field):
    """Whether the config's class declares `field` (Qwen3Config's `head_dim`), not just carries a stray kwarg."""
    return any(field in vars(klass) or field in getattr(klass, "__annotations__", {})
               for klass in type(config).__mro__)


def _check_encoder(config, where):
    """Checks a built encoder config: sizes in range, heads dividing the width (or, where the architecture has an
    explicit `head_dim`, key/value heads dividing the heads), a pad id inside the vocabulary (or none)."""
    _check_encoder_fields(lambda field: getattr(config, field, None), where)
    hidden, heads = getattr(config, "hidden_size", None), getattr(config, "num_attention_heads", None)
    if hidden is None:
        raise ValueError(f"{where} ({type(config).__name__}) has no hidden_size; pass the config of a transformers "
                         "text encoder that AutoModel builds (e.g. BERT, XLM-R, MPNet or a decoder such as Qwen3).")
    explicit_heads = _declares(config, "head_dim") and getattr(config, "head_dim", None) is not None
    if heads is not None and hidden % heads and not explicit_heads:
        raise ValueError(f"{where}.hidden_size={hidden} is not divisible by num_attention_heads={heads}; pick a "
                         "head count that divides it.")
    kv_heads = getattr(config, "num_key_value_heads", None) if _declares(config, "num_key_value_heads") else None
    if heads is not None and kv_heads is not None and heads % kv_heads:
        raise ValueError(f"{where}.num_attention_heads={heads} is not divisible by num_key_value_heads={kv_heads}; "
                         "pick a key/value head count that divides it.")
    vocab, pad = getattr(config, "vocab_size", None), getattr(config, "pad_token_id", None)
    if pad is not None and vocab is not None:
        check_number(pad, f"{where}.pad_token_id", 0, vocab - 1, integer=True)


def _as_config(value, default, name):
    """Turns a dict / config / None into a checked transformers config (built from the dict, never downloaded)."""
    where = f"LiraConfig.{name}"
    if value is None:
        value = dict(default)
    if isinstance(value, dict):
        value = dict(value)
        model_type = value.pop("model_type", "bert")
        if not isinstance(model_type, str):
            raise ValueError(f"{where}.model_type={short_repr(model_type)} must be a transformers model type such "
                             "as 'bert' or 'xlm-roberta'.")
        _check_encoder_fields(value.get, where)  # our message before the config class's own type checks
        try:
            value = AutoConfig.for_model(model_type, **value)
        except Exception as err:  # transformers' strict configs raise huggingface_hub errors (not importable here)
            message = str(err) if len(str(err)) <= 300 else str(err)[:300] + "..."
            raise ValueError(f"{where} could not be built as a {model_type!r} config: {message}") from err
    if not isinstance(value, PreTrainedConfig):
        raise ValueError(f"{where} must be a dict or a PreTrainedConfig, got {type(value).__name__}; pass e.g. "
                         f"BertConfig(...).to_dict().")
    _check_encoder(value, where)
    return value


def _as_lang2id(value):
    """`lang2id` as a fresh dict of language code -> id, checked: str codes, ids 0..n-1, 'en' among them."""
    value = DEFAULT_LANG2ID if value is None else value
    if not isinstance(value, dict) or not value:
        raise ValueError(f"LiraConfig.lang2id must be a non-empty dict of language code -> id, got "
                         f"{short_repr(value)}.")
    for code, index in value.items():
        if not isinstance(code, str) or not code:
            raise ValueError(f"LiraConfig.lang2id key {short_repr(code)} must be a language code string such as 'vi'.")
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise ValueError(f"LiraConfig.lang2id[{code!r}]={short_repr(index)} must be an integer id.")
    ids = sorted(int(i) for i in value.values())
    if ids != list(range(len(ids))):
        raise ValueError(f"LiraConfig.lang2id must map codes to 0..n-1 without gaps, got {short_repr(value, 300)}.")
    if "en" not in value:
        raise ValueError(f"LiraConfig.lang2id must contain 'en' (the anchor language), got {sorted(value)}.")
    return {code: int(index) for code, index in value.items()}


class LiraConfig(PreTrainedConfig):
    r"""
    Configuration of a [`LiraModel`]: a multilingual encoder g(x), an English encoder h(y) over K candidate
    translations, Arca (S-bin pooling, shared adaptor, anchor loss, REINFORCE actor) and the LaSR fusion head.

    Values the paper (arXiv 2510.14466) leaves unstated are our documented choices.

    Every value is checked in `__init__`, so a loaded `config.json` is checked too: integers are ints (not bools),
    numbers finite, each in its range below; the counts have sanity maxima (the module's `MAX_*`): widths and heads
    <= 65,536, layers <= 256, `num_bins` <= 512, `num_candidates` <= 64, queue sizes and `ndcg_k` <= 65,536, weights
    and scales in [0, 1e6], temperatures in [1e-6, 1e6]. The encoder configs get the same treatment (`hidden_size`,
    `intermediate_size`, `num_attention_heads`, `head_dim`, `num_key_value_heads` in [1, 65,536] with the heads
    dividing the width, or where the architecture declares a `head_dim` (Qwen3) the key/value heads dividing the
    heads, `num_hidden_layers` in [1, 256], `vocab_size` and `type_vocab_size` in [1, 4,194,304],
    `max_position_embeddings` in [1, 131,072], dropouts in [0, 1), `layer_norm_eps` / `rms_norm_eps` in (0, 1],
    `pad_token_id` inside the vocabulary or None). The pooling and padding fields take one of their listed values,
    the prefixes are strings of at most 4,096 characters. A bad value raises a `ValueError` naming the field, the
    value and the valid range.

    Args:
        encoder_config (`dict` or `PreTrainedConfig`, *optional*):
            Config of the multilingual encoder g: any transformers text model that `AutoModel.from_config` builds
            and whose output has `last_hidden_state` (BERT, XLM-R, MPNet, or a decoder embedding model such as
            Qwen3-Embedding; pair it with the pooling, padding side and prefixes below). Defaults to the shape of
            multilingual-e5-small (12 layers, hidden 384, XLM-R vocabulary).
        english_encoder_config (`dict` or `PreTrainedConfig`, *optional*):
            Config of the English encoder h (the same kinds of model). Defaults to the shape of all-MiniLM-L6-v2 (6
            layers, hidden 384).
        encoder_pooling (`str`, *optional*, defaults to `"mean"`):
            How g's token states become its sentence vector, the one the adaptor maps to E_lr and the language
            identifier reads: `"mean"` (attention-masked mean, e5 / BERT style), `"cls"` (the first real token's
            state) or `"last_token"` (the last real token's state per the attention mask, for decoder embedding
            models; right for left and right padding). LaSR's S-bin pooling is mean pooling per bin either way.
        english_pooling (`str`, *optional*, defaults to `"mean"`):
            The same for h's candidate vectors E_en (all-MiniLM-L6-v2 and all-mpnet-base-v2 are mean-pooled).
        encoder_padding_side (`str`, *optional*, defaults to `"right"`):
            `"right"` or `"left"` (decoder embedding models such as Qwen3-Embedding): the side on which the
            processor pads g's batches (`LiraProcessor.from_config` copies it). The model reads positions from the
            attention mask, so its vectors do not depend on it.
        english_padding_side (`str`, *optional*, defaults to `"right"`):
            The same for h's tokenizer.
        query_prefix (`str`, *optional*, defaults to `"query: "`):
            Instruction prefix of queries read by g (the e5 convention; Qwen3-Embedding's is
            `"Instruct: <task>\nQuery:"`), at most 4,096 characters; the processor keeps its own copy.
        document_prefix (`str`, *optional*, defaults to `"passage: "`):
            Prefix of documents read by g (`text_type="document"`, alias `"passage"`); `""` for models without one.
        english_prefix (`str`, *optional*, defaults to `""`):
            Prefix of every text that goes through h (candidate translations and English documents); `""` for
            all-MiniLM-L6-v2 and all-mpnet-base-v2.
        adaptor_dim (`int`, *optional*, defaults to 384):
            Width d of the shared adaptor space. When it equals g's width the g side starts as the identity, so
            an untrained model ranks exactly like its backbone.
        num_bins (`int`, *optional*, defaults to 8):
            Number S of temporal pooling bins per sequence (the paper's S_feat), in [1, 512].
        num_candidates (`int`, *optional*, defaults to 4):
            Maximum number K of English candidate translations per input, in [1, 64].
        reward_alpha (`float`, *optional*, defaults to 1.0):
            Weight of the critic's semantic score s_k in the reward R_k = 0.1(a s + b e + g p) + d sim_k.
        reward_beta (`float`, *optional*, defaults to 0.25):
            Weight of the emotional score e_k.
        reward_gamma (`float`, *optional*, defaults to 0.25):
            Weight of the pragmatic score p_k.
        reward_delta (`float`, *optional*, defaults to 1.0):
            Weight of the adaptor-space cosine similarity sim_k.
        anchor_weight (`float`, *optional*, defaults to 1.0):
            eta in L_Arca = L_RL + eta * L_anchor.
        parallel_anchor_weight (`float`, *optional*, defaults to 1.0):
            Weight of Arca's anchor 1 - cos(E_lr, E_en) in stage 2 on parallel-text pairs (training with
            `--parallel-dataset`): the local text and the English text through g are both pulled toward the frozen
            h's vector of the English text. No effect without parallel pairs.
        actor_hidden_size (`int`, *optional*, defaults to 32):
            Hidden width of the actor MLP over c_k = [s_k, e_k, p_k, sim_k].
        actor_prior_scale (`float`, *optional*, defaults to 10.0):
            The actor's logits are MLP(c_k) + w . c_k, with the linear path w initialised to this scale times the
            reward weights (alpha, beta, gamma, delta): R_k is linear in c_k, so the untrained actor already ranks
            candidates by their expected reward (greedy at scale -> inf, uniform at 0) and REINFORCE refines it.
            0 gives the paper's plain MLP start (a near-uniform policy).
        lasr_num_layers (`int`, *optional*, defaults to 2):
            Transformer layers of the LaSR fusion head.
        lasr_num_heads (`int`, *optional*, defaults to 4):
            Attention heads of the LaSR head (must divide `adaptor_dim`).
        lasr_intermediate_size (`int`, *optional*, defaults to 768):
            Feed-forward width of the LaSR head.
        lasr_dropout (`float`, *optional*, defaults to 0.1):
            Dropout inside the LaSR head, in [0, 1).
        english_scale_init (`float`, *optional*, defaults to 5.0):
            Initial weight s of the English half of z = [g; s h] (only where a real English candidate exists): the
            cosine of two full-mode vectors is (cos_g + s^2 cos_h) / (1 + s^2). multilingual-e5's cosines sit in a
            narrow band, so g's differences are small next to MiniLM's; on the validation split (vi th id ur, 60
            queries each) s^2 = 25 ranked best (s = 2: 0.65 nDCG@10, s = 5: 0.78) before training. Learned in
            stage 2, then re-chosen on the validation split after training (`training/english_scale.py`), where
            the trained g earns more weight.
        candidate_selection (`str`, *optional*, defaults to `"critic"`):
            Which candidate the model uses at inference: `"critic"` takes the highest critic semantic score (earliest
            on ties, as translate-test's top candidate), `"actor"` the actor's argmax (the paper). Training samples
            the actor either way (stage 1 trains it by REINFORCE, stage 2 sees its choices). On the full test split
            (3 seeds) the same trained models scored 0.669 macro nDCG@10 with the critic's pick against 0.650 with
            the actor's, and only the critic's pick beats late fusion (README, Results).
        lrl_residual (`bool`, *optional*, defaults to `False`):
            Add LaSR's residual to the g half in LRL-only mode too (the original design). Off: the LRL-only vector is
            Arca's anchored vector, exactly what the sentence-transformers export (the Hub widget) serves, and LaSR
            acts only where an English candidate exists. On the main job's model the residual lowered LRL-only
            nDCG@10 in all 7 languages (0.447 -> 0.433 macro, full test split) and moved the vector away from the
            widget's (cosine 0.76-0.80).
        lrl_only (`bool`, *optional*, defaults to `False`):
            Build the model for LRL-only encoding (texts without English candidates) and nothing else: the English
            encoder h (`english_encoder`), the adaptor's English projection (`adaptor.english_in`), the actor
            (`arca`) and, unless `lrl_residual` is set, the LaSR head (`lasr`) are not built, and their weights in a
            full checkpoint are skipped on load (not read, no "unexpected keys" report). Pass it at load time:
            `LiraModel.from_pretrained(path, lrl_only=True)` or `AutoModel.from_pretrained(path,
            trust_remote_code=True, lrl_only=True)` (from_pretrained hands config fields to the config). Every
            LRL-only output (`embeddings`, `anchored_embeddings`, `lrl_embeddings`, `language_logits`) equals the
            full model's; a forward with `candidate_input_ids` raises a `ValueError`. On lira-small it leaves out
            25.4M of 143.2M parameters (h: 22.6M, 86 MiB of float32; LaSR: 2.7M; docs/speed.md has the memory
            measured). It is saved with the model: `save_pretrained` of an `lrl_only` model writes an LRL-only
            checkpoint (without h), which loads as `lrl_only` again; keep the full folder for candidate mode and
            training.
        frozen_encoder_dropout (`bool`, *optional*, defaults to `False`):
            Keep dropout on in a sub-encoder whose weights are all frozen (h in both training stages, g in stage 1)
            while the model is in train mode. Off: `LiraModel.train()` leaves such an encoder in eval mode, so the
            trainable heads learn on the features inference gives them, and the step skips its dropout kernels
            (`benchmarks/bench_train_throughput.py`). An encoder with any trainable weight (g with LoRA in stage 2)
            keeps its dropout either way.
        use_language_embedding (`bool`, *optional*, defaults to `True`):
            Add the (hard or soft) language embedding to LaSR's inputs; `False` is the "no language" ablation.
        lang2id (`dict[str, int]`, *optional*):
            Language codes known to the model; defaults to vi th id ms fil ur bn + en.
        doc_queue_size (`int`, *optional*, defaults to 0):
            Capacity of the DocQueue (detached document embeddings of earlier batches used as extra retrieval
            negatives); 0 turns it off (in-batch negatives only). Off by default: the paper does not say how queued
            embeddings are refreshed, and without a momentum encoder they go stale while LoRA moves the encoder. On
            our data (lira-small, 120 stage-2 steps) every DocQueue size we tried (64 = two batches old, 256) made
            the stage-2 loss climb after ~30 steps and validation nDCG@10 fall (0.437 -> 0.419 by step 60), while
            the same run without it improved monotonically (0.397 -> 0.443 at step 120). Soft nDCG is
            O(B (B + Q)^2) in memory, so keep it in the hundreds on CPU if you turn it on.
        corr_queue_size (`int`, *optional*, defaults to 512):
            Capacity of the CorrQueue (detached (prediction, target) similarity pairs for the correlation loss).
        correlation_max_pairs (`int`, *optional*, defaults to 2048):
            At most this many in-batch (query, product) pairs of a step enter the correlation loss; a global batch
            of B with B x B above it uses a uniform sample of that many pairs, drawn from the seed and the step (the
            same on every DDP rank). Soft Spearman is quadratic in its pairs, so without a cap the step grows as
            B^4 (batch 128: 16,384 pairs, 1.1 GB per pairwise tensor; the step ran at 0.19-0.22x the backbone's).
            The default leaves the recipe's batch 32 (1,024 pairs) unchanged.
        retrieval_weight (`float`, *optional*, defaults to 1.0):
            Weight of the soft nDCG@k loss.
        hinge_weight (`float`, *optional*, defaults to 0.5):
            lambda_h, weight of the pairwise hinge loss.
        hinge_margin (`float`, *optional*, defaults to 0.1):
            Cosine margin of the hinge loss, in [0, 2].
        contrastive_weight (`float`, *optional*, defaults to 1.0):
            Weight of an InfoNCE retrieval term over the same scores (our addition; it keeps the gradient alive
            where soft nDCG saturates).
        correlation_weight (`float`, *optional*, defaults to 1.0):
            Weight of the CorrQueue loss where similarity scores exist.
        correlation_alpha (`float`, *optional*, defaults to 0.5):
            Mix alpha(1 - Pearson) + (1 - alpha)(1 - SoftSpearman), alpha in [0, 1].
        consistency_weight (`float`, *optional*, defaults to 0.5):
            Weight of the InfoNCE consistency loss between the LRL-only and LRL+English views.
        distillation_weight (`float`, *optional*, defaults to 0.0):
            Weight of an English-teacher term in stage 2 (our addition): KL between the in-batch product ranking of
            the chosen English candidate (h half, detached) and that of the LRL-only view (g), for queries with a
            candidate. Off by default: in the ablation (seed 13, 20 + 100 steps, 150 test queries per language)
            turning it off changed LRL-only nDCG@10 by -0.002 [-0.009, +0.004] and raised candidate mode by +0.012
            [+0.003, +0.022]; the README's 3-seed benchmark was trained with 1.0.
        distillation_temperature (`float`, *optional*, defaults to 0.05):
            Softmax temperature of the English teacher's scores in that term.
        language_id_weight (`float`, *optional*, defaults to 0.1):
            Weight of the language-identification cross-entropy.
        ndcg_k (`int`, *optional*, defaults to 10):
            Cut-off k of the soft nDCG loss.
        ndcg_temperature (`float`, *optional*, defaults to 0.01):
            Temperature of the soft ranks in soft nDCG (true nDCG as it goes to 0). e5-style encoders put most
            cosines in a narrow band (about 0.7-0.9), so a larger value smears every rank to the middle.
        spearman_temperature (`float`, *optional*, defaults to 0.1):
            Temperature of the soft ranks in SoftSpearman.
        retrieval_temperature (`float`, *optional*, defaults to 0.05):
            Temperature of the InfoNCE retrieval, consistency and distillation (student) logits; 0.05 as in the
            plain fine-tune recipe (`training/finetune.py`).
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal init of new layers, in [0, 1].
    """

    model_type = "lira"
    sub_configs = {"encoder_config": AutoConfig, "english_encoder_config": AutoConfig}

    def __init__(
        self,
        encoder_config=None,
        english_encoder_config=None,
        adaptor_dim=384,
        num_bins=8,
        num_candidates=4,
        reward_alpha=1.0,
        reward_beta=0.25,
        reward_gamma=0.25,
        reward_delta=1.0,
        anchor_weight=1.0,
        parallel_anchor_weight=1.0,
        actor_hidden_size=32,
        actor_prior_scale=10.0,
        lasr_num_layers=2,
        lasr_num_heads=4,
        lasr_intermediate_size=768,
        lasr_dropout=0.1,
        english_scale_init=5.0,
        candidate_selection="critic",
        lrl_residual=False,
        frozen_encoder_dropout=False,
        lrl_only=False,
        use_language_embedding=True,
        lang2id=None,
        doc_queue_size=0,
        corr_queue_size=512,
        correlation_max_pairs=2048,
        retrieval_weight=1.0,
        hinge_weight=0.5,
        hinge_margin=0.1,
        contrastive_weight=1.0,
        correlation_weight=1.0,
        correlation_alpha=0.5,
        consistency_weight=0.5,
        distillation_weight=0.0,
        distillation_temperature=0.05,
        language_id_weight=0.1,
        ndcg_k=10,
        ndcg_temperature=0.01,
        spearman_temperature=0.1,
        retrieval_temperature=0.05,
        initializer_range=0.02,
        encoder_pooling="mean",
        english_pooling="mean",
        encoder_padding_side="right",
        english_padding_side="right",
        query_prefix="query: ",
        document_prefix="passage: ",
        english_prefix="",
        **kwargs,
    ):
        self.encoder_config = _as_config(encoder_config, _ME5_SMALL, "encoder_config")
        self.english_encoder_config = _as_config(english_encoder_config, _MINILM_L6, "english_encoder_config")
        self.encoder_pooling, self.english_pooling = encoder_pooling, english_pooling
        self.encoder_padding_side, self.english_padding_side = encoder_padding_side, english_padding_side
        self.query_prefix, self.document_prefix, self.english_prefix = query_prefix, document_prefix, english_prefix
        self.adaptor_dim = adaptor_dim
        self.num_bins = num_bins
        self.num_candidates = num_candidates
        self.reward_alpha, self.reward_beta = reward_alpha, reward_beta
        self.reward_gamma, self.reward_delta = reward_gamma, reward_delta
        self.anchor_weight = anchor_weight
        self.parallel_anchor_weight = parallel_anchor_weight
        self.actor_hidden_size = actor_hidden_size
        self.actor_prior_scale = actor_prior_scale
        self.lasr_num_layers = lasr_num_layers
        self.lasr_num_heads = lasr_num_heads
        self.lasr_intermediate_size = lasr_intermediate_size
        self.lasr_dropout = lasr_dropout
        self.english_scale_init = english_scale_init
        self.candidate_selection = candidate_selection
        self.lrl_residual = lrl_residual
        self.frozen_encoder_dropout = frozen_encoder_dropout
        self.lrl_only = lrl_only
        self.use_language_embedding = use_language_embedding
        self.lang2id = _as_lang2id(lang2id)
        self.doc_queue_size = doc_queue_size
        self.corr_queue_size = corr_queue_size
        self.correlation_max_pairs = correlation_max_pairs
        self.retrieval_weight = retrieval_weight
        self.hinge_weight = hinge_weight
        self.hinge_margin = hinge_margin
        self.contrastive_weight = contrastive_weight
        self.correlation_weight = correlation_weight
        self.correlation_alpha = correlation_alpha
        self.consistency_weight = consistency_weight
        self.distillation_weight = distillation_weight
        self.distillation_temperature = distillation_temperature
        self.language_id_weight = language_id_weight
        self.ndcg_k = ndcg_k
        self.ndcg_temperature = ndcg_temperature
        self.spearman_temperature = spearman_temperature
        self.retrieval_temperature = retrieval_temperature
        self.initializer_range = initializer_range
        self._validate()
        super().__init__(**kwargs)

    @property
    def num_languages(self):
        return len(self.lang2id)

    @property
    def id2lang(self):
        return {i: lang for lang, i in self.lang2id.items()}

    def _validate(self):
        """Checks every hyperparameter (types, finiteness, ranges; see the module's bounds) and stores numbers as
        plain `int` / `float` and flags as `bool`.

        Raises:
            `ValueError`: naming the field, its value and the valid range.
        """
        for name, (low, high) in _INT_FIELDS.items():
            setattr(self, name, check_number(getattr(self, name), f"LiraConfig.{name}", low, high, integer=True))
        for name, (low, high, high_open) in _FLOAT_FIELDS.items():
            setattr(self, name, check_number(getattr(self, name), f"LiraConfig.{name}", low, high,
                                             high_open=high_open))
        for name in _BOOL_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) or value not in (True, False):
                raise ValueError(f"LiraConfig.{name}={short_repr(value)} must be True or False.")
            setattr(self, name, bool(value))
        if self.adaptor_dim % self.lasr_num_heads:
            raise ValueError(f"LiraConfig.adaptor_dim={self.adaptor_dim} is not divisible by "
                             f"LiraConfig.lasr_num_heads={self.lasr_num_heads}; pick a head count that divides it.")
        if not isinstance(self.candidate_selection, str) or self.candidate_selection not in ("critic", "actor"):
            raise ValueError(f"LiraConfig.candidate_selection must be 'critic' or 'actor', got "
                             f"{short_repr(self.candidate_selection)}.")
        for name, choices in _CHOICE_FIELDS.items():
            check_choice(getattr(self, name), f"LiraConfig.{name}", choices)
        for name in _PREFIX_FIELDS:
            check_prefix(getattr(self, name), f"LiraConfig.{name}")


__all__ = ["LiraConfig", "BertConfig"]
