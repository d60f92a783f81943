"""The leak meter: how often the critic's top candidate is an aligned translation or the answer itself."""

import pytest

from evaluation.leak import attach_scores, leak_meter, leak_table
from tests.fixtures_eval import EVAL_PRODUCTS, _query_rows

TITLES = {p[0]: p[1] for p in EVAL_PRODUCTS}


def test_meter_on_rows_whose_critic_prefers_the_second_listed_title():
    meter = leak_meter(_query_rows("vi"), TITLES)
    # 6 rows carry [wrong title, true title] with the true one scored higher; the keyword row has no candidates
    assert meter == {"top_aligned": 1.0, "top_gold_title": 1.0, "first_aligned": 0.0, "first_gold_title": 0.0,
                     "rows_with_candidates": 6}


def test_meter_counts_ties_like_translate_test_and_case_insensitively():
    rows = [{"query": "x", "relevant_ids": ["p0"], "candidates": ["Red Apple", "tea kettle"],
             "candidate_sources": ["word_drop", "aligned_name"], "critic_scores": [[7, 1, 1], [7, 9, 9]]},
            {"query": "y", "relevant_ids": ["p2"], "candidates": ["umbrella", "tea"],
             "candidate_sources": ["wrong_sense", "aligned_keyword"], "critic_scores": [[2, 5, 5], [8, 5, 5]]}]
    meter = leak_meter(rows, TITLES)
    assert meter["top_gold_title"] == 0.5  # row 1: semantic tie -> the earliest, "Red Apple" = p0's title
    assert meter["top_aligned"] == 0.5 and meter["first_aligned"] == 0.0 and meter["first_gold_title"] == 0.5


def test_attach_scores_and_table():
    meter = attach_scores({"vi": leak_meter(_query_rows("vi"), TITLES)},
                          {"translate_test": {"vi": {"ndcg@10": 0.9}}, "translate_test_first": {"vi": {"ndcg@10": 0.4}}})
    assert meter["vi"]["translate_test"] == pytest.approx(0.9)
    table = leak_table(meter)
    assert "TT nDCG@10 (critic top)" in table and "| vi | 1.000 | 1.000 | 0.000 | 0.000 | 0.900 | 0.400 |" in table
    assert "**macro**" in table
