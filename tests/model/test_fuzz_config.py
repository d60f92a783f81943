"""Fuzz: generated values for every number of `LiraConfig` (and of its encoder configs). The result is a config whose
values are all finite and in range, which survives `to_dict` / `from_dict`, or a `ValueError` that names the field;
any other exception fails."""

import math

from hypothesis import given
from hypothesis import strategies as st

from modeling_lira import LiraConfig
from modeling_lira.configuration_lira import (
    _BOOL_FIELDS,
    _ENCODER_FLOATS,
    _ENCODER_INTS,
    _FLOAT_FIELDS,
    _INT_FIELDS,
)
from tests.fixtures_model import tiny_config_kwargs

FIELDS = sorted([*_INT_FIELDS, *_FLOAT_FIELDS, *_BOOL_FIELDS])
ENCODER_FIELDS = sorted([*_ENCODER_INTS, *_ENCODER_FLOATS, "pad_token_id"])
VALUE = st.one_of(
    st.integers(-3, 600),  # near the bounds of the counts
    st.integers(-(2**80), 2**80),
    st.floats(-2.0, 12.0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 10**400, -(10**400), 10**9, 0, -1, 1, 2, 4, 0.0, 0.5,
                     1.0, 1e-300, 1e-7, 1e300, True, False, None, "", "8", "nan", "0.1", [], [1], {}]),
    st.booleans(), st.none(), st.text(max_size=4),
)


def _in_range(name):
    """Values of `name` inside its range (so that many generated configs are accepted and round-trip)."""
    if name in _INT_FIELDS:
        low, high = _INT_FIELDS[name]
        return st.integers(low, min(high, 64))
    if name in _FLOAT_FIELDS:
        low, high, high_open = _FLOAT_FIELDS[name]
        return st.floats(low, high, exclude_max=high_open)
    return st.booleans() | st.sampled_from([0, 1])


IN_RANGE = st.fixed_dictionaries({}, optional={name: _in_range(name) for name in FIELDS})
ENCODER_IN_RANGE = st.fixed_dictionaries({}, optional={
    "hidden_size": st.sampled_from([8, 16, 32]), "num_hidden_layers": st.integers(1, 3),
    "vocab_size": st.integers(64, 128), "type_vocab_size": st.integers(1, 3),
    "max_position_embeddings": st.integers(1, 128), "layer_norm_eps": st.floats(1e-12, 1.0),
    "hidden_dropout_prob": st.floats(0.0, 0.99), "initializer_range": st.floats(0.0, 1.0)})
LANG2ID = st.one_of(
    st.dictionaries(st.sampled_from(["en", "vi", "th", "", "x" * 3]), st.integers(-1, 4) | VALUE, max_size=4),
    VALUE,
)


def _check_accepted(config):
    """An accepted config holds plain, finite, in-range values and survives to_dict / from_dict."""
    for name, (low, high) in _INT_FIELDS.items():
        value = getattr(config, name)
        assert type(value) is int and low <= value <= high, (name, value)
    for name, (low, high, high_open) in _FLOAT_FIELDS.items():
        value = getattr(config, name)
        assert type(value) is float and math.isfinite(value) and low <= value <= high, (name, value)
        assert not high_open or value < high, (name, value)
    for name in _BOOL_FIELDS:
        assert type(getattr(config, name)) is bool
    for sub in (config.encoder_config, config.english_encoder_config):
        assert sub.hidden_size >= 1 and sub.hidden_size % sub.num_attention_heads == 0
        assert 1 <= sub.num_hidden_layers and 1 <= sub.vocab_size  # pad_token_id: inside the vocabulary or None
        assert sub.pad_token_id is None or 0 <= sub.pad_token_id < sub.vocab_size
        assert math.isfinite(sub.layer_norm_eps) and sub.layer_norm_eps > 0
    assert sorted(config.lang2id.values()) == list(range(config.num_languages)) and "en" in config.lang2id
    again = LiraConfig.from_dict(config.to_dict())
    assert again.to_dict() == config.to_dict()


@given(IN_RANGE, st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=3), ENCODER_IN_RANGE,
       st.dictionaries(st.sampled_from(ENCODER_FIELDS), VALUE, max_size=2), st.booleans())
def test_every_number_gives_a_config_or_a_named_value_error(valid, hostile, encoder_valid, encoder_hostile, english):
    kwargs = tiny_config_kwargs(**{**valid, **hostile})
    key = "english_encoder_config" if english else "encoder_config"
    kwargs[key] = dict(kwargs[key], **{**encoder_valid, **encoder_hostile})
    try:
        config = LiraConfig(**kwargs)
    except ValueError as err:  # the message names a field that was set
        named = [f"LiraConfig.{name}=" for name in {**valid, **hostile}] + [f"LiraConfig.{key}"]
        assert any(n in str(err) for n in named), str(err)
        return
    _check_accepted(config)


@given(LANG2ID, st.one_of(st.sampled_from(["critic", "actor"]), VALUE))
def test_lang2id_and_selection_give_a_config_or_a_named_value_error(lang2id, selection):
    try:
        config = LiraConfig(**tiny_config_kwargs(lang2id=lang2id, candidate_selection=selection))
    except ValueError as err:
        assert "LiraConfig.lang2id" in str(err) or "LiraConfig.candidate_selection" in str(err), str(err)
        return
    assert config.candidate_selection in ("critic", "actor")
    _check_accepted(config)
