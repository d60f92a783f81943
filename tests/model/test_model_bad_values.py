"""Every bad value of the model side is refused by name: `LiraConfig` numbers (NaN, inf, huge, negative, bools,
strings) and encoder configs, and the processor's candidates, critic scores, languages and `max_length`."""

import math
import os

import pytest
import torch

from modeling_lira import LiraConfig
from modeling_lira.configuration_lira import MAX_BINS
from tests.fixtures_model import REPO, tiny_config_kwargs

NAN, INF = float("nan"), float("inf")
ENCODER = tiny_config_kwargs()["encoder_config"]


@pytest.mark.parametrize("bad, match", [
    (dict(english_scale_init=NAN), r"LiraConfig\.english_scale_init=nan must be a finite number in \[0, 1000000\]"),
    (dict(retrieval_temperature=INF), r"LiraConfig\.retrieval_temperature=inf must be a finite number in \[1e-06, "),
    (dict(retrieval_temperature=0.0), r"LiraConfig\.retrieval_temperature=0\.0 must be"),
    (dict(reward_alpha=NAN), r"LiraConfig\.reward_alpha=nan .*not finite"),
    (dict(reward_beta=-INF), r"LiraConfig\.reward_beta=-inf"),
    (dict(num_bins=10**9), r"LiraConfig\.num_bins=1000000000 must be an integer in \[1, 512\]"),
    (dict(num_candidates=True), r"LiraConfig\.num_candidates=True .*a bool, not a number"),
    (dict(ndcg_k=2.0), r"LiraConfig\.ndcg_k=2\.0 must be an integer .*not an integer"),
    (dict(doc_queue_size=10**30), r"LiraConfig\.doc_queue_size=1000000000000000000000000000000 must be an integer"),
    (dict(lasr_dropout="a"), r"LiraConfig\.lasr_dropout='a' .*a str, not a number"),
    (dict(hinge_margin=10**400), r"LiraConfig\.hinge_margin=1000.* must be a finite number in \[0, 2\]"),
    (dict(initializer_range=None), r"LiraConfig\.initializer_range=None .*it is None"),
    (dict(lrl_residual="no"), r"LiraConfig\.lrl_residual='no' must be True or False"),
    (dict(use_language_embedding=NAN), r"LiraConfig\.use_language_embedding=nan must be True or False"),
    (dict(lang2id={"en": 0, "vi": "1"}), r"LiraConfig\.lang2id\['vi'\]='1' must be an integer id"),
    (dict(lang2id={"en": 0, "vi": True}), r"LiraConfig\.lang2id\['vi'\]=True"),
    (dict(lang2id=3), r"LiraConfig\.lang2id must be a non-empty dict"),
    (dict(candidate_selection=["critic"]), r"LiraConfig\.candidate_selection must be 'critic' or 'actor'"),
    (dict(encoder_config=dict(ENCODER, hidden_size=-1)),
     r"LiraConfig\.encoder_config\.hidden_size=-1 must be an integer in \[1, 65536\]"),
    (dict(english_encoder_config=dict(ENCODER, num_hidden_layers=0)),
     r"LiraConfig\.english_encoder_config\.num_hidden_layers=0 must be an integer in \[1, 256\]"),
    (dict(encoder_config=dict(ENCODER, vocab_size=True)), r"LiraConfig\.encoder_config\.vocab_size=True"),
    (dict(encoder_config=dict(ENCODER, hidden_size=NAN)), r"LiraConfig\.encoder_config\.hidden_size=nan"),
    (dict(encoder_config=dict(ENCODER, layer_norm_eps=0.0)),
     r"LiraConfig\.encoder_config\.layer_norm_eps=0\.0 .*\(0, 1\]"),
    (dict(encoder_config=dict(ENCODER, hidden_dropout_prob=1.0)), r"hidden_dropout_prob=1\.0 .*\[0, 1\)"),
    (dict(encoder_config=dict(ENCODER, hidden_size=30)), r"hidden_size=30 is not divisible by num_attention_heads=4"),
    (dict(encoder_config=dict(ENCODER, pad_token_id=64)), r"pad_token_id=64 must be an integer in \[0, 63\]"),
    (dict(encoder_config=dict(ENCODER, hidden_act=3)), r"LiraConfig\.encoder_config could not be built .*hidden_act"),
    (dict(encoder_config=dict(ENCODER, model_type=3)), r"LiraConfig\.encoder_config\.model_type=3"),
])
def test_config_names_the_bad_value_and_its_range(bad, match):
    with pytest.raises(ValueError, match=match):
        LiraConfig(**tiny_config_kwargs(**bad))


def test_config_stores_plain_numbers_and_accepts_the_bounds():
    config = LiraConfig(**tiny_config_kwargs(num_bins=MAX_BINS, reward_alpha=1, lrl_residual=1, lasr_dropout=0.0))
    assert config.num_bins == MAX_BINS and type(config.reward_alpha) is float and config.lrl_residual is True
    with pytest.raises(ValueError, match=r"num_bins=513 must be an integer in \[1, 512\]"):
        LiraConfig(**tiny_config_kwargs(num_bins=MAX_BINS + 1))


def test_saved_lira_small_config_still_loads(tmp_path):
    """The embedded default's config (e5-small + MiniLM sizes, as `push_scripts.build_lira_small` writes it) passes
    every range check after a save and a load; the main job's own folder too, where it has been built."""
    from transformers import BertConfig

    me5 = BertConfig(vocab_size=250037, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
                     intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2)
    minilm = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                        intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2)
    LiraConfig(encoder_config=me5.to_dict(), english_encoder_config=minilm.to_dict()).save_pretrained(tmp_path)
    folders = [tmp_path] + ([f"{REPO}/artifacts/lira-small"] if os.path.isfile(
        f"{REPO}/artifacts/lira-small/config.json") else [])
    for folder in folders:
        config = LiraConfig.from_pretrained(str(folder))
        assert config.num_bins == 8 and config.encoder_config.vocab_size == 250037
        assert LiraConfig.from_dict(config.to_dict()).to_dict() == config.to_dict()


def _process(processor, **kwargs):
    kwargs.setdefault("text", ["book"] * len(kwargs.get("candidates") or [None]))
    return processor(normalize=False, **kwargs)


@pytest.mark.parametrize("scores, match", [
    ([[[NAN, 5, 5]]], r"critic_scores\[0\]\[0\]=\[nan, 5, 5\] must be 3 numbers in \[1, 10\] .*not finite"),
    ([[[5, INF, 5]]], r"critic_scores\[0\]\[0\]=\[5, inf, 5\] .*position 1"),
    ([[[True, 5, 5]]], r"critic_scores\[0\]\[0\]=\[True, 5, 5\] .*a bool, not a number"),
    ([[["5", "5", "5"]]], r"critic_scores\[0\]\[0\]=\['5', '5', '5'\] .*a str, not a number"),
    ([[[10**400, 5, 5]]], r"critic_scores\[0\]\[0\]=.* must be 3 numbers in \[1, 10\]"),
    ([[[5, 5]]], r"critic_scores\[0\]\[0\]=\[5, 5\] .*has 2 values"),
    ([[None]], r"critic_scores\[0\]\[0\]=None must be 3 numbers"),
    ([["555"]], r"critic_scores\[0\]\[0\]='555' must be 3 numbers"),
    ([[]], r"critic_scores\[0\] has 0 entries for 1 candidates"),
    (["abc"], r"critic_scores\[0\] must be a list"),
    ("abc", r"critic_scores must be a list"),
])
def test_processor_names_the_bad_critic_score(tiny_processor, scores, match):
    with pytest.raises(ValueError, match=match):
        _process(tiny_processor, candidates=[["red apple"]], critic_scores=scores)


def test_second_candidates_string_scores_are_named(tiny_processor):
    with pytest.raises(ValueError, match=r"critic_scores\[0\]\[1\]=\['5', '5', '5'\] must be 3 numbers"):
        _process(tiny_processor, candidates=[["red apple", "tea"]], critic_scores=[[[5, 5, 5], ["5", "5", "5"]]])


@pytest.mark.parametrize("kwargs, match", [
    (dict(candidates=["red apple"]), r"candidates\[0\] must be a list of strings \(or None for no candidates\), "
                                     r"got str 'red apple'"),
    (dict(candidates=[["red apple", 3]]), r"candidates\[0\]\[1\] must be a string, got int 3"),
    (dict(candidates="red apple"), r"candidates must be a list"),
    (dict(text=["a", "b"], candidates=[["a", "b", "c", "d"], []]), r"candidates\[0\] has 4 candidates .*at most 3"),
    (dict(languages="en"), r"languages must be a list .*got 'en'"),
    (dict(languages=[["en"]]), r"languages\[0\]=\['en'\] is not a known language"),
    (dict(languages=[3]), r"languages\[0\]=3 is not a known language"),
    (dict(max_length="5"), r"max_length='5' must be an integer in \[3, 131072\]"),
    (dict(max_length=1), r"max_length=1 must be an integer in \[3, 131072\]"),
    (dict(max_length=2**64), r"max_length=18446744073709551616 must be an integer in"),
    (dict(max_length=True), r"max_length=True"),
])
def test_processor_names_other_bad_inputs(tiny_processor, kwargs, match):
    with pytest.raises(ValueError, match=match):
        _process(tiny_processor, **kwargs)


def test_a_none_row_means_none_in_both_methods(tiny_processor):
    """None candidates row = no candidates; None scores row = no scores (neutral 5.5), in __call__ and in
    keep_best_candidates alike."""
    cands, scores = [["red apple", "tea"], None], [None, None]
    out = _process(tiny_processor, text=["a", "b"], candidates=cands, critic_scores=scores)
    assert out["candidate_mask"].tolist() == [[True, True], [False, False]]
    assert torch.equal(out["critic_scores"], torch.full((2, 2, 3), 5.5))
    kept, kept_scores = tiny_processor.keep_best_candidates(cands + [["a", "b", "c", "d"]], scores + [None])
    assert kept == [["red apple", "tea"], [], ["a", "b", "c"]] and kept_scores == [None, None, None]
    again = _process(tiny_processor, text=["a", "b", "c"], candidates=kept, critic_scores=kept_scores)
    assert torch.equal(again["critic_scores"], torch.full((3, 3, 3), 5.5))


def test_nan_never_decides_which_candidates_are_kept(tiny_processor):
    cands = [["a", "b", "c", "d"]]
    with pytest.raises(ValueError, match=r"critic_scores\[0\]\[0\]=\[nan, 1, 1\] must be 3 finite numbers"):
        tiny_processor.keep_best_candidates(cands, [[[NAN, 1, 1], [2, 2, 2], [3, 3, 3], [1, 1, 1]]])
    with pytest.raises(ValueError, match=r"critic_scores\[0\]\[3\]=\[1, 1, inf\]"):
        tiny_processor.keep_best_candidates(cands, [[[9, 9, 9], [2, 2, 2], [3, 3, 3], [1, 1, INF]]])
    with pytest.raises(ValueError, match=r"critic_scores\[0\] has 3 entries for 4 candidates"):
        tiny_processor.keep_best_candidates(cands, [[[9, 9, 9], [2, 2, 2], [3, 3, 3]]])
    kept, scores = tiny_processor.keep_best_candidates(cands, [[[9, 9, 9], [2, 2, 2], [3, 3, 3], [1, 1, 1]]])
    assert kept == [["a", "b", "c"]] and all(math.isfinite(x) for s in scores[0] for x in s)
