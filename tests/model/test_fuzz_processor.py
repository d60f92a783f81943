"""Fuzz: generated texts, language codes, ragged candidate lists and critic score arrays thrown at `LiraProcessor`
(without a query normalizer). The result is a `BatchEncoding` whose shapes agree with the input, or a `ValueError`;
any other exception fails."""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from modeling_lira import LiraProcessor
from tests.fixtures_model import WORDS, make_word_tokenizer

PROCESSOR = LiraProcessor(tokenizer=make_word_tokenizer(WORDS), english_tokenizer=make_word_tokenizer(WORDS),
                          num_candidates=3, max_length=16, candidate_max_length=8)
K = PROCESSOR.num_candidates

CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
TEXT = st.one_of(
    st.text(CHARS, max_size=40),
    st.text(st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Mn")), max_size=10),  # control, format, spaces, marks
    st.lists(st.sampled_from([*WORDS, "", " ", "\x00", "\u200b", "\u0301", "\n"]), max_size=12).map(" ".join),
    st.builds(lambda piece, n: piece * n, st.text(CHARS, min_size=1, max_size=8), st.integers(500, 2500)),  # <= 20k
    st.just(""),
)
NOT_TEXT = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(), st.lists(st.text(max_size=3),
                                                                                                 max_size=2))
SCORE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**70), 2**70), st.integers(-2, 13),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.999, 10.001, True, False, None, "5", "", [5]]),
)
GOOD_TRIPLE = st.lists(st.floats(1.0, 10.0) | st.integers(1, 10), min_size=3, max_size=3)
BAD_TRIPLE = st.one_of(st.lists(SCORE, max_size=4), st.tuples(SCORE, SCORE, SCORE), st.none(), st.text(max_size=3),
                       st.floats(1.0, 10.0))


def rarely(one_in):
    """True one time in `one_in` (`st.integers` would favour its bounds)."""
    return st.sampled_from([False] * (one_in - 1) + [True])


def mostly(valid, hostile, one_in=5):
    """`valid`, but `hostile` one time in `one_in` (each part of a batch is hostile on its own)."""
    return rarely(one_in).flatmap(lambda bad: hostile if bad else valid)


LANGUAGE = mostly(st.none() | st.sampled_from(sorted(PROCESSOR.lang2id)), st.text(max_size=3) | NOT_TEXT, 8)
CANDIDATE = mostly(TEXT | st.just("   "), NOT_TEXT, 10)
CANDIDATE_ROW = mostly(st.lists(CANDIDATE, max_size=K), st.none() | st.lists(CANDIDATE, max_size=K + 3)
                       | st.text(max_size=3) | st.integers(), 6)
TRIPLE = mostly(GOOD_TRIPLE, BAD_TRIPLE, 10)


@st.composite
def batches(draw):
    """`(texts, languages, candidates, critic_scores)`: every part well formed most of the time, hostile otherwise
    (too many or too few rows, None rows, strings for lists, bad scores, ragged widths)."""
    texts = draw(st.lists(TEXT, min_size=1, max_size=4))
    n = len(texts)
    n_languages, n_candidates = (draw(st.integers(0, n + 1)) if draw(rarely(8)) else n for _ in "lc")
    languages = draw(mostly(st.none() | st.lists(LANGUAGE, min_size=n_languages, max_size=n_languages),
                            st.text(max_size=3)))
    candidates = draw(st.none() | st.lists(CANDIDATE_ROW, min_size=n_candidates, max_size=n_candidates))
    critic_scores = None
    if candidates is not None and draw(st.booleans()):
        critic_scores = []
        for cands in candidates:
            width = len(cands) if isinstance(cands, list) else 0
            width = draw(st.integers(0, K + 2)) if draw(rarely(10)) else width  # ragged now and then
            critic_scores.append(draw(mostly(st.lists(TRIPLE, min_size=width, max_size=width), st.none(), 8)))
        if draw(rarely(10)):
            critic_scores = critic_scores[1:]
    elif draw(rarely(10)):
        critic_scores = draw(st.lists(st.none() | st.lists(TRIPLE, max_size=K + 1), max_size=n + 1) | st.text())
    return texts, languages, candidates, critic_scores


MAX_LENGTH = mostly(st.none() | st.integers(3, 40),
                    st.sampled_from([0, -1, 1, 2, 2.0, "8", True, float("nan"), 2**64, 10**30]), 8)


def _rows(candidates, n):
    """The candidate lists the processor reads (a None row = none)."""
    return [list(row or []) for row in candidates[:n]]


@given(batches(), st.sampled_from(["query", "passage"]), MAX_LENGTH)
def test_processor_gives_consistent_shapes_or_a_value_error(batch, text_type, max_length):
    texts, languages, candidates, critic_scores = batch
    try:
        out = PROCESSOR(texts, languages=languages, candidates=candidates, critic_scores=critic_scores,
                        text_type=text_type, max_length=max_length, normalize=False)
    except ValueError as err:
        assert str(err)
        return
    n = len(texts)
    assert out["input_ids"].shape == out["attention_mask"].shape and out["input_ids"].shape[0] == n
    assert out["input_ids"].shape[1] <= (max_length or PROCESSOR.max_length)
    if languages is None:
        assert "lang_ids" not in out
    else:
        ids = out["lang_ids"].tolist()
        assert ids == [-1 if code is None else PROCESSOR.lang2id[code] for code in languages]
    if candidates is None:
        assert not any(k.startswith("candidate") or k == "critic_scores" for k in out)
        return
    rows = _rows(candidates, n)
    width = max(1, *(len(r) for r in rows))
    assert width <= K and out["candidate_input_ids"].shape[:2] == (n, width)
    assert out["candidate_attention_mask"].shape == out["candidate_input_ids"].shape
    assert out["candidate_mask"].tolist() == [[k < len(r) and bool(r[k].strip()) for k in range(width)] for r in rows]
    assert not out["candidate_attention_mask"][~out["candidate_mask"]].any()
    scores = out["critic_scores"]
    assert scores.shape == (n, width, 3) and scores.dtype == torch.float32
    assert torch.isfinite(scores).all() and (scores >= 1).all() and (scores <= 10).all()


@given(batches())
def test_keep_best_candidates_trims_by_finite_scores_or_raises_value_error(batch):
    texts, _, candidates, critic_scores = batch
    if candidates is None:
        return
    try:
        kept, kept_scores = PROCESSOR.keep_best_candidates(candidates, critic_scores)
    except ValueError as err:
        assert str(err)
        return
    rows = _rows(candidates, len(candidates))
    assert len(kept) == len(rows) and all(len(k) == min(len(r), K) for k, r in zip(kept, rows))
    for i, (row, keep) in enumerate(zip(rows, kept)):
        it = iter(row)
        assert all(any(c == x for x in it) for c in keep)  # kept in their original order
        scores = None if kept_scores is None else kept_scores[i]
        if scores is not None:
            assert len(scores) == len(keep) and all(math.isfinite(x) for s in scores for x in s)
            if len(row) > K:  # every dropped candidate totals at most the lowest kept total
                totals = [sum(map(float, s)) for s in critic_scores[i]]
                kept_total = sorted(totals, reverse=True)[K - 1]
                assert min(sum(s) for s in scores) >= kept_total - 1e-9
    if not rows:
        return
    try:  # what it keeps is what the processor takes (or refuses for the [1, 10] range only)
        PROCESSOR(["book"] * len(rows), candidates=kept, critic_scores=kept_scores, normalize=False)
    except ValueError as err:
        assert "must be 3 numbers in [1, 10]" in str(err) or "texts" in str(err)
